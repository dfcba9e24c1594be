"""The two CRC-8 variants the sensor buses use, both on the polynomial x^8 + x^5 + x^4 + 1 (0x31).

CRC-8/MAXIM (Dallas 1-Wire ROM codes and scratchpads): reflected (0x8C), initial value 0.
CRC-8/NRSC-5 as Sensirion uses it (SHT3x words): not reflected (0x31), initial value 0xFF.
"""

from __future__ import annotations


def _tables() -> tuple[list[int], list[int]]:
    maxim, sensirion = [], []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8C if crc & 1 else crc >> 1
        maxim.append(crc)
        crc = byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x31) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
        sensirion.append(crc)
    return maxim, sensirion


_MAXIM, _SENSIRION = _tables()


def crc8_maxim(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = _MAXIM[crc ^ byte]
    return crc


def crc8_sensirion(data: bytes) -> int:
    crc = 0xFF
    for byte in data:
        crc = _SENSIRION[crc ^ byte]
    return crc
