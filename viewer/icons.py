"""Device icons by family, drawn once per size and kept as sprites.

Sensors are circles, gateways rounded squares with an antenna, DAQ / IO modules chips with
pins, actuators hexagons; any other family is a diamond in a colour of its own. The
centre of every icon is its family colour, whatever the device's state: states are rings
and badges around it (running, fault, offline), so the plan reads the same for families
that do not exist yet.
"""

from __future__ import annotations

import math

import pygame

from .style import Colour, family_colour, family_shape

OUTLINE: Colour = (30, 34, 42)

_sprites: dict[tuple, pygame.Surface] = {}


def radius_for(scale_px_per_m: float, family: str) -> int:
    r = max(5, min(14, int(round(0.13 * scale_px_per_m))))
    return r + 2 if family == "gateways" else r


def sprite(family: str, r: int) -> pygame.Surface:
    key = (family, r)
    surface = _sprites.get(key)
    if surface is None:
        surface = _sprites[key] = _draw(family, r)
    return surface


def _draw(family: str, r: int) -> pygame.Surface:
    pad = 4
    size = 2 * (r + pad)
    surface = pygame.Surface((size, size), pygame.SRCALPHA)
    c = size // 2
    colour = family_colour(family)
    shape = family_shape(family)
    if shape == "circle":
        pygame.draw.circle(surface, colour, (c, c), r)
        pygame.draw.circle(surface, OUTLINE, (c, c), r, 1)
    elif shape == "square":
        rect = pygame.Rect(c - r, c - r, 2 * r, 2 * r)
        pygame.draw.rect(surface, colour, rect, border_radius=max(2, r // 3))
        pygame.draw.rect(surface, OUTLINE, rect, 1, border_radius=max(2, r // 3))
        pygame.draw.line(surface, OUTLINE, (c + r // 2, c - r), (c + r // 2 + 2, c - r - pad + 1), 2)
    elif shape == "chip":
        rect = pygame.Rect(c - r, c - int(r * 0.75), 2 * r, int(r * 1.5))
        for i in range(3):
            x = c - r + (i + 1) * (2 * r) // 4
            pygame.draw.line(surface, OUTLINE, (x, rect.top - 3), (x, rect.bottom + 2), 1)
        pygame.draw.rect(surface, colour, rect, border_radius=2)
        pygame.draw.rect(surface, OUTLINE, rect, 1, border_radius=2)
    elif shape == "hexagon":
        points = [(c + r * math.cos(math.pi / 3 * k), c + r * math.sin(math.pi / 3 * k)) for k in range(6)]
        pygame.draw.polygon(surface, colour, points)
        pygame.draw.polygon(surface, OUTLINE, points, 1)
    else:
        points = [(c, c - r), (c + r, c), (c, c + r), (c - r, c)]
        pygame.draw.polygon(surface, colour, points)
        pygame.draw.polygon(surface, OUTLINE, points, 1)
    return surface


def blit_icon(target: pygame.Surface, family: str, r: int, centre: tuple[int, int]) -> None:
    image = sprite(family, r)
    target.blit(image, (centre[0] - image.get_width() // 2, centre[1] - image.get_height() // 2))


_dots: dict[tuple, pygame.Surface] = {}


def dot(colour, r: int = 5) -> pygame.Surface:
    """A frame in flight: a filled disc with a dark rim."""
    key = (colour, r)
    surface = _dots.get(key)
    if surface is None:
        surface = _dots[key] = pygame.Surface((2 * r + 1, 2 * r + 1), pygame.SRCALPHA)
        pygame.draw.circle(surface, colour, (r, r), r)
        pygame.draw.circle(surface, OUTLINE, (r, r), r, 1)
    return surface
