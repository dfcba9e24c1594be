"""Cayenne LPP: the payload format LoRaWAN nodes in classrooms send readings in.

Each value is ``channel, type, data`` (big-endian): temperature 0x67 (int16, 0.1 °C), humidity 0x68
(uint8, 0.5 %RH), illuminance 0x65 (uint16, 1 lx), digital input 0x00 (uint8), analog input 0x02
(int16, 0.01), concentration 0x7D (uint16, 1 ppm). ``encode`` picks the type from a reading's
field name; ``decode`` returns ``[(channel, type, value)]``.
"""

from __future__ import annotations

import struct

TEMPERATURE, HUMIDITY, ILLUMINANCE, DIGITAL, ANALOG, CONCENTRATION = 0x67, 0x68, 0x65, 0x00, 0x02, 0x7D
#: type -> (struct format, scale)
TYPES = {TEMPERATURE: (">h", 10.0), HUMIDITY: (">B", 2.0), ILLUMINANCE: (">H", 1.0), DIGITAL: (">B", 1.0),
         ANALOG: (">h", 100.0), CONCENTRATION: (">H", 1.0)}
FIELD_TYPES = {"temperature_c": TEMPERATURE, "humidity_rh": HUMIDITY, "illuminance_lux": ILLUMINANCE,
               "co2_ppm": CONCENTRATION, "gas_ppm": CONCENTRATION, "door_open": DIGITAL, "flame": ANALOG,
               "water_leak": DIGITAL}


class LppError(ValueError):
    pass


def type_for(field: str) -> int:
    return FIELD_TYPES.get(field, ANALOG)


def encode(values: list[tuple[int, str, float]]) -> bytes:
    """``[(channel, field, value)]`` -> LPP bytes; values are clipped to what the type can hold."""
    out = bytearray()
    for channel, field, value in values:
        kind = type_for(field)
        fmt, scale = TYPES[kind]
        lo, hi = {">h": (-32768, 32767), ">H": (0, 65535), ">B": (0, 255)}[fmt]
        raw = max(lo, min(hi, round(float(value) * scale)))
        out += bytes([channel & 0xFF, kind]) + struct.pack(fmt, raw)
    return bytes(out)


def decode(data: bytes) -> list[tuple[int, int, float]]:
    out, i = [], 0
    while i < len(data):
        if i + 2 > len(data):
            raise LppError(f"LPP: a value header is cut short at byte {i}")
        channel, kind = data[i], data[i + 1]
        if kind not in TYPES:
            raise LppError(f"LPP: unknown type 0x{kind:02X} on channel {channel}")
        fmt, scale = TYPES[kind]
        size = struct.calcsize(fmt)
        if i + 2 + size > len(data):
            raise LppError(f"LPP: the value of channel {channel} is cut short")
        (raw,) = struct.unpack(fmt, data[i + 2:i + 2 + size])
        out.append((channel, kind, raw / scale))
        i += 2 + size
    return out
