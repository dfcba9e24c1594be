"""The right-hand panel: the selected device (parameters from the scene; readings, frames, faults
and outputs from the trace; switches, commands and a serial console on each UART, into the
inbox), or the room's legend and wiring list when nothing is selected."""

from __future__ import annotations

import pygame

from . import icons, style
from .console import uart_ports
from .oled import OledPictures
from .plan import LCD_LIT, LCD_TEXT, LCD_UNLIT, led_colour
from .readings import format_reading, split_unit
from .state import details
from .widgets import button, fit_button, sparkline, wrap


class Column:
    """Lines laid down one under another, scrolled, clipped to the panel."""

    def __init__(self, v, rect: pygame.Rect, scroll: int) -> None:
        self.v, self.rect = v, rect
        self.x, self.y = rect.x + 10, rect.y + 8 - scroll
        self.width = rect.width - 20
        self.line = v.fonts.line_height("small") + 2
        self.top = self.y

    def visible(self, h: int) -> bool:
        return self.y + h > self.rect.y and self.y < self.rect.bottom

    def heading(self, text: str) -> None:
        self.y += 6
        image = self.v.fonts.text(text, "normal", style.TEXT, bold=True)
        self.v.surface.blit(image, (self.x, self.y))
        self.y += image.get_height() + 2
        pygame.draw.line(self.v.surface, style.PANEL_EDGE, (self.x, self.y), (self.x + self.width, self.y))
        self.y += 3

    def text(self, text: str, colour=style.TEXT, bold: bool = False, indent: int = 0, size: str = "small") -> None:
        step = self.line if size == "small" else self.v.fonts.line_height(size) + 2
        for part in wrap(self.v.fonts, text, self.width - indent, size):
            if self.visible(step):
                self.v.surface.blit(self.v.fonts.text(part, size, colour, bold), (self.x + indent, self.y))
            self.y += step

    def pair(self, key: str, value: str, colour=style.TEXT) -> None:
        image = self.v.fonts.text(key, "small", style.TEXT_DIM)
        if self.visible(self.line):
            self.v.surface.blit(image, (self.x, self.y))
        indent = max(110, image.get_width() + 8)
        lines = wrap(self.v.fonts, value, self.width - indent)
        for part in lines or [""]:
            if self.visible(self.line):
                self.v.surface.blit(self.v.fonts.text(part, "small", colour), (self.x + indent, self.y))
            self.y += self.line

    @property
    def height(self) -> int:
        return self.y - self.top


def draw(v, rect: pygame.Rect) -> None:
    target = v.surface
    if not (v.selected and v.selected in v.scene.devices):
        _draw_overview(v, rect)
        return
    target.fill(style.PANEL, rect)
    pygame.draw.line(target, style.PANEL_EDGE, rect.topleft, rect.bottomleft)
    target.set_clip(rect)
    col = Column(v, rect, v.panel_scroll)
    _device(v, col)
    v.panel_height = col.height
    target.set_clip(None)


def _draw_overview(v, rect: pygame.Rect) -> None:
    """The room's legend and wiring depend only on the scene: drawn once per size, scroll and language."""
    key = (tuple(rect), v.panel_scroll, v.words.lang)
    cached = getattr(v, "overview_cache", None)
    if cached is None or cached[0] != key:
        panel = pygame.Surface(rect.size)
        panel.fill(style.PANEL)
        pygame.draw.line(panel, style.PANEL_EDGE, (0, 0), (0, rect.height))
        surface, v.surface = v.surface, panel
        try:
            col = Column(v, pygame.Rect((0, 0), rect.size), v.panel_scroll)
            _overview(v, col)
        finally:
            v.surface = surface
        cached = v.overview_cache = (key, panel, col.height)
    v.surface.blit(cached[1], rect.topleft)
    v.panel_height = cached[2]


# -- one device ------------------------------------------------------------------------------------------------
def _device(v, col: Column) -> None:
    dev = v.scene.devices[v.selected]
    fonts, words, state, target, spots = v.fonts, v.words, v.state, v.surface, v.hotspots
    icons.blit_icon(target, dev.family, 12, (col.x + 12, col.y + 14))
    title = fonts.text(dev.id, "title", style.TEXT, bold=True)
    target.blit(title, (col.x + 32, col.y + 4))
    if dev.label:
        target.blit(fonts.text(dev.label, "normal", style.TEXT_DIM), (col.x + 40 + title.get_width(), col.y + 6))
    col.y += 32
    kind_title = dev.title_zh if words.lang == "zh" and dev.title_zh else dev.title
    col.text(f"{dev.type}" + (f" — {kind_title}" if kind_title else ""), style.TEXT_DIM)
    col.text(f"{words('family')}: {words.family(dev.family)} · {words('position')}: "
             f"{dev.pos[0]:g}, {dev.pos[1]:g} m" + (f" ({dev.plan})" if dev.plan != "room" else ""), style.TEXT_DIM)
    h = col.line + 4
    r = button(target, fonts, spots, fit_button(fonts, f"{words('faults')}… (F)", col.x, col.y + 4, h),
               f"{words('faults')}… (F)", "inspector.faults", v.open_fault_menu, on=v.fault_menu_open)
    r = button(target, fonts, spots, fit_button(fonts, f"{words('events')} (E)", r.right + 6, col.y + 4, h),
               f"{words('events')} (E)", "inspector.events", lambda: v.filter_events_by(dev.id),
               on=v.event_device == dev.id)
    uarts = uart_ports(dev)
    for port in uarts:                        # a serial console on each UART (form: uart)
        text = f"{words('open_console')} (C)" if len(uarts) == 1 else f"{words('open_console')}: {port}"
        place = fit_button(fonts, text, r.right + 6, col.y + 4, h)
        if place.right > col.x + col.width:
            col.y += h + 6
            place.x = col.x
        r = button(target, fonts, spots, place, text, f"inspector.console:{port}",
                   lambda p=port: v.open_console(dev.id, p), on=f"{dev.id}.{port}" in v.consoles)
    col.y += h + 8
    if state.is_offline(dev.id):
        col.text(f"{words('offline')} ({', '.join(sorted(w or dev.id for w in state.offline[dev.id]))})",
                 style.FAULT, bold=True)

    readings = state.readings(dev.id)
    if readings:
        col.heading(words("readings"))
        for field, value in readings.items():
            quantity, _ = split_unit(field)
            if col.visible(24):
                target.blit(fonts.text(quantity, "small", style.TEXT_DIM), (col.x, col.y + 4))
                target.blit(fonts.text(format_reading(field, value), "normal", style.TEXT, bold=True),
                            (col.x + 120, col.y + 2))
                sparkline(target, state.series(dev.id, field), (col.x + col.width - 110, col.y + 2, 110, 20),
                          style.family_colour(dev.family))
            col.y += 24

    _outputs(v, col, dev)
    _pins_and_display(v, col, dev)

    faults = state.active_faults(dev.id)
    col.heading(words("active_faults"))
    if not faults:
        col.text(words("none"), style.TEXT_DIM)
    for (name, where), params in sorted(faults.items()):
        extra = ", ".join(f"{k}={v_}" for k, v_ in params.items() if v_ is not None)
        y = col.y
        col.text(f"{name} @ {where}" + (f" ({extra})" if extra else ""), style.FAULT, bold=True, indent=0)
        r = fit_button(fonts, words("clear"), 0, y, col.line)
        r.right = col.x + col.width
        if col.rect.collidepoint(r.center):
            button(target, fonts, spots, r, words("clear"), f"fault.clear:{name}@{where}",
                   lambda n=name, w=where: v.controls.clear(w, n))

    if dev.commands:
        col.heading(words("commands"))
        for name, help_text in dev.commands.items():
            y = col.y
            col.text(f"{name}: {help_text}", style.TEXT, indent=0)
            area = pygame.Rect(col.x, y, col.width, col.y - y)
            if col.rect.colliderect(area):
                spots.add(area, f"command:{name}", lambda n=name: v.edit_command(dev.id, n))
            field = v.text_field
            if field is not None and field.name == f"command:{dev.id}:{name}":
                _input_box(v, col, field.text)

    params = {k: val for k, val in dev.params.items() if val not in (None, [], {}, "")}
    if params:
        col.heading(words("parameters"))
        for key, value in params.items():
            col.pair(key, _short(value))

    col.heading(words("ports"))
    wired = {}
    for index in v.scene.wires_of.get(dev.id, ()):
        wire = v.scene.wires[index]
        port = wire.end(dev.id)
        other = f"{wire.b}.{wire.b_port}" if wire.a == dev.id and wire.a_port == port else f"{wire.a}.{wire.a_port}"
        wired.setdefault(port, []).append(other)
    for port, form in dev.ports.items():
        if port in wired:
            col.pair(port, f"{words.form(form)} → {', '.join(wired[port])}", style.form_colour(form))
    unwired = [p for p in dev.ports if p not in wired]
    if unwired:
        col.text(f"+ {len(unwired)}: {', '.join(unwired)}", style.TEXT_DIM)

    frames = list(state.frames.get(dev.id, ()))[-8:]
    if frames:
        col.heading(words("frames"))
        for record in reversed(frames):
            kind = record["kind"][6:]
            text = record.get("data") or record.get("reason") or ""
            col.text(f"{record['t']:.3f}  {record['src']} {kind} {record.get('port', '')}  {text}",
                     style.kind_colour(record["kind"]))

    latest = {k: r for k, r in state.latest.get(dev.id, {}).items() if not k.startswith("frame.")}
    if latest:
        col.heading(words("latest"))
        for kind, record in sorted(latest.items()):
            col.text(f"{record['t']:.3f} {kind}: {details(record)}", style.kind_colour(kind))


def _outputs(v, col: Column, dev) -> None:
    """Outputs this device switches (a relay module's contacts), or the relay that switches it."""
    words, state = v.words, v.state
    outputs = state.outputs.get(dev.id, {})
    ports = [p for p, role in dev.roles.items() if role == "source" and dev.ports.get(p) == "switched"]
    ports += [p for p in outputs if p and p not in ports]
    rows = []
    if ports and "set" in dev.commands:
        rows = [(p, bool(outputs.get(p)), dev.id, p) for p in ports]
    feeders = []
    for index in v.scene.wires_of.get(dev.id, ()):
        wire = v.scene.wires[index]
        mine = wire.end(dev.id)
        if dev.ports.get(mine) != "switched":
            continue
        other, other_port = (wire.b, wire.b_port) if wire.a == dev.id else (wire.a, wire.a_port)
        feeder = v.scene.devices.get(other)
        if feeder is not None and "set" in feeder.commands:
            feeders.append((mine, other, other_port))
    if not rows and not feeders and "" not in outputs:
        return
    col.heading(words("outputs"))
    if "" in outputs:
        col.text(words("on").upper() if outputs[""] else words("off"),
                 style.family_colour("actuators") if outputs[""] else style.TEXT_DIM, bold=True)
    for name, on, target_dev, port in rows:
        _switch_row(v, col, name, on, target_dev, port)
    for mine, other, other_port in feeders:
        on = bool(state.outputs.get(other, {}).get(other_port))
        _switch_row(v, col, f"{mine} ← {words('switched_by')} {other}.{other_port}", on, other, other_port)


def _pins_and_display(v, col: Column, dev) -> None:
    """A board's named outputs (LEDs, relay, PWM duty) and the lines on a character display."""
    words, state = v.words, v.state
    leds = state.leds.get(dev.id)
    if leds:
        col.heading(words("pins"))
        for name in sorted(leds):
            level = leds[name]
            if 0 < level < 1:
                text, colour = f"PWM {level * 100:.1f} %", style.family_colour("actuators")
            else:
                text = words("on").upper() if level else words("off")
                colour = style.family_colour("actuators") if level else style.TEXT_DIM
            y = col.y
            if col.visible(col.line):
                pygame.draw.circle(v.surface, led_colour(level), (col.x + 5, y + col.line // 2), 4)
            col.pair(f"   {name}", text, colour)
    lines = state.lcd_lines(dev.id)
    if lines is not None:
        col.heading(words("lcd"))
        record = state.lcd[dev.id]
        line = v.fonts.line_height("mono")
        rect = pygame.Rect(col.x, col.y + 2, v.fonts.size("M" * 16, "mono")[0] + 8, 2 * line + 6)
        if col.visible(rect.height + 6):
            v.surface.fill(LCD_LIT if record.get("backlight", True) else LCD_UNLIT, rect)
            for i, text in enumerate(lines):
                v.surface.blit(v.fonts.text(text, "mono", LCD_TEXT), (rect.x + 4, rect.y + 3 + i * line))
        col.y += rect.height + 6
        if not record.get("backlight", True):
            col.text(words("backlight_off"), style.TEXT_DIM)
    oled = state.oled.get(dev.id)
    if oled is not None:
        col.heading(words("lcd"))
        picture = _OLED.picture(dev.id, oled)
        if col.visible(picture.get_height() + 6):
            v.surface.blit(picture, (col.x, col.y + 2))
        col.y += picture.get_height() + 6
        if not oled.get("on"):
            col.text(words("off"), style.TEXT_DIM)


_OLED = OledPictures()


def _switch_row(v, col: Column, text: str, on: bool, device: str, port: str) -> None:
    fonts, words = v.fonts, v.words
    y = col.y
    col.text(text, style.TEXT)
    label = words("on").upper() if on else words("off")
    r = pygame.Rect(col.x + col.width - 64, y - 1, 64, col.line)
    if col.rect.collidepoint(r.center):
        button(v.surface, fonts, v.hotspots, r, label, f"switch:{device}.{port}",
               lambda: v.controls.command(device, "set", {"output": port, "on": not on}),
               on=on, colour=style.OK if on else style.OFF)


def _input_box(v, col: Column, text: str) -> None:
    rect = pygame.Rect(col.x, col.y + 2, col.width, col.line + 4)
    pygame.draw.rect(v.surface, (255, 255, 255), rect)
    pygame.draw.rect(v.surface, style.HILITE, rect, 1)
    image = v.fonts.text(text + "|", "small", style.TEXT)
    v.surface.blit(image, (rect.x + 4, rect.y + 2), (max(0, image.get_width() - rect.width + 8), 0,
                                                        rect.width - 8, rect.height))
    col.y += rect.height + 4


def _short(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_short(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_short(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# -- the room: legend and wiring ---------------------------------------------------------------------------------
def _overview(v, col: Column) -> None:
    fonts, words, scene, target = v.fonts, v.words, v.scene, v.surface
    col.text(scene.name, style.TEXT, bold=True, size="title")
    col.text(words("no_selection"), style.TEXT_DIM)
    families: dict[str, int] = {}
    for dev in scene.devices.values():
        families[dev.family] = families.get(dev.family, 0) + 1
    col.heading(f"{words('families')} · {words('legend')}")
    top = col.y
    for family, n in families.items():
        if col.visible(col.line):
            icons.blit_icon(target, family, 7, (col.x + 8, col.y + col.line // 2))
            target.blit(fonts.text(f"{words.family(family)} × {n}", "small", style.TEXT),
                        (col.x + 24, col.y))
        col.y += col.line
    left_bottom = col.y
    col.y, col.x = top, col.x + col.width // 2
    _legend_symbols(v, col)
    col.x -= col.width // 2
    col.y = max(col.y, left_bottom)
    forms: dict[str, int] = {}
    for wire in scene.wires:
        forms[wire.form] = forms.get(wire.form, 0) + 1
    if forms:
        col.heading(words("forms"))
        for form, n in forms.items():
            if col.visible(col.line):
                y = col.y + col.line // 2
                pygame.draw.line(target, style.form_colour(form), (col.x, y), (col.x + 18, y),
                                 3 if form in style.BUS_FORMS else 2)
                target.blit(fonts.text(f"{words.form(form)} × {n}", "small", style.TEXT), (col.x + 24, col.y))
            col.y += col.line
    if scene.wires:
        col.heading(words("wiring"))
        for i, wire in enumerate(scene.wires):
            left = len(scene.wires) - i
            if col.y + 2 * col.line > col.rect.bottom and left > 1 and col.visible(col.line):
                target.blit(fonts.text(f"… + {left} {words('more')}", "small", style.TEXT_DIM), (col.x + 16, col.y))
                col.y += col.line * left                # below the panel: only the height counts
                break
            if col.visible(col.line):
                y = col.y + col.line // 2
                pygame.draw.line(target, style.form_colour(wire.form), (col.x, y), (col.x + 10, y), 3)
                text = f"{wire.a}.{wire.a_port} → {wire.b}.{wire.b_port}"
                image = fonts.text(text, "small", style.TEXT)
                target.blit(image, (col.x + 16, col.y))
                other = scene.devices[wire.b]
                hint = other.label or other.type
                if wire.length_m and wire.length_m != 1.0:
                    hint += f", {wire.length_m:g} m"
                target.blit(fonts.text(hint, "small", style.TEXT_DIM), (col.x + 26 + max(image.get_width(), 150),
                                                                         col.y))
            col.y += col.line


def _legend_symbols(v, col: Column) -> None:
    fonts, words, target = v.fonts, v.words, v.surface
    rows = (("fault", words("legend_fault")), ("offline", words("legend_offline")),
            ("frame", words("legend_frame")), ("lost", words("legend_lost")))
    for what, text in rows:
        if col.visible(col.line):
            cx, cy = col.x + 8, col.y + col.line // 2
            if what == "fault":
                pygame.draw.circle(target, style.FAULT, (cx, cy), 7, 2)
            elif what == "offline":
                pygame.draw.circle(target, style.OFF, (cx, cy), 7, 2)
            elif what == "frame":
                pygame.draw.circle(target, style.form_colour("rs485"), (cx, cy), 5)
                pygame.draw.circle(target, icons.OUTLINE, (cx, cy), 5, 1)
            else:
                pygame.draw.line(target, style.LOST, (cx - 5, cy - 5), (cx + 5, cy + 5), 3)
                pygame.draw.line(target, style.LOST, (cx - 5, cy + 5), (cx + 5, cy - 5), 3)
            target.blit(fonts.text(text, "small", style.TEXT), (col.x + 24, col.y))
        col.y += col.line
