"""IEEE 802.15.4 MAC and ZigBee NWK frames as bytes.

MAC (802.15.4-2006): frame control (2 bytes, little-endian), sequence number, addressing (PAN id
and 16-bit short addresses, little-endian), payload, FCS (CRC-16/KERMIT, little-endian). Data frames
use PAN id compression (one PAN id), short addresses both ends: ``41 88`` (broadcast) or ``61 88``
(ACK requested). An ACK is ``02 00 <seq> <FCS>``. Beacon request: MAC command 0x07 to the broadcast
PAN and address. A beacon carries the superframe spec (PAN coordinator and permit-join bits), empty
GTS and pending fields and the ZigBee beacon payload (protocol 0, stack profile 2, router capacity,
device depth, end-device capacity, extended PAN id, tx offset, update id).

NWK (ZigBee): frame control (2 bytes: type 0 data or 1 command, protocol version 2), destination,
source, radius, sequence number. Commands: route request 0x01 (options, id, destination, path cost;
option 0x08 = many-to-one, from a concentrator), route reply 0x02 (options, id, originator,
responder, path cost), rejoin request 0x06 (capability), rejoin response 0x07 (address, status).
"""

from __future__ import annotations

import struct
from functools import lru_cache
from typing import NamedTuple

BROADCAST = 0xFFFF
MTO_DST = 0xFFFC                          # a many-to-one route request's destination: all routers
MAC_DATA, MAC_ACK, MAC_CMD, MAC_BEACON = 1, 2, 3, 0
FC_DATA_BCAST = 0x8841                    # data, PAN id compression, short dst and src
FC_DATA_ACK = 0x8861                      # the same, ACK requested
FC_ACK = 0x0002
FC_BEACON_REQ = 0x0803                    # command, short dst, no src
FC_BEACON = 0x8000                        # beacon, short src
CMD_BEACON_REQUEST = 0x07

NWK_DATA, NWK_CMD = 0, 1
RREQ, RREP, REJOIN_REQ, REJOIN_RSP = 0x01, 0x02, 0x06, 0x07
MANY_TO_ONE = 0x08
CAP_ROUTER, CAP_RX_ON = 0x02, 0x08


def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC = _crc_table()


def fcs(data: bytes) -> int:
    """802.15.4 FCS: CRC-16/KERMIT (ITU-T polynomial, reflected, initial 0)."""
    crc = 0
    for byte in data:
        crc = (crc >> 8) ^ _CRC[(crc ^ byte) & 0xFF]
    return crc


def _seal(body: bytes) -> bytes:
    return body + struct.pack("<H", fcs(body))


class Mac(NamedTuple):
    kind: int
    seq: int
    pan: int
    dst: int
    src: int
    ack: bool
    payload: bytes


def data(seq: int, pan: int, dst: int, src: int, payload: bytes, ack: bool) -> bytes:
    fc = FC_DATA_ACK if ack and dst != BROADCAST else FC_DATA_BCAST
    return _seal(struct.pack("<HBHHH", fc, seq & 0xFF, pan, dst, src) + payload)


def ack(seq: int) -> bytes:
    return _seal(struct.pack("<HB", FC_ACK, seq & 0xFF))


def beacon_request(seq: int) -> bytes:
    return _seal(struct.pack("<HBHHB", FC_BEACON_REQ, seq & 0xFF, BROADCAST, BROADCAST, CMD_BEACON_REQUEST))


def beacon(seq: int, pan: int, src: int, coordinator: bool, permit: bool, router_capacity: bool,
           depth: int, end_device_capacity: bool) -> bytes:
    superframe = 0x0FFF | (int(coordinator) << 14) | (int(permit) << 15)
    zb = bytes([0x00, 0x22, (int(router_capacity) << 2) | ((depth & 0x0F) << 3) | (int(end_device_capacity) << 7)])
    zb += struct.pack("<Q", 0x00124B0000000000 | pan) + b"\xff\xff\xff\x00"
    return _seal(struct.pack("<HBHHHBB", FC_BEACON, seq & 0xFF, pan, src, superframe, 0, 0) + zb)


@lru_cache(maxsize=1024)
def parse(frame: bytes) -> Mac:
    """A MAC frame; ValueError if it is too short or its FCS is wrong. (Every receiver of a frame gets
    the same bytes: each distinct frame is checked once.)"""
    if len(frame) < 5:
        raise ValueError("shorter than a MAC frame")
    if struct.unpack("<H", frame[-2:])[0] != fcs(frame[:-2]):
        raise ValueError("FCS error")
    fc, seq = struct.unpack("<HB", frame[:3])
    kind = fc & 0x07
    if kind == MAC_ACK:
        return Mac(kind, seq, 0, 0, 0, False, b"")
    if kind == MAC_DATA and len(frame) >= 11:
        pan, dst, src = struct.unpack("<HHH", frame[3:9])
        return Mac(kind, seq, pan, dst, src, bool(fc & 0x20), frame[9:-2])
    if kind == MAC_CMD and len(frame) >= 10:
        pan, dst = struct.unpack("<HH", frame[3:7])
        return Mac(kind, seq, pan, dst, BROADCAST, False, frame[7:-2])
    if kind == MAC_BEACON and len(frame) >= 13:
        pan, src = struct.unpack("<HH", frame[3:7])
        return Mac(kind, seq, pan, BROADCAST, src, False, frame[7:-2])
    raise ValueError(f"unsupported MAC frame control 0x{fc:04X}")


class BeaconInfo(NamedTuple):
    coordinator: bool
    permit: bool
    router_capacity: bool
    depth: int
    end_device_capacity: bool


def parse_beacon(payload: bytes) -> BeaconInfo:
    """A beacon's fields after its addressing: superframe spec, GTS, pending, ZigBee payload."""
    if len(payload) < 7:
        raise ValueError("beacon payload too short")
    superframe = struct.unpack("<H", payload[:2])[0]
    caps = payload[6]
    return BeaconInfo(bool(superframe & 0x4000), bool(superframe & 0x8000), bool(caps & 0x04),
                      (caps >> 3) & 0x0F, bool(caps & 0x80))


class Nwk(NamedTuple):
    kind: int
    dst: int
    src: int
    radius: int
    seq: int
    payload: bytes


def nwk(kind: int, dst: int, src: int, radius: int, seq: int, payload: bytes) -> bytes:
    fc = kind | (2 << 2)
    return struct.pack("<HHHBB", fc, dst, src, radius & 0xFF, seq & 0xFF) + payload


def parse_nwk(payload: bytes) -> Nwk:
    if len(payload) < 8:
        raise ValueError("shorter than a NWK header")
    fc, dst, src, radius, seq = struct.unpack("<HHHBB", payload[:8])
    return Nwk(fc & 0x03, dst, src, radius, seq, payload[8:])


def rreq(options: int, rreq_id: int, dst: int, cost: int) -> bytes:
    return struct.pack("<BBBHB", RREQ, options, rreq_id & 0xFF, dst, min(cost, 255))


def rrep(options: int, rreq_id: int, originator: int, responder: int, cost: int) -> bytes:
    return struct.pack("<BBBHHB", RREP, options, rreq_id & 0xFF, originator, responder, min(cost, 255))


def rejoin_request(capability: int) -> bytes:
    return bytes([REJOIN_REQ, capability])


def rejoin_response(address: int, code: int) -> bytes:
    return struct.pack("<BHB", REJOIN_RSP, address, code)
