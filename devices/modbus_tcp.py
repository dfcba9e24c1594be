"""Modbus TCP framing (MBAP) and its conversion to and from Modbus RTU, byte for byte.

An MBAP header is 7 bytes: transaction id, protocol id (0 = Modbus), length (the bytes
that follow: unit id + PDU) and unit id, all big-endian. A gateway forwards the PDU to
the RS-485 slave whose address is the unit id, as ``unit + PDU + CRC``, and answers
with the same transaction and unit id.
"""

from __future__ import annotations

import struct

from .modbus import reply_problem, with_crc

HEADER = 7
#: Exception codes a gateway sends itself.
PATH_UNAVAILABLE, TARGET_NO_RESPONSE = 0x0A, 0x0B
BROADCAST = 0
#: Unit ids no RS-485 slave can have (Modbus reserves 248-255).
RESERVED_UNITS = range(248, 256)


def header(data: bytes) -> tuple[int, int, int] | str:
    """(transaction id, length, unit id) of the MBAP header at the start of ``data``, or what is wrong."""
    tid, protocol, length, unit = struct.unpack(">HHHB", data[:HEADER])
    if protocol != 0:
        return f"MBAP protocol id {protocol}, not 0 (Modbus)"
    if not 2 <= length <= 254:
        return f"MBAP length {length} is outside 2..254 (unit id + PDU)"
    return tid, length, unit


def request_size(pdu: bytes) -> int | None:
    """The size a request PDU of a standard function must have, or None when the function does not fix it
    (the slave judges those). ``pdu`` must hold at least its fixed part for functions with byte counts."""
    function = pdu[0]
    if function in (0x01, 0x02, 0x03, 0x04, 0x05, 0x06):
        return 5
    if function in (0x07, 0x0B, 0x0C, 0x11):
        return 1
    if function in (0x0F, 0x10):
        return 6 + pdu[5] if len(pdu) >= 6 else 6
    if function == 0x16:
        return 7
    if function == 0x17:
        return 10 + pdu[9] if len(pdu) >= 10 else 10
    return None


def adu(tid: int, unit: int, pdu: bytes) -> bytes:
    """An MBAP frame: header + PDU."""
    return struct.pack(">HHHB", tid, 0, len(pdu) + 1, unit) + pdu


def exception_pdu(function: int, code: int) -> bytes:
    return bytes([(function | 0x80) & 0xFF, code])


def rtu_request(unit: int, pdu: bytes) -> bytes:
    return with_crc(bytes([unit]) + pdu)


def reply_pdu(reply: bytes | None, unit: int, function: int) -> bytes | None:
    """The PDU of a slave's RTU reply, or None if it is no good reply to ``function`` from ``unit``
    (no reply, a bad CRC, another address, another function)."""
    if reply is None or len(reply) < 5:
        return None
    problem = reply_problem(reply, unit, function)
    return None if problem and not problem.startswith("exception") else reply[1:-2]
