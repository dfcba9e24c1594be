"""Room metres to screen pixels: fit the room into the plan area, zoom about a point, pan."""

from __future__ import annotations

from dataclasses import dataclass

MARGIN_PX = 24
MIN_ZOOM, MAX_ZOOM = 0.25, 40.0


@dataclass
class View:
    area: tuple[int, int, int, int]          # x, y, width, height of the plan on screen
    room: tuple[float, float]                # width, depth of the room, m
    zoom: float = 1.0
    pan: tuple[float, float] = (0.0, 0.0)    # pixels, on top of the fitted position
    version: int = 0                          # bumps whenever the mapping changes

    @property
    def fit_scale(self) -> float:
        x, y, w, h = self.area
        rw, rh = self.room
        return max(min((w - 2 * MARGIN_PX) / max(rw, 1e-6), (h - 2 * MARGIN_PX) / max(rh, 1e-6)), 1e-3)

    @property
    def scale(self) -> float:
        """Pixels per metre."""
        return self.fit_scale * self.zoom

    def origin(self) -> tuple[float, float]:
        x, y, w, h = self.area
        rw, rh = self.room
        s = self.scale
        return x + (w - rw * s) / 2 + self.pan[0], y + (h - rh * s) / 2 + self.pan[1]

    def transform(self) -> tuple[float, float, float]:
        """(origin x, origin y, pixels per metre), computed once per change of the view."""
        key = (self.version, self.area, self.zoom, self.pan)
        if getattr(self, "_key", None) != key:
            ox, oy = self.origin()
            self._transform, self._key = (ox, oy, self.scale), key
        return self._transform

    def to_screen(self, point: tuple[float, float]) -> tuple[int, int]:
        ox, oy, s = self.transform()
        return int(round(ox + point[0] * s)), int(round(oy + point[1] * s))

    def to_room(self, pixel: tuple[float, float]) -> tuple[float, float]:
        ox, oy = self.origin()
        s = self.scale
        return (pixel[0] - ox) / s, (pixel[1] - oy) / s

    def zoom_at(self, pixel: tuple[float, float], factor: float) -> None:
        """Zoom by ``factor`` keeping the room point under ``pixel`` where it is."""
        before = self.to_room(pixel)
        self.zoom = min(max(self.zoom * factor, MIN_ZOOM), MAX_ZOOM)
        after = self.to_screen(before)
        self.pan = (self.pan[0] + pixel[0] - after[0], self.pan[1] + pixel[1] - after[1])
        self.version += 1

    def move(self, dx: float, dy: float) -> None:
        self.pan = (self.pan[0] + dx, self.pan[1] + dy)
        self.version += 1

    def fit(self) -> None:
        self.zoom, self.pan = 1.0, (0.0, 0.0)
        self.version += 1

    def resize(self, area: tuple[int, int, int, int]) -> None:
        if area != self.area:
            self.area = area
            self.version += 1
