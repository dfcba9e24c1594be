"""Modbus RTU framing: CRC-16, requests, replies and exceptions, byte for byte.

CRC-16/MODBUS: polynomial 0xA001 (reflected 0x8005), initial value 0xFFFF, sent low
byte first. Slaves stay silent on a bad CRC or another address.
"""

from __future__ import annotations

import struct

ILLEGAL_FUNCTION, ILLEGAL_ADDRESS, ILLEGAL_VALUE = 0x01, 0x02, 0x03


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


def read_request(address: int, function: int, start: int, count: int) -> bytes:
    """FC01/02/03/04 request: ``01 03 00 00 00 02 C4 0B``."""
    return with_crc(struct.pack(">BBHH", address, function, start, count))


def write_single_request(address: int, register: int, value: int) -> bytes:
    """FC06 request."""
    return with_crc(struct.pack(">BBHH", address, 0x06, register, value))


def exception_reply(address: int, function: int, code: int) -> bytes:
    return with_crc(bytes([address, function | 0x80, code]))


def registers_reply(address: int, function: int, values: list[int]) -> bytes:
    body = struct.pack(">BBB", address, function, 2 * len(values))
    body += b"".join(struct.pack(">H", v & 0xFFFF) for v in values)
    return with_crc(body)


def parse_registers_reply(frame: bytes, address: int, function: int, count: int) -> list[int] | str:
    """The registers in a reply, or a short reason it is not a good reply."""
    if not crc_ok(frame):
        return "crc"
    if frame[0] != address:
        return "address"
    if frame[1] == function | 0x80:
        return f"exception {frame[2]:02X}"
    if frame[1] != function or frame[2] != 2 * count or len(frame) != 5 + 2 * count:
        return "malformed"
    return list(struct.unpack(f">{count}H", frame[3:3 + 2 * count]))


def to_signed(value: int) -> int:
    return value - 0x10000 if value & 0x8000 else value


class RegisterSlave:
    """A slave's answer logic over a register map; the device supplies the values.

    ``read(register) -> int | None`` (None: no such register) and
    ``write(register, value) -> str | None`` (None: accepted, else ``"address"``/``"value"``).
    """

    READ_FUNCTIONS = (0x03, 0x04)

    def __init__(self, read, write) -> None:
        self._read, self._write = read, write

    def answer(self, address: int, frame: bytes) -> bytes | None:
        if len(frame) < 4 or not crc_ok(frame) or frame[0] != address:
            return None                       # silent, as the standard requires
        function = frame[1]
        if function in self.READ_FUNCTIONS:
            if len(frame) != 8:
                return exception_reply(address, function, ILLEGAL_VALUE)
            start, count = struct.unpack(">HH", frame[2:6])
            if not 1 <= count <= 125:
                return exception_reply(address, function, ILLEGAL_VALUE)
            values = [self._read(r) for r in range(start, start + count)]
            if any(v is None for v in values):
                return exception_reply(address, function, ILLEGAL_ADDRESS)
            return registers_reply(address, function, values)
        if function == 0x06:
            if len(frame) != 8:
                return exception_reply(address, function, ILLEGAL_VALUE)
            register, value = struct.unpack(">HH", frame[2:6])
            verdict = self._write(register, value)
            if verdict == "address":
                return exception_reply(address, function, ILLEGAL_ADDRESS)
            if verdict == "value":
                return exception_reply(address, function, ILLEGAL_VALUE)
            return frame                       # FC06 echoes the request
        return exception_reply(address, function, ILLEGAL_FUNCTION)
