"""The room plan: floor, walls by material, benches, wires by signal form, devices, frames in flight,
a board's LEDs (a dot per named output, lit or dark) and a character display's lines.

What does not move (floor, walls, benches, wires) is drawn once per view into a surface
and blitted each frame; devices, labels, state rings, radio links and frames are drawn
over it, so a frame costs one large blit plus a blit per icon and label.
"""

from __future__ import annotations

import math

import pygame

from . import icons, labels, style
from .oled import OledPictures
from .readings import compact, outputs_line
from .scene import Scene
from .state import LabState
from .traffic import Traffic
from .view import View


LEADER = (60, 64, 74)
LED_R = 4                          # an LED dot's radius in pixels
LED_LIT = (255, 64, 40)
LED_DARK = (92, 44, 40)
LED_COLUMN = 3                     # dots per column, right of the icon
LCD_CHARS = 16
LCD_LIT = (132, 196, 60)           # an LCD1602's backlit green, its text black
LCD_UNLIT = (70, 96, 48)
LCD_TEXT = (14, 22, 10)


def led_spots(x: int, y: int, r: int, count: int) -> list[tuple[int, int]]:
    """Centres of a device's ``count`` LED dots, in columns right of its icon (centre x, y, radius r),
    clear of the ring an output that is on draws around the icon."""
    step = 2 * LED_R + 3
    return [(x + r + 10 + LED_R + (i // LED_COLUMN) * step, y - r + LED_R + (i % LED_COLUMN) * step)
            for i in range(count)]


def led_colour(level: float) -> tuple[int, int, int]:
    """Dark to lit by the output's level (a PWM duty lights it in between)."""
    level = max(0.0, min(1.0, level))
    return tuple(int(d + (l - d) * level) for d, l in zip(LED_DARK, LED_LIT))  # type: ignore[return-value]


class Plan:
    def __init__(self, scene: Scene, fonts, words) -> None:
        self.scene, self.fonts, self.words = scene, fonts, words
        self._static: pygame.Surface | None = None
        self._static_key: tuple | None = None
        self._positions: dict[str, tuple[int, int, int]] = {}
        self._positions_key: tuple | None = None
        self._labels: dict[str, tuple[tuple[int, int, int, int], bool]] = {}
        self._labels_key: tuple | None = None
        self._boxes: dict[tuple, pygame.Surface] = {}
        self._sprite_list: list = []
        self._sprites_key: tuple | None = None
        self._values: dict[str, tuple[float, str, tuple[int, int, int]]] = {}
        self._values_changed = -1
        self._oled_pictures = OledPictures()
        self._labels_at = 0.0
        self.counts: dict[str, int] = {}    # what the last frame drew: icons, wires, dots, labels (the benchmark)
        self.show_labels = True

    # -- geometry ---------------------------------------------------------------------------------------
    def positions(self, view: View, plan: str) -> dict[str, tuple[int, int, int]]:
        """device -> (x, y, icon radius) on screen."""
        key = (view.version, view.area, plan)
        if key != self._positions_key:
            scale = view.scale
            out = {}
            for dev in self.scene.devices.values():
                pos = self.scene.pos(dev.id, plan)
                if pos is None:
                    continue
                x, y = view.to_screen(pos)
                r = icons.radius_for(scale, dev.family)
                if dev.plan != plan:
                    r = max(3, r // 2)
                out[dev.id] = (x, y, r)
            self._positions, self._positions_key = out, key
        return self._positions

    def device_at(self, view: View, plan: str, pixel: tuple[int, int]) -> str | None:
        best, best_d = None, 1e9
        for dev, (x, y, r) in self.positions(view, plan).items():
            d = math.hypot(pixel[0] - x, pixel[1] - y)
            if d <= r + 4 and d < best_d:
                best, best_d = dev, d
        return best

    def _sprites(self, view: View, plan: str, positions, area) -> list:
        """(icon, top-left) for every device on screen, for one ``blits`` call; kept per view."""
        key = (view.version, view.area, plan)
        if key != self._sprites_key:
            out = []
            for dev_id, (x, y, r) in positions.items():
                if area.collidepoint(x, y):
                    image = icons.sprite(self.scene.devices[dev_id].family, r)
                    out.append((image, (x - image.get_width() // 2, y - image.get_height() // 2)))
            self._sprite_list, self._sprites_key = out, key
        return self._sprite_list

    # -- the unmoving layer ------------------------------------------------------------------------------
    def _static_layer(self, view: View, plan: str) -> pygame.Surface:
        key = (view.version, view.area, plan)
        if key == self._static_key and self._static is not None:
            return self._static
        ax, ay, aw, ah = view.area
        surface = pygame.Surface((aw, ah))
        surface.fill(style.BACKGROUND)
        scale = view.scale

        def at(point):
            x, y = view.to_screen(point)
            return x - ax, y - ay

        w, h = self.scene.size_of(plan)
        x0, y0 = at((0, 0))
        x1, y1 = at((w, h))
        pygame.draw.rect(surface, style.FLOOR, (x0, y0, x1 - x0, y1 - y0))
        step = _grid_step(scale)
        if step:
            k = step
            while k < w:
                pygame.draw.line(surface, style.GRID, at((k, 0)), at((k, h)))
                k += step
            k = step
            while k < h:
                pygame.draw.line(surface, style.GRID, at((0, k)), at((w, k)))
                k += step
        if plan == "room":
            for bench in self.scene.benches:
                bx, by = at(bench.get("pos_m") or (0, 0))
                bw, bh = (bench.get("size_m") or (1.8, 0.8))
                rect = pygame.Rect(bx, by, max(2, int(bw * scale)), max(2, int(bh * scale)))
                pygame.draw.rect(surface, style.BENCH, rect, border_radius=3)
                pygame.draw.rect(surface, style.BENCH_EDGE, rect, 1, border_radius=3)
                text = bench.get("label") or ""
                if text and scale > 25:
                    image = self.fonts.text(text, "small", style.BENCH_EDGE, bold=True)
                    surface.blit(image, (rect.right - image.get_width() - 4, rect.bottom - image.get_height() - 2))
        else:
            ox, oy = self.scene.room_on_campus()
            rx, ry = at((ox, oy))
            rw, rh = self.scene.size
            pygame.draw.rect(surface, style.BENCH, (rx, ry, max(3, int(rw * scale)), max(3, int(rh * scale))))
            image = self.fonts.text(self.scene.name, "small", style.BENCH_EDGE, bold=True)
            surface.blit(image, (rx, ry - image.get_height() - 2))
        for wall in self.scene.walls_of(plan):
            material = wall.get("material", "brick")
            width = max(3, min(10, int(style.MATERIAL_WIDTH_M.get(material, 0.15) * scale)))
            pygame.draw.line(surface, style.material_colour(material), at(wall["from_m"]), at(wall["to_m"]), width)
        if plan == "room":
            for wire in self.scene.wires:
                points = [at(p) for p in wire.points]
                width = 3 if wire.form in style.BUS_FORMS else 2
                pygame.draw.lines(surface, style.form_colour(wire.form), False, points, width)
        self._static, self._static_key = surface, key
        return surface

    # -- labels -----------------------------------------------------------------------------------------------
    def _name(self, dev) -> str:
        return f"{dev.id} · {dev.label or dev.type}"

    def _value(self, dev_id: str, state: LabState) -> tuple[str, tuple[int, int, int]]:
        faults = state.active_faults(dev_id)
        if faults:
            names = ", ".join(sorted({name for name, _ in faults}))
            return f"! {names}", style.FAULT
        if state.is_offline(dev_id):
            return self.words("offline"), style.FAULT
        outputs = state.outputs.get(dev_id)
        if outputs:
            return outputs_line(outputs, self.words("on").upper(), self.words("off")), style.family_colour("actuators")
        return compact(state.readings(dev_id)), style.TEXT

    def _layout_labels(self, view: View, plan: str, state: LabState, positions, now: float) -> None:
        """Place the labels again when the view changes, or (at most once a second) when more devices
        have a reading to show."""
        view_key = (round(view.scale, 3), view.area, plan, self.fonts.lang)
        key = view_key + (len(state.last_sample), len(state.outputs), len(state.faults), len(state.leds),
                          len(state.lcd), len(state.oled))
        if key == self._labels_key:
            return
        if self._labels_key is not None and self._labels_key[:4] == view_key and 0 <= now - self._labels_at < 1.0:
            return
        self._labels_at = now
        with_value = frozenset(d for d in positions if d in state.last_sample or d in state.outputs
                               or d in state.faults)
        line = self.fonts.line_height("small")
        items = []
        order = _crowded_first(positions)
        for dev_id in order:
            x, y, r = positions[dev_id]
            dev = self.scene.devices[dev_id]
            if dev.plan != plan:
                continue
            width = self.fonts.size(self._name(dev), "small", bold=True)[0]
            lines = 1
            if dev_id in with_value:
                width = max(width, self.fonts.size(self._value(dev_id, state)[0] or "-", "small")[0], 56)
                lines = 2
            items.append((dev_id, x, y, r, width + 8, lines * line + 4))
        icon_boxes = [(x - r - 2, y - r - 2, 2 * r + 4, 2 * r + 4) for x, y, r in positions.values()]
        icon_boxes += self._indicator_boxes(state, positions)
        if plan == "room" and view.scale > 25:
            for bench in self.scene.benches:
                text = bench.get("label") or ""
                if text:
                    bx, by = bench.get("pos_m") or (0, 0)
                    bw, bh = bench.get("size_m") or (1.8, 0.8)
                    right, bottom = view.to_screen((bx + bw, by + bh))
                    w, h = self.fonts.size(text, "small", bold=True)
                    icon_boxes.append((right - w - 4, bottom - h - 2, w, h))
        placed = labels.place(items, icon_boxes, view.area, tiers=8 if len(items) <= 150 else 3)
        ox, oy = view.origin()
        self._labels = {d: ((bx - int(ox), by - int(oy), bw, bh), leader) for d, ((bx, by, bw, bh), leader) in placed.items()}
        self._labels_key = key

    # -- a frame ------------------------------------------------------------------------------------------------
    def draw(self, target: pygame.Surface, view: View, plan: str, state: LabState, traffic: Traffic,
             anim_now: float, selected: str | None) -> None:
        area = pygame.Rect(view.area)
        target.set_clip(area)
        target.blit(self._static_layer(view, plan), area.topleft)
        positions = self.positions(view, plan)
        wires = len(self.scene.wires) if plan == "room" else 0
        dots = icons_drawn = marks = 0
        self._radio_links(target, view, plan, traffic)
        self._port_faults(target, view, plan, state)
        ox, oy, scale = view.transform()
        dot_list = []
        for packet, (px, py) in traffic.in_flight(anim_now, plan):
            image = icons.dot(packet.colour)
            dot_list.append((image, (int(ox + px * scale) - 5, int(oy + py * scale) - 5)))
        target.blits(dot_list, doreturn=False)
        dots = len(dot_list)
        for mark, point in traffic.lost_marks(plan):
            x, y = view.to_screen(point)
            pygame.draw.line(target, style.LOST, (x - 5, y - 5), (x + 5, y + 5), 3)
            pygame.draw.line(target, style.LOST, (x - 5, y + 5), (x + 5, y - 5), 3)
            image = self.fonts.text(mark.reason, "small", style.LOST, bold=True)
            box = pygame.Rect(x + 7, y - image.get_height() // 2, image.get_width() + 4, image.get_height())
            target.fill((255, 255, 255), box)
            target.blit(image, (box.x + 2, box.y))
            marks += 1
        if self.show_labels:
            self._layout_labels(view, plan, state, positions, anim_now)
            self._draw_leaders(target, view, positions)
        pulse = 0.5 + 0.5 * math.sin(anim_now * 6.0)
        for dev_id, outputs in state.outputs.items():
            if dev_id in positions and any(outputs.values()):
                x, y, r = positions[dev_id]
                pygame.draw.circle(target, (255, 205, 40), (x, y), r + 6, 3)
        sprites = self._sprites(view, plan, positions, area)
        target.blits(sprites, doreturn=False)
        icons_drawn = len(sprites)
        self._leds(target, state, positions)
        self._lcds(target, state, positions)
        self._oleds(target, state, positions)
        for dev_id, faults in state.faults.items():
            if faults and dev_id in positions:
                x, y, r = positions[dev_id]
                pygame.draw.circle(target, style.FAULT, (x, y), r + 4 + int(2 * pulse), 2)
                _badge(target, self.fonts, "!", style.FAULT, (x + r, y - r))
        for dev_id, where in state.offline.items():
            if where and dev_id in positions:
                x, y, r = positions[dev_id]
                pygame.draw.circle(target, style.OFF, (x, y), r + 3, 2)
                _badge(target, self.fonts, "×", style.OFF, (x - r, y - r))
        if selected in positions:
            x, y, r = positions[selected]
            pygame.draw.circle(target, style.HILITE, (x, y), r + 9, 2)
        drawn_labels = self._draw_labels(target, view, plan, state, positions, anim_now) if self.show_labels else 0
        self._scale_bar(target, view)
        target.set_clip(None)
        self.counts = {"icons": icons_drawn, "wires": wires, "dots": dots, "labels": drawn_labels, "marks": marks}

    # -- a board's LEDs and a character display --------------------------------------------------------
    def lcd_rect(self, x: int, y: int, r: int) -> pygame.Rect:
        """Where a device's LCD panel goes: centred above its icon."""
        w = self.fonts.size("M" * LCD_CHARS, "mono")[0]
        rect = pygame.Rect(0, 0, w + 8, 2 * self.fonts.line_height("mono") + 6)
        rect.midbottom = (x, y - r - 6)
        return rect

    def _indicator_boxes(self, state: LabState, positions) -> list[tuple[int, int, int, int]]:
        """The LED dots and LCD panels, as boxes the labels keep clear of."""
        boxes = []
        for dev_id, leds in state.leds.items():
            if dev_id in positions and leds:
                spots = led_spots(*positions[dev_id], len(leds))
                xs, ys = [p[0] for p in spots], [p[1] for p in spots]
                boxes.append((min(xs) - LED_R - 1, min(ys) - LED_R - 1, max(xs) - min(xs) + 2 * LED_R + 3,
                              max(ys) - min(ys) + 2 * LED_R + 3))
        for dev_id in state.lcd:
            if dev_id in positions:
                boxes.append(tuple(self.lcd_rect(*positions[dev_id])))
        for dev_id in state.oled:
            if dev_id in positions:
                boxes.append(tuple(self.oled_rect(*positions[dev_id])))
        return boxes

    def _leds(self, target, state: LabState, positions) -> None:
        for dev_id, leds in state.leds.items():
            if dev_id not in positions or not leds:
                continue
            names = sorted(leds)
            for name, centre in zip(names, led_spots(*positions[dev_id], len(names))):
                level = leds[name]
                if level > 0:
                    pygame.draw.circle(target, (255, 196, 170), centre, LED_R + 2)     # glow
                pygame.draw.circle(target, led_colour(level), centre, LED_R)
                if level <= 0:
                    pygame.draw.circle(target, icons.OUTLINE, centre, LED_R, 1)

    def _lcds(self, target, state: LabState, positions) -> None:
        for dev_id, record in state.lcd.items():
            if dev_id not in positions:
                continue
            lines = state.lcd_lines(dev_id, LCD_CHARS)
            rect = self.lcd_rect(*positions[dev_id])
            pygame.draw.rect(target, icons.OUTLINE, rect.inflate(4, 4), border_radius=3)
            target.fill(LCD_LIT if record.get("backlight", True) else LCD_UNLIT, rect)
            line = self.fonts.line_height("mono")
            for i, text in enumerate(lines or ()):
                if text.strip():
                    target.blit(self.fonts.text(text, "mono", LCD_TEXT), (rect.x + 4, rect.y + 3 + i * line))

    def oled_rect(self, x: int, y: int, r: int) -> pygame.Rect:
        """Where a device's OLED picture goes: half size, centred above its icon."""
        rect = pygame.Rect(0, 0, 64 + 4, 32 + 4)
        rect.midbottom = (x, y - r - 6)
        return rect

    def _oleds(self, target, state: LabState, positions) -> None:
        pictures = self._oled_pictures
        for dev_id, record in state.oled.items():
            if dev_id not in positions:
                continue
            rect = self.oled_rect(*positions[dev_id])
            pygame.draw.rect(target, icons.OUTLINE, rect, border_radius=2)
            target.blit(pictures.picture(dev_id, record, 0.5), (rect.x + 2, rect.y + 2))

    def _draw_leaders(self, target, view, positions) -> None:
        ox, oy = view.origin()
        for dev_id, ((bx, by, bw, bh), leader) in self._labels.items():
            if leader and dev_id in positions:
                x, y, _ = positions[dev_id]
                box = pygame.Rect(int(bx + ox), int(by + oy), bw, bh)
                pygame.draw.aaline(target, LEADER, (x, y), labels.leader_end(x, y, box))

    def _draw_labels(self, target, view, plan, state, positions, now: float) -> int:
        """Each label's reading is looked up at most four times a (wall) second."""
        values = self._values
        if state.changed != self._values_changed:
            values.clear()
            self._values_changed = state.changed
        ox, oy = view.origin()
        line = self.fonts.line_height("small")
        drawn = 0
        boxes = self._boxes
        for dev_id, ((bx, by, bw, bh), _) in self._labels.items():
            if dev_id not in positions:
                continue
            box = pygame.Rect(int(bx + ox), int(by + oy), bw, bh)
            plate = boxes.get((dev_id, box.size))
            if plate is None:                      # the box, the family stripe and the name: drawn once
                plate = boxes[(dev_id, box.size)] = pygame.Surface(box.size, pygame.SRCALPHA)
                plate.fill(style.LABEL_BOX)
                dev = self.scene.devices[dev_id]
                pygame.draw.line(plate, style.family_colour(dev.family), (0, 0), (0, bh), 2)
                plate.blit(self.fonts.text(self._name(dev), "small", style.TEXT, bold=True), (4, 2))
            target.blit(plate, box.topleft)
            if bh > line + 6:
                cached = values.get(dev_id)
                if cached is None or now - cached[0] > 0.25 or now < cached[0]:
                    cached = values[dev_id] = (now, *self._value(dev_id, state))
                _, text, colour = cached
                if text:
                    image = self.fonts.text(text, "small", colour)
                    target.blit(image, (box.x + 4, box.y + 2 + line), (0, 0, bw - 6, line))
            drawn += 1
        return drawn

    def _radio_links(self, target, view, plan, traffic: Traffic) -> None:
        for link in traffic.links.values():
            a, b = self.scene.pos(link.a, plan), self.scene.pos(link.b, plan)
            if a is None or b is None:
                continue
            if link.loss_ratio >= 0.5:
                colour = style.LOST
            elif link.rssi_dbm is not None:
                colour = style.rssi_colour(link.rssi_dbm)
            else:
                colour = style.form_colour(link.bus)
            _dashed(target, colour, view.to_screen(a), view.to_screen(b))

    def _port_faults(self, target, view, plan, state: LabState) -> None:
        """Wires on a port with an active fault: a cut wire gets a red cross, others a mark and the name."""
        if plan != "room":
            return
        for dev_id, faults in state.faults.items():
            for (name, where), _ in faults.items():
                _, dot, port = str(where).partition(".")
                if not dot:
                    continue
                for index in self.scene.wires_of.get(dev_id, ()):
                    wire = self.scene.wires[index]
                    if wire.end(dev_id) != port:
                        continue
                    points = [view.to_screen(p) for p in wire.points]
                    mx, my = points[len(points) // 2]
                    if name == "wire_break":
                        pygame.draw.lines(target, style.FAULT, False, points, 1)
                        pygame.draw.line(target, style.FAULT, (mx - 7, my - 7), (mx + 7, my + 7), 4)
                        pygame.draw.line(target, style.FAULT, (mx - 7, my + 7), (mx + 7, my - 7), 4)
                    else:
                        pygame.draw.circle(target, style.FAULT, (mx, my), 6)
                        image = self.fonts.text(name, "small", style.FAULT, bold=True)
                        target.blit(image, (mx + 8, my - image.get_height() // 2))

    def _scale_bar(self, target, view: View) -> None:
        scale = view.scale
        metres = next((m for m in (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000) if m * scale >= 60), 1000)
        x, y, w, h = view.area
        x0, y0 = x + 14, y + h - 14
        x1 = x0 + int(metres * scale)
        pygame.draw.line(target, style.TEXT, (x0, y0), (x1, y0), 2)
        for xx in (x0, x1):
            pygame.draw.line(target, style.TEXT, (xx, y0 - 4), (xx, y0 + 1), 2)
        image = self.fonts.text(f"{metres:g} m", "small", style.TEXT)
        target.blit(image, (x0 + 2, y0 - 4 - image.get_height()))


def _crowded_first(positions: dict[str, tuple[int, int, int]], radius: int = 90) -> list[str]:
    """Devices with the most neighbours within ``radius`` pixels first: they have the fewest free spots."""
    cells: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for x, y, _ in positions.values():
        cells.setdefault((x // radius, y // radius), []).append((x, y))
    def neighbours(item):
        x, y, _ = item[1]
        cx, cy = x // radius, y // radius
        return sum(1 for i in (-1, 0, 1) for j in (-1, 0, 1) for (ox, oy) in cells.get((cx + i, cy + j), ())
                   if (ox - x) ** 2 + (oy - y) ** 2 <= radius * radius)
    return [d for d, _ in sorted(positions.items(), key=lambda item: (-neighbours(item), item[0]))]


def _grid_step(scale: float) -> float:
    for step in (0.5, 1, 2, 5, 10, 50, 100, 500):
        if step * scale >= 40:
            return step
    return 0.0


def _badge(target, fonts, text: str, colour, centre) -> None:
    pygame.draw.circle(target, colour, centre, 6)
    image = fonts.text(text, "small", (255, 255, 255), bold=True)
    target.blit(image, (centre[0] - image.get_width() // 2, centre[1] - image.get_height() // 2))


def _dashed(target, colour, a, b, dash: int = 8) -> None:
    (x0, y0), (x1, y1) = a, b
    length = math.hypot(x1 - x0, y1 - y0)
    if length < 1:
        return
    steps = max(1, int(length // dash))
    for i in range(0, steps, 2):
        t0, t1 = i / steps, min(1.0, (i + 1) / steps)
        pygame.draw.line(target, colour, (x0 + (x1 - x0) * t0, y0 + (y1 - y0) * t0),
                         (x0 + (x1 - x0) * t1, y0 + (y1 - y0) * t1), 2)
