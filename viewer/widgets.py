"""Immediate-mode controls: panels register what can be clicked while they draw a frame, and the
next click goes to the last (topmost) region under the pointer. Each region has a name, so tests
and scripts can find a control by what it does (``hotspots.rect("fault.inject:power_loss")``).
One text field at a time takes the keyboard (a fault parameter, a command's arguments, a
serial console's line)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pygame

from . import style


@dataclass
class Hotspot:
    rect: pygame.Rect
    name: str
    action: Callable[[], None]


class Hotspots:
    def __init__(self) -> None:
        self._now: list[Hotspot] = []
        self._shown: list[Hotspot] = []

    def begin(self) -> None:
        self._now = []

    def end(self) -> None:
        self._shown = self._now

    def add(self, rect, name: str, action: Callable[[], None]) -> None:
        self._now.append(Hotspot(pygame.Rect(rect), name, action))

    def at(self, pixel) -> Hotspot | None:
        for spot in reversed(self._shown):
            if spot.rect.collidepoint(pixel):
                return spot
        return None

    def rect(self, name: str) -> pygame.Rect | None:
        for spot in self._shown:
            if spot.name == name:
                return spot.rect
        return None

    def names(self) -> list[str]:
        return [spot.name for spot in self._shown]


@dataclass
class TextField:
    """The line being typed; ``commit(text)`` runs on Enter, Esc drops it."""
    name: str
    text: str
    commit: Callable[[str], None]
    commit_on_blur: bool = False             # a click elsewhere keeps what was typed (a parameter)

    def key(self, event) -> bool:
        """Handle a key press; True when the field is finished (committed or cancelled)."""
        if event.key in (pygame.K_RETURN, pygame.K_KP_ENTER):
            self.commit(self.text)
            return True
        if event.key == pygame.K_ESCAPE:
            return True
        if event.key == pygame.K_BACKSPACE:
            self.text = self.text[:-1]
        return False

    def type(self, text: str) -> None:
        self.text += text


def button(target, fonts, hotspots: Hotspots, rect, text: str, name: str, action, *, on: bool = False,
           enabled: bool = True, size: str = "small", colour=None) -> pygame.Rect:
    rect = pygame.Rect(rect)
    fill = colour or (style.BUTTON_ON if on else style.BUTTON)
    if not enabled:
        fill = style.dim(fill, 0.55)
    pygame.draw.rect(target, fill, rect, border_radius=4)
    image = fonts.text(text, size, (255, 255, 255), bold=True)
    target.blit(image, (rect.centerx - image.get_width() // 2, rect.centery - image.get_height() // 2))
    if enabled:
        hotspots.add(rect, name, action)
    return rect


def fit_button(fonts, text: str, x: int, y: int, h: int, size: str = "small", pad: int = 8) -> pygame.Rect:
    return pygame.Rect(x, y, fonts.size(text, size, bold=True)[0] + 2 * pad, h)


def chip(target, fonts, hotspots: Hotspots, x: int, y: int, text: str, name: str, action, *, on: bool,
         colour) -> pygame.Rect:
    w = fonts.size(text, "small")[0] + 12
    h = fonts.line_height("small") + 2
    rect = pygame.Rect(x, y, w, h)
    if on:
        pygame.draw.rect(target, colour, rect, border_radius=h // 2)
        image = fonts.text(text, "small", (255, 255, 255))
    else:
        pygame.draw.rect(target, colour, rect, 1, border_radius=h // 2)
        image = fonts.text(text, "small", style.TEXT_DIM)
    target.blit(image, (x + 6, y + 1))
    hotspots.add(rect, name, action)
    return rect


def sparkline(target, values: list[float], rect, colour) -> None:
    rect = pygame.Rect(rect)
    pygame.draw.rect(target, (244, 245, 248), rect)
    if len(values) < 2:
        return
    lo, hi = min(values), max(values)
    span = hi - lo or 1.0
    step = rect.width / (len(values) - 1)
    points = [(rect.x + i * step, rect.bottom - 2 - (v - lo) / span * (rect.height - 4)) for i, v in enumerate(values)]
    pygame.draw.lines(target, colour, False, points, 1)


def wrap(fonts, text: str, width: int, size: str = "small") -> list[str]:
    """``text`` cut into lines no wider than ``width`` pixels (at spaces; CJK text at any character)."""
    out, line = [], ""
    words = text.split(" ") if " " in text else list(text)
    joiner = " " if " " in text else ""
    for word in words:
        trial = word if not line else line + joiner + word
        if fonts.size(trial, size)[0] <= width or not line:
            line = trial
        else:
            out.append(line)
            line = word
    if line:
        out.append(line)
    return out
