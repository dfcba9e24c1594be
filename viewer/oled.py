"""An OLED's picture from its ``oled`` record (``pixels``: hex rows of 128 pixels, MSB on the left)."""

from __future__ import annotations

import numpy as np
import pygame

OLED_ON = (120, 210, 255)          # the common blue-white panel
OLED_OFF = (8, 12, 20)
WIDTH = 128


class OledPictures:
    """One surface per device, made again only when its record changes."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[tuple, pygame.Surface]] = {}

    def picture(self, device: str, record: dict, scale: float = 1.0) -> pygame.Surface:
        key = (record.get("pixels"), record.get("on"))
        cached = self._cache.get(device)
        if cached is None or cached[0] != key:
            cached = self._cache[device] = (key, _surface(record))
        surf = cached[1]
        if scale != 1.0:
            w, h = surf.get_size()
            surf = pygame.transform.scale(surf, (max(1, int(w * scale)), max(1, int(h * scale))))
        return surf


def _surface(record: dict) -> pygame.Surface:
    hexes = str(record.get("pixels") or "")
    rows = len(hexes) // (WIDTH // 4) or 64
    bits = np.zeros((rows, WIDTH), dtype=np.uint8)
    if hexes and record.get("on", True):
        try:
            bits = np.unpackbits(np.frombuffer(bytes.fromhex(hexes), dtype=np.uint8)).reshape(rows, WIDTH)
        except ValueError:
            pass
    rgb = np.where(bits[..., None].astype(bool), np.array(OLED_ON, np.uint8), np.array(OLED_OFF, np.uint8))
    return pygame.surfarray.make_surface(rgb.transpose(1, 0, 2))
