"""Bus physics: who hears a frame, what they hear, when it arrives, and what collides.

RS-485 is half-duplex: the master's frame takes ``len * bits_per_char / baud``
seconds on the wire, and every powered member reachable through unbroken wires
hears it, through its own UART. A member set to another baud or parity, or joined
through a crossed A/B pair, samples the line bit by bit and hears garbage
(``uart_line``). A long cable with a missing terminator corrupts bytes now and then
(``termination_error_rate``). The one that answers is heard back after its
turnaround time; two answers at once collide. I2C transfers are short enough (tens
of microseconds at 100 kHz) to be instantaneous at the lab's time scale; a missing
or dead slave is a NACK.
"""

from __future__ import annotations

from collections.abc import Callable

from .faults import FaultSpec
from .wiring import _changed, _epoch

BITS_PER_CHAR = {"N": 10, "E": 11, "O": 11}   # start + 8 data + [parity] + stop
SIGNAL_SPEED_M_S = 2.0e8                       # about 2/3 c in twisted pair


def char_time_s(baud: int, parity: str = "N") -> float:
    return BITS_PER_CHAR[parity] / baud


def frame_time_s(n_bytes: int, baud: int, parity: str = "N") -> float:
    return n_bytes * char_time_s(baud, parity)


def silence_s(baud: int, parity: str = "N") -> float:
    """The Modbus RTU inter-frame gap: 3.5 characters, fixed at 1.75 ms above 19200 bit/s."""
    return 0.00175 if baud > 19200 else 3.5 * char_time_s(baud, parity)


# -- what a UART hears --------------------------------------------------------------------------
def _bits(data: bytes, parity: str) -> list[int]:
    bits: list[int] = []
    for byte in data:
        bits.append(0)
        bits.extend((byte >> i) & 1 for i in range(8))
        if parity != "N":
            ones = bin(byte).count("1") & 1
            bits.append(ones if parity == "E" else 1 - ones)
        bits.append(1)
    return bits


def uart_line(data: bytes, tx_baud: int, tx_parity: str, rx_baud: int, rx_parity: str,
              inverted: bool = False) -> tuple[bytes, int]:
    """The bytes a receiver set to ``rx_baud``/``rx_parity`` decodes from ``data`` sent at
    ``tx_baud``/``tx_parity``, and how many of them had a framing or parity error.

    The line idles high; the receiver waits for a falling edge, checks the start bit at its
    middle and samples each following bit at its own bit time, as a UART does. ``inverted``:
    the pair is crossed, so every level (idle included) is the opposite.
    """
    if not inverted and tx_baud == rx_baud and tx_parity == rx_parity:
        return data, 0
    bits = _bits(data, tx_parity)
    tb, rb = 1.0 / tx_baud, 1.0 / rx_baud
    end = len(bits) * tb
    flip = 1 if inverted else 0

    def level(t: float) -> int:
        return (1 if t < 0 or t >= end else bits[int(t / tb)]) ^ flip

    n_after_start = 8 + (0 if rx_parity == "N" else 1) + 1
    step = rb / 16.0                       # a UART looks for the edge at 16x its bit rate
    out, errors = bytearray(), 0
    t, prev = 0.0, level(-step)
    while t < end:
        cur = level(t)
        if not (prev == 1 and cur == 0) or level(t + rb / 2) != 0:
            prev, t = cur, t + step
            continue
        value = sum(level(t + (1.5 + i) * rb) << i for i in range(8))
        bad = False
        if rx_parity != "N":
            ones = bin(value).count("1") & 1
            want = ones if rx_parity == "E" else 1 - ones
            bad = level(t + 9.5 * rb) != want
        stop_t = t + (n_after_start + 0.5) * rb
        stop = level(stop_t)
        errors += 1 if bad or not stop else 0
        out.append(value)
        prev, t = stop, stop_t
    return bytes(out), errors


def termination_error_rate(length_m: float, baud: int, missing_ends: int) -> float:
    """Chance that one byte is corrupted by reflections on an unterminated bus.

    Reflections matter once the cable's round trip is no longer small against a bit time
    (rule of thumb: above a tenth of it). Model: ``0.01 * missing * (x / 0.1)**2`` per byte with
    ``x = round trip / bit time``, at most 0.5. 1200 m at 9600 bit/s with one terminator
    missing loses about one frame in five; 10 m at 9600 bit/s never notices.
    """
    if missing_ends <= 0:
        return 0.0
    x = 2.0 * length_m / SIGNAL_SPEED_M_S * baud
    return min(0.5, 0.01 * missing_ends * (x / 0.1) ** 2)


def _corrupt(data: bytes, rate: float, rng) -> bytes:
    if rate <= 0.0 or not data:
        return data
    hits = rng.random(len(data)) < rate
    if not hits.any():
        return data
    flips = rng.integers(0, 8, size=len(data))
    return bytes(b ^ (1 << int(f)) if h else b for b, h, f in zip(data, hits, flips))


class RS485Port:
    """Wire faults of an RS-485 port; mixed into every device with one."""
    FAULTS = {
        "ab_swapped": FaultSpec("ab_swapped", "A and B are crossed on this wire: the device hears garbage and "
                                "is not understood, so the bus goes silent for it", on_port=True, forms=("rs485",)),
        "no_termination": FaultSpec("no_termination", "the 120 Ω terminator at this end is missing: on a long "
                                    "cable at speed, intermittent CRC errors and timeouts", on_port=True,
                                    forms=("rs485",)),
    }

    def fault_on(self, spec, params, port) -> None:
        new = (spec.name, port) not in self.faults
        super().fault_on(spec, params, port)
        if new and spec.name == "ab_swapped":
            for link in self.links[port]:
                link.swap(True)
        elif new and spec.name == "no_termination":
            _changed()

    def fault_off(self, spec, port) -> None:
        super().fault_off(spec, port)
        if spec.name == "ab_swapped":
            for link in self.links[port]:
                link.swap(False)
        elif spec.name == "no_termination":
            _changed()


def _line_noise(sim, net, baud: int):
    """(per-byte error rate, random stream) for frames on ``net`` now."""
    cached = getattr(net, "_noise", None)
    if cached is None or cached[0] != _epoch[0] or cached[1] != baud:
        missing = sum(1 for dev, port in net.members if dev.has_fault("no_termination", port))
        rate = termination_error_rate(net.length_m, baud, missing)
        rng = cached[3] if cached else sim.rng("rs485-line:" + ",".join(d.id for d, _ in net.members))
        net._noise = cached = (_epoch[0], baud, rate, rng)
    return cached[2], cached[3]


def _hear(data: bytes, tx: tuple[int, str], rx: tuple[int, str], inverted: bool, noise) -> tuple[bytes, int]:
    heard, errors = uart_line(data, tx[0], tx[1], rx[0], rx[1], inverted)
    rate, rng = noise
    return (_corrupt(heard, rate, rng) if rate else heard), errors


def rs485_transaction(sim, master, port: str, frame: bytes, baud: int, parity: str,
                      timeout_s: float | None, expect_reply: bool = True, outcome: dict | None = None,
                      cut: Callable[[bytes], bytes] | None = None,
                      deaf: Callable[[float, float], str | None] | None = None):
    """SimPy process body: send ``frame`` from ``master.port``; returns the reply bytes or None.

    Members that answer implement ``uart(port) -> (baud, parity)`` and ``rs485_receive(port,
    heard) -> (turnaround_s, reply) | None`` where ``heard`` is what their UART decoded; the
    others (another master, say) only listen. A member that may log garbage implements
    ``rs485_addressed(frame) -> bool``. A reply's ``frame.tx`` is recorded when its sender
    starts transmitting, after its turnaround time; the master's ``frame.rx`` holds what it
    heard, which may be garbage for the caller to judge. ``outcome``, if given, gets
    ``reason`` ("timeout" or "collision") when nothing usable came back; with ``timeout_s`` None an
    unanswered request ends at once with no record (the master keeps its own time-out).
    ``cut(frame)``, if given, is asked once the frame's time on the bus is over what of it really went out (a transceiver whose
    driver was switched off early sends only the bytes before that; the master says so in a record of its
    own, its ``frame.tx`` being what it started to send); an empty frame reaches nobody. ``deaf(start,
    end)``, if given, says why the master could not hear a reply on the bus from ``start`` to ``end``
    (its receiver was off), or None: such a reply is a ``frame.lost`` with that reason, not a ``frame.rx``.
    """
    outcome = {} if outcome is None else outcome
    env = sim.env
    net = master.nets.get(port)
    master.emit("frame.tx", port=port, bus="rs485", data=frame.hex(" ").upper())
    on_air = _on_air(net, env.now, env.now + frame_time_s(len(frame), baud, parity))
    yield env.timeout(frame_time_s(len(frame), baud, parity))
    if cut is not None:
        frame = cut(frame)
        if not frame:
            outcome["reason"] = "cut"
            return None
    replies = []
    if net is not None and _overlapped(net, on_air):
        # Another master talked over this request: every member heard garbage.
        master.emit("frame.lost", port=port, bus="rs485", reason="collision")
        outcome["reason"] = "collision"
        if expect_reply:
            yield env.timeout(timeout_s)
        return None
    tx = (baud, parity)
    if net is not None:
        noise = _line_noise(sim, net, baud)
        for device, dev_port, inverted in net.reachable_polarity(master):
            receive = getattr(device, "rs485_receive", None)
            if receive is None or not device.powered:
                continue
            rx = device.uart(dev_port)
            heard, errors = _hear(frame, tx, rx, inverted, noise)
            if heard != frame:
                addressed = getattr(device, "rs485_addressed", None)
                if addressed is not None and addressed(frame):
                    device.emit("frame.lost", port=dev_port, bus="rs485",
                                reason="framing" if errors else "crc", data=heard.hex(" ").upper())
            answer = receive(dev_port, heard)
            if answer is not None:
                replies.append((device, dev_port, _hear(answer[1], rx, tx, inverted, noise)[0], answer))
    if not expect_reply:
        return None
    if not replies:
        if timeout_s is None:                  # the master keeps its own time-out (a board's firmware)
            outcome["reason"] = "no reply"
            return None
        yield env.timeout(timeout_s)
        master.emit("frame.lost", port=port, bus="rs485", reason="timeout")
        outcome["reason"] = "timeout"
        return None
    turnaround = min(a[0] for *_, a in replies)
    longest = max(len(a[1]) for *_, a in replies)
    yield env.timeout(turnaround)
    for device, dev_port, _, (_, reply) in replies:
        device.emit("frame.tx", port=dev_port, bus="rs485", data=reply.hex(" ").upper())
    yield env.timeout(frame_time_s(longest, baud, parity))
    if len(replies) > 1:
        master.emit("frame.lost", port=port, bus="rs485", reason="collision",
                    senders=[d.id for d, *_ in replies])
        outcome["reason"] = "collision"
        return None
    heard = replies[0][2]
    why = deaf(env.now - frame_time_s(longest, baud, parity), env.now) if deaf is not None else None
    if why:
        master.emit("frame.lost", port=port, bus="rs485", reason=why, data=heard.hex(" ").upper())
        outcome["reason"] = "deaf"
        return None
    master.emit("frame.rx", port=port, bus="rs485", data=heard.hex(" ").upper())
    return heard


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


def i2c_transfer(master, port: str, address: int, write: bytes = b"", read: int = 0,
                 lag_s: float = 0.0) -> bytes | None:
    """Write then read on the I2C bus; None when no powered slave ACKs ``address``.

    Slaves implement ``i2c_address`` and ``i2c_transfer(write, read) -> bytes``; a slave that keeps
    time (a display's busy spells) may implement ``i2c_transfer_at(write, read, at)`` instead, ``at``
    being the master's time of the transfer: the simulation's clock plus ``lag_s``, the time a master
    has spent on the bus without handing it over (an MCU inside an interrupt handler).
    """
    net = master.nets.get(port)
    if net is None:
        return None
    for device, _ in net.reachable(master):
        if device.powered and getattr(device, "i2c_address", None) == address:
            timed = getattr(device, "i2c_transfer_at", None)
            if timed is not None:
                return timed(write, read, master.sim.env.now + lag_s)
            return device.i2c_transfer(write, read)
    master.emit("frame.lost", port=port, bus="i2c", reason="nack", address=f"0x{address:02X}")
    return None
