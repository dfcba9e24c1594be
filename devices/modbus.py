"""Modbus RTU framing: CRC-16, requests, replies and exceptions, byte for byte.

CRC-16/MODBUS: polynomial 0xA001 (reflected 0x8005), initial value 0xFFFF, sent low
byte first. Slaves stay silent on a bad CRC or another address. Functions: 01 read
coils, 02 read discrete inputs, 03 read holding registers, 04 read input registers,
05 write single coil, 06 write single register, 15 write multiple coils, 16 write
multiple registers; exception codes 01 (illegal function), 02 (illegal data address),
03 (illegal data value).
"""

from __future__ import annotations

import struct
from typing import Callable

ILLEGAL_FUNCTION, ILLEGAL_ADDRESS, ILLEGAL_VALUE = 0x01, 0x02, 0x03
READ_COILS, READ_DISCRETE, READ_HOLDING, READ_INPUT = 0x01, 0x02, 0x03, 0x04
WRITE_COIL, WRITE_REGISTER, WRITE_COILS, WRITE_REGISTERS = 0x05, 0x06, 0x0F, 0x10
#: The most a request may ask for (Modbus Application Protocol v1.1b3, 6.1-6.12).
MAX_READ_BITS, MAX_READ_REGS, MAX_WRITE_BITS, MAX_WRITE_REGS = 2000, 125, 1968, 123


def _table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _table()


def crc16(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ _CRC_TABLE[(crc ^ byte) & 0xFF]
    return crc


def with_crc(body: bytes) -> bytes:
    return body + struct.pack("<H", crc16(body))


def crc_ok(frame: bytes) -> bool:
    return len(frame) >= 4 and crc16(frame[:-2]) == struct.unpack("<H", frame[-2:])[0]


# -- requests a master sends --------------------------------------------------------------
def read_request(address: int, function: int, start: int, count: int) -> bytes:
    """FC01/02/03/04 request: ``01 03 00 00 00 02 C4 0B``."""
    return with_crc(struct.pack(">BBHH", address, function, start, count))


def write_single_request(address: int, register: int, value: int) -> bytes:
    """FC06 request."""
    return with_crc(struct.pack(">BBHH", address, WRITE_REGISTER, register, value))


def write_coil_request(address: int, coil: int, on: bool) -> bytes:
    """FC05 request: ``03 05 00 00 FF 00 8D D8`` switches DO1 of the relay module at 3 on."""
    return with_crc(struct.pack(">BBHH", address, WRITE_COIL, coil, 0xFF00 if on else 0x0000))


def write_coils_request(address: int, start: int, values: list[bool]) -> bytes:
    """FC15 request."""
    packed = pack_bits(values)
    return with_crc(struct.pack(">BBHHB", address, WRITE_COILS, start, len(values), len(packed)) + packed)


def write_registers_request(address: int, start: int, values: list[int]) -> bytes:
    """FC16 request."""
    body = struct.pack(">BBHHB", address, WRITE_REGISTERS, start, len(values), 2 * len(values))
    return with_crc(body + b"".join(struct.pack(">H", v & 0xFFFF) for v in values))


# -- replies a slave sends ------------------------------------------------------------------
def exception_reply(address: int, function: int, code: int) -> bytes:
    return with_crc(bytes([address, function | 0x80, code]))


def registers_reply(address: int, function: int, values: list[int]) -> bytes:
    body = struct.pack(">BBB", address, function, 2 * len(values))
    body += b"".join(struct.pack(">H", v & 0xFFFF) for v in values)
    return with_crc(body)


def pack_bits(values: list[bool]) -> bytes:
    """Coils/inputs packed LSB first, eight to a byte, as FC01/02/15 carry them."""
    out = bytearray((len(values) + 7) // 8)
    for i, v in enumerate(values):
        if v:
            out[i // 8] |= 1 << (i % 8)
    return bytes(out)


def unpack_bits(data: bytes, count: int) -> list[bool]:
    return [bool(data[i // 8] >> (i % 8) & 1) for i in range(count)]


def bits_reply(address: int, function: int, values: list[bool]) -> bytes:
    packed = pack_bits(values)
    return with_crc(struct.pack(">BBB", address, function, len(packed)) + packed)


# -- a master reading replies -----------------------------------------------------------------
def reply_problem(frame: bytes, address: int, function: int) -> str | None:
    """Why ``frame`` is not a good reply from ``address`` to ``function`` (None: it is)."""
    if not crc_ok(frame):
        return "crc"
    if frame[0] != address:
        return "address"
    if frame[1] == function | 0x80 and len(frame) == 5:
        return f"exception {frame[2]:02X}"
    if frame[1] != function:
        return "malformed"
    return None


def parse_registers_reply(frame: bytes, address: int, function: int, count: int) -> list[int] | str:
    """The registers in a reply, or a short reason it is not a good reply."""
    problem = reply_problem(frame, address, function)
    if problem:
        return problem
    if frame[2] != 2 * count or len(frame) != 5 + 2 * count:
        return "malformed"
    return list(struct.unpack(f">{count}H", frame[3:3 + 2 * count]))


def parse_bits_reply(frame: bytes, address: int, function: int, count: int) -> list[bool] | str:
    problem = reply_problem(frame, address, function)
    if problem:
        return problem
    n = (count + 7) // 8
    if frame[2] != n or len(frame) != 5 + n:
        return "malformed"
    return unpack_bits(frame[3:3 + n], count)


def parse_write_reply(frame: bytes, request: bytes) -> str | None:
    """None if ``frame`` acknowledges the write ``request`` (FC05/06 echo it, FC15/16 echo the range)."""
    problem = reply_problem(frame, request[0], request[1])
    if problem:
        return problem
    expected = request if request[1] in (WRITE_COIL, WRITE_REGISTER) else with_crc(request[:6])
    return None if frame == expected else "malformed"


def to_signed(value: int) -> int:
    return value - 0x10000 if value & 0x8000 else value


# -- a slave answering ------------------------------------------------------------------------
Read = Callable[[int], "int | None"]
Write = Callable[..., "str | None"]


class RegisterSlave:
    """A slave's answer logic over its data tables; the device supplies the values.

    ``read(register) -> int | None`` (None: no such register) serves FC03 (and FC04 unless
    ``read_input`` is given); ``write(register, value, dry=False) -> str | None`` (None: accepted,
    else ``"address"`` or ``"value"``; ``dry``: only say whether it would be) serves FC06/FC16. ``read_coil``/``write_coil`` (FC01/05/15)
    and ``read_discrete`` (FC02) work the same way on bits. A table that is not given makes
    its functions illegal (exception 01), as on a part that does not implement them.
    """

    def __init__(self, read: Read | None, write: Write | None, *, read_input: Read | None = None,
                 read_coil: Read | None = None, write_coil: Write | None = None,
                 read_discrete: Read | None = None) -> None:
        self._handlers = {}
        if read is not None:
            self._handlers[READ_HOLDING] = lambda a, f: self._read_words(a, f, read)
            self._handlers[READ_INPUT] = lambda a, f: self._read_words(a, f, read_input or read)
        if write is not None:
            self._handlers[WRITE_REGISTER] = lambda a, f: self._write_one(a, f, write, lambda v: v)
            self._handlers[WRITE_REGISTERS] = lambda a, f: self._write_words(a, f, write)
        if read_coil is not None:
            self._handlers[READ_COILS] = lambda a, f: self._read_bits(a, f, read_coil)
        if read_discrete is not None:
            self._handlers[READ_DISCRETE] = lambda a, f: self._read_bits(a, f, read_discrete)
        if write_coil is not None:
            self._handlers[WRITE_COIL] = lambda a, f: self._write_one(a, f, write_coil, _coil_value)
            self._handlers[WRITE_COILS] = lambda a, f: self._write_bits(a, f, write_coil)

    def answer(self, address: int, frame: bytes, broadcast_ok: bool = True) -> bytes | None:
        """The reply to ``frame`` (None: silent). Address 0 is a broadcast: writes act, nothing answers."""
        if len(frame) < 4 or not crc_ok(frame) or frame[0] not in (address, 0):
            return None                       # silent, as the standard requires
        handler = self._handlers.get(frame[1])
        reply = handler(address, frame) if handler else exception_reply(address, frame[1], ILLEGAL_FUNCTION)
        return None if frame[0] == 0 else reply

    @staticmethod
    def _range(frame: bytes, limit: int, extra: int = 0):
        """(start, count) of a request with a fixed header, or None if its length or count is wrong."""
        if len(frame) < 8 + extra:
            return None
        start, count = struct.unpack(">HH", frame[2:6])
        return (start, count) if 1 <= count <= limit else None

    def _read_words(self, address, frame, read):
        rng = self._range(frame, MAX_READ_REGS)
        if rng is None or len(frame) != 8:
            return exception_reply(address, frame[1], ILLEGAL_VALUE)
        values = [read(r) for r in range(rng[0], rng[0] + rng[1])]
        if any(v is None for v in values):
            return exception_reply(address, frame[1], ILLEGAL_ADDRESS)
        return registers_reply(address, frame[1], values)

    def _read_bits(self, address, frame, read):
        rng = self._range(frame, MAX_READ_BITS)
        if rng is None or len(frame) != 8:
            return exception_reply(address, frame[1], ILLEGAL_VALUE)
        values = [read(r) for r in range(rng[0], rng[0] + rng[1])]
        if any(v is None for v in values):
            return exception_reply(address, frame[1], ILLEGAL_ADDRESS)
        return bits_reply(address, frame[1], [bool(v) for v in values])

    def _write_one(self, address, frame, write, convert):
        if len(frame) != 8:
            return exception_reply(address, frame[1], ILLEGAL_VALUE)
        where, raw = struct.unpack(">HH", frame[2:6])
        value = convert(raw)
        if value is None:
            return exception_reply(address, frame[1], ILLEGAL_VALUE)
        return _verdict(address, frame, write(where, value), frame)

    def _write_words(self, address, frame, write):
        rng = self._range(frame, MAX_WRITE_REGS, 1)
        if rng is None or frame[6] != 2 * rng[1] or len(frame) != 9 + 2 * rng[1]:
            return exception_reply(address, frame[1], ILLEGAL_VALUE)
        values = struct.unpack(f">{rng[1]}H", frame[7:7 + 2 * rng[1]])
        return self._write_all(address, frame, write, rng[0], values)

    def _write_bits(self, address, frame, write):
        rng = self._range(frame, MAX_WRITE_BITS, 1)
        n = (rng[1] + 7) // 8 if rng else 0
        if rng is None or frame[6] != n or len(frame) != 9 + n:
            return exception_reply(address, frame[1], ILLEGAL_VALUE)
        values = [int(b) for b in unpack_bits(frame[7:7 + n], rng[1])]
        return self._write_all(address, frame, write, rng[0], values)

    @staticmethod
    def _write_all(address, frame, write, start, values):
        """All or nothing: every address and value is checked before any is written."""
        for i, value in enumerate(values):
            verdict = write(start + i, value, True)
            if verdict is not None:
                return _verdict(address, frame, verdict, None)
        for i, value in enumerate(values):
            write(start + i, value)
        return with_crc(frame[:6])


def _coil_value(raw: int) -> int | None:
    """FC05 carries FF00 for on and 0000 for off; anything else is an illegal value."""
    return {0xFF00: 1, 0x0000: 0}.get(raw)


def _verdict(address: int, frame: bytes, verdict: str | None, ok: bytes | None) -> bytes:
    if verdict == "address":
        return exception_reply(address, frame[1], ILLEGAL_ADDRESS)
    if verdict == "value":
        return exception_reply(address, frame[1], ILLEGAL_VALUE)
    return ok if ok is not None else with_crc(frame[:6])
