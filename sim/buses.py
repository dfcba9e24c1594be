"""Bus physics: who hears a frame, when it arrives, and what collides.

RS-485 is half-duplex: the master's frame takes ``len * bits_per_char / baud``
seconds on the wire, every powered member reachable through unbroken wires hears
it, and the one that answers is heard back after its turnaround time. Two answers
at once collide. I2C transfers are short enough (tens of microseconds at 100 kHz)
to be instantaneous at the lab's time scale; a missing or dead slave is a NACK.
"""

from __future__ import annotations

BITS_PER_CHAR = {"N": 10, "E": 11, "O": 11}   # start + 8 data + [parity] + stop


def char_time_s(baud: int, parity: str = "N") -> float:
    return BITS_PER_CHAR[parity] / baud


def frame_time_s(n_bytes: int, baud: int, parity: str = "N") -> float:
    return n_bytes * char_time_s(baud, parity)


def rs485_transaction(sim, master, port: str, frame: bytes, baud: int, parity: str,
                      timeout_s: float):
    """SimPy process body: send ``frame`` from ``master.port``; returns the reply bytes or None.

    Members implement ``rs485_receive(frame, baud, parity) -> (turnaround_s, reply) | None``.
    """
    env = sim.env
    master.emit("frame.tx", port=port, bus="rs485", data=frame.hex(" ").upper())
    yield env.timeout(frame_time_s(len(frame), baud, parity))
    net = master.nets.get(port)
    replies = []
    if net is not None:
        for device, dev_port in net.reachable(master):
            if device.powered:
                answer = device.rs485_receive(dev_port, frame, baud, parity)
                if answer is not None:
                    replies.append((device, dev_port, answer))
    if not replies:
        yield env.timeout(timeout_s)
        master.emit("frame.lost", port=port, bus="rs485", reason="timeout")
        return None
    turnaround = min(a[0] for _, _, a in replies)
    longest = max(len(a[1]) for _, _, a in replies)
    for device, dev_port, (_, reply) in replies:
        device.emit("frame.tx", port=dev_port, bus="rs485", data=reply.hex(" ").upper())
    yield env.timeout(turnaround + frame_time_s(longest, baud, parity))
    if len(replies) > 1:
        master.emit("frame.lost", port=port, bus="rs485", reason="collision",
                    senders=[d.id for d, _, _ in replies])
        return None
    reply = replies[0][2][1]
    master.emit("frame.rx", port=port, bus="rs485", data=reply.hex(" ").upper())
    return reply


def i2c_transfer(master, port: str, address: int, write: bytes = b"", read: int = 0) -> bytes | None:
    """Write then read on the I2C bus; None when no powered slave ACKs ``address``.

    Slaves implement ``i2c_address`` and ``i2c_transfer(write, read) -> bytes``.
    """
    net = master.nets.get(port)
    if net is None:
        return None
    for device, _ in net.reachable(master):
        if device.powered and getattr(device, "i2c_address", None) == address:
            return device.i2c_transfer(write, read)
    master.emit("frame.lost", port=port, bus="i2c", reason="nack", address=f"0x{address:02X}")
    return None
