"""Colours and shapes: device families, signal forms, wall materials, record kinds.

Known names get a chosen colour; a family or form the viewer has never heard of gets a
generic one (families: a colour of its own derived from its name, drawn with the generic
icon), so a new device family or wire form shows up without a change here.
"""

from __future__ import annotations

import colorsys
import zlib

Colour = tuple[int, int, int]

BACKGROUND: Colour = (236, 238, 241)
FLOOR: Colour = (252, 252, 249)
GRID: Colour = (232, 233, 228)
BENCH: Colour = (222, 205, 176)
BENCH_EDGE: Colour = (170, 140, 100)
TEXT: Colour = (25, 28, 34)
TEXT_DIM: Colour = (105, 110, 120)
PANEL: Colour = (250, 250, 252)
PANEL_EDGE: Colour = (200, 204, 212)
BAR: Colour = (38, 44, 56)
BAR_TEXT: Colour = (235, 238, 244)
BUTTON: Colour = (62, 70, 86)
BUTTON_ON: Colour = (46, 125, 210)
HILITE: Colour = (46, 125, 210)
FAULT: Colour = (220, 30, 40)
LOST: Colour = (220, 30, 40)
OK: Colour = (30, 150, 70)
OFF: Colour = (150, 150, 150)
LABEL_BOX: tuple[int, int, int, int] = (255, 255, 255, 215)

#: Device families the viewer draws with an icon of their own.
FAMILY_COLOURS: dict[str, Colour] = {
    "sensors": (24, 150, 110),
    "gateways": (36, 96, 196),
    "daq": (122, 72, 184),
    "actuators": (222, 128, 16),
}
FAMILY_SHAPES: dict[str, str] = {"sensors": "circle", "gateways": "square", "daq": "chip", "actuators": "hexagon"}
GENERIC_SHAPE = "diamond"

#: Signal forms on wires (see ``sim.ports.FORMS``), plus the forms rooms to come will bring.
FORM_COLOURS: dict[str, Colour] = {
    "analog_v": (238, 128, 14),
    "current_loop": (204, 30, 64),
    "digital": (64, 84, 112),
    "pulse": (190, 48, 170),
    "single_wire": (112, 150, 10),
    "onewire": (0, 150, 150),
    "i2c": (40, 110, 235),
    "rs485": (104, 56, 204),
    "uart": (150, 96, 40),
    "switched": (200, 160, 0),
    "ethernet": (30, 160, 60),
    "power": (120, 20, 20),
}
GENERIC_FORM: Colour = (150, 150, 150)
BUS_FORMS = frozenset({"rs485", "i2c", "onewire", "ethernet", "uart"})

MATERIAL_COLOURS: dict[str, Colour] = {
    "concrete": (110, 112, 118),
    "brick": (170, 78, 54),
    "drywall": (185, 182, 170),
    "glass": (110, 180, 225),
    "wood": (150, 108, 58),
    "metal": (70, 82, 96),
}
MATERIAL_WIDTH_M: dict[str, float] = {"concrete": 0.2, "brick": 0.2, "drywall": 0.1, "glass": 0.08,
                                      "wood": 0.1, "metal": 0.06}

#: Record kinds in the event list.
KIND_COLOURS: dict[str, Colour] = {
    "sample": (24, 130, 96), "frame.tx": (104, 56, 204), "frame.rx": (60, 100, 200),
    "frame.lost": LOST, "fault.on": FAULT, "fault.off": (200, 110, 30), "alarm": (200, 40, 40),
    "event": (160, 110, 0), "state": (60, 60, 60), "output": (222, 128, 16), "input.error": FAULT,
    "env.event": (30, 140, 160), "rule": (122, 72, 184),
}


def _hashed(name: str, saturation: float, value: float) -> Colour:
    hue = (zlib.crc32(name.encode("utf-8")) % 360) / 360.0
    r, g, b = colorsys.hsv_to_rgb(hue, saturation, value)
    return int(r * 255), int(g * 255), int(b * 255)


def family_colour(family: str) -> Colour:
    return FAMILY_COLOURS.get(family) or _hashed(family, 0.55, 0.72)


def family_shape(family: str) -> str:
    return FAMILY_SHAPES.get(family, GENERIC_SHAPE)


def form_colour(form: str) -> Colour:
    return FORM_COLOURS.get(form, GENERIC_FORM)


def material_colour(material: str) -> Colour:
    return MATERIAL_COLOURS.get(material, (90, 90, 90))


def kind_colour(kind: str) -> Colour:
    return KIND_COLOURS.get(kind, TEXT_DIM)


def dim(colour: Colour, amount: float = 0.5) -> Colour:
    """``colour`` mixed towards white."""
    return tuple(int(c + (255 - c) * amount) for c in colour)  # type: ignore[return-value]


def rssi_colour(rssi_dbm: float) -> Colour:
    """Radio links: green above -70 dBm, amber to -85, red below."""
    if rssi_dbm >= -70:
        return OK
    if rssi_dbm >= -85:
        return (220, 150, 0)
    return LOST
