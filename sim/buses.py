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


def silence_s(baud: int, parity: str = "N") -> float:
    """The Modbus RTU inter-frame gap: 3.5 characters, fixed at 1.75 ms above 19200 bit/s."""
    return 0.00175 if baud > 19200 else 3.5 * char_time_s(baud, parity)


def rs485_transaction(sim, master, port: str, frame: bytes, baud: int, parity: str,
                      timeout_s: float):
    """SimPy process body: send ``frame`` from ``master.port``; returns the reply bytes or None.

    Members that answer implement ``rs485_receive(port, frame, baud, parity) -> (turnaround_s, reply)
    | None``; the others (another master, say) only listen. A reply's ``frame.tx`` is recorded when
    its sender starts transmitting, after its turnaround time.
    """
    env = sim.env
    net = master.nets.get(port)
    master.emit("frame.tx", port=port, bus="rs485", data=frame.hex(" ").upper())
    on_air = _on_air(net, env.now, env.now + frame_time_s(len(frame), baud, parity))
    yield env.timeout(frame_time_s(len(frame), baud, parity))
    replies = []
    if net is not None and _overlapped(net, on_air):
        # Another master talked over this request: every member heard garbage.
        master.emit("frame.lost", port=port, bus="rs485", reason="collision")
        yield env.timeout(timeout_s)
        return None
    if net is not None:
        for device, dev_port in net.reachable(master):
            receive = getattr(device, "rs485_receive", None)
            if device.powered and receive is not None:
                answer = receive(dev_port, frame, baud, parity)
                if answer is not None:
                    replies.append((device, dev_port, answer))
    if not replies:
        yield env.timeout(timeout_s)
        master.emit("frame.lost", port=port, bus="rs485", reason="timeout")
        return None
    turnaround = min(a[0] for _, _, a in replies)
    longest = max(len(a[1]) for _, _, a in replies)
    yield env.timeout(turnaround)
    for device, dev_port, (_, reply) in replies:
        device.emit("frame.tx", port=dev_port, bus="rs485", data=reply.hex(" ").upper())
    yield env.timeout(frame_time_s(longest, baud, parity))
    if len(replies) > 1:
        master.emit("frame.lost", port=port, bus="rs485", reason="collision",
                    senders=[d.id for d, _, _ in replies])
        return None
    reply = replies[0][2][1]
    master.emit("frame.rx", port=port, bus="rs485", data=reply.hex(" ").upper())
    return reply


def _on_air(net, start: float, end: float) -> list | None:
    """Note a transmission on the bus; returns its entry (None without a bus)."""
    if net is None:
        return None
    net.on_air = [e for e in net.on_air if e[1] > start]     # forget what has finished
    entry = [start, end]
    net.on_air.append(entry)
    return entry


def _overlapped(net, entry: list) -> bool:
    start, end = entry
    return any(other is not entry and other[0] < end and other[1] > start for other in net.on_air)


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
