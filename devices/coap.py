"""The little of CoAP (RFC 7252) a BC95 speaks to its IoT platform: a NON POST to ``/t/d`` (the Huawei
platform's device path) and the payload of what comes back."""

from __future__ import annotations

import struct


def coap_post(payload: bytes, message_id: int) -> bytes:
    """A CoAP NON POST to /t/d carrying ``payload`` (RFC 7252)."""
    header = struct.pack(">BBH", 0x50, 0x02, message_id & 0xFFFF)        # ver 1, NON, no token; POST
    options = bytes([0xB1]) + b"t" + bytes([0x01]) + b"d"                  # Uri-Path "t", Uri-Path "d"
    return header + options + (b"\xff" + payload if payload else b"")


def coap_payload(message: bytes) -> bytes | None:
    """The payload of a CoAP message, or None if it is not one."""
    if len(message) < 4 or message[0] >> 6 != 1:
        return None
    i = 4 + (message[0] & 0x0F)
    while i < len(message):
        if message[i] == 0xFF:
            return message[i + 1:]
        delta, length = message[i] >> 4, message[i] & 0x0F
        i += 1
        for nibble in (delta, length):
            if nibble == 13:
                i += 1
            elif nibble == 14:
                i += 2
        if length == 13:
            length = message[i - 1] + 13
        i += length
    return b""
