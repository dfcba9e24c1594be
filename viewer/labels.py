"""Label placement: each device's label goes to the nearest free spot around its icon.

Greedy, in the order given: candidate boxes below, above, beside and then further out
(with a leader line back to the icon) are tried nearest first; a box may not cover an
icon, another label or leave the plan. A label with no free spot within reach is left
out (the device still shows, and its inspector has everything); zooming in makes room.
"""

from __future__ import annotations

import math
from collections import defaultdict

Rect = tuple[int, int, int, int]          # x, y, w, h

CELL = 64


class _Grid:
    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], list[Rect]] = defaultdict(list)

    def _keys(self, r: Rect):
        x, y, w, h = r
        for cx in range(x // CELL, (x + w) // CELL + 1):
            for cy in range(y // CELL, (y + h) // CELL + 1):
                yield cx, cy

    def add(self, r: Rect) -> None:
        for key in self._keys(r):
            self.cells[key].append(r)

    def hits(self, r: Rect) -> bool:
        x, y, w, h = r
        for key in self._keys(r):
            for ox, oy, ow, oh in self.cells.get(key, ()):
                if x < ox + ow and ox < x + w and y < oy + oh and oy < y + h:
                    return True
        return False


def candidates(x: int, y: int, r: int, w: int, h: int, tiers: int) -> list[tuple[int, int]]:
    """Top-left corners to try for a ``w`` x ``h`` box around an icon of radius ``r`` at (x, y),
    nearest first."""
    gap = 3
    spots = set()
    for t in range(tiers):
        down = y + r + gap + t * (h + gap)
        up = y - r - gap - h - t * (h + gap)
        for shift in (0, -w // 2 - r, w // 2 + r, -w, w, -3 * w // 2, 3 * w // 2):
            spots.add((x - w // 2 + shift, down))
            spots.add((x - w // 2 + shift, up))
        for side in (x + r + gap + t * (w // 2), x - r - gap - w - t * (w // 2)):
            for lift in (-h // 2, -h - gap, gap):
                spots.add((side, y + lift - t * 0))
    return sorted(spots, key=lambda s: (math.hypot(s[0] + w / 2 - x, s[1] + h / 2 - y), s))


def place(items: list[tuple[str, int, int, int, int, int]], icons: list[Rect], bounds: Rect,
          tiers: int = 4, reach: int = 200) -> dict[str, tuple[Rect, bool]]:
    """``items``: (key, x, y, icon radius, label width, label height), most crowded placed first.
    Returns key -> (box, leader) where ``leader`` says the box sits away from its icon and wants a
    line back to it. A box is never further than ``reach`` pixels from its icon."""
    grid = _Grid()
    for rect in icons:
        grid.add(rect)
    bx, by, bw, bh = bounds
    out: dict[str, tuple[Rect, bool]] = {}
    for key, x, y, r, w, h in items:
        for left, top in candidates(x, y, r, w, h, tiers):
            box = (left, top, w, h)
            if left < bx or top < by or left + w > bx + bw or top + h > by + bh:
                continue
            if _distance_to_box(x, y, box) > reach:
                break                                   # candidates come nearest first
            if grid.hits(box):
                continue
            grid.add(box)
            near = _distance_to_box(x, y, box) <= r + 6
            out[key] = (box, not near)
            break
    return out


def _distance_to_box(x: int, y: int, box: Rect) -> float:
    left, top, w, h = box
    dx = max(left - x, 0, x - (left + w))
    dy = max(top - y, 0, y - (top + h))
    return math.hypot(dx, dy)


def leader_end(x: int, y: int, box: Rect) -> tuple[int, int]:
    """The point of ``box`` nearest (x, y): where a leader line meets the label."""
    left, top, w, h = box
    return min(max(x, left), left + w), min(max(y, top), top + h)
