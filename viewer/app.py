"""The viewer: one object that reads the trace and the scene, draws a frame, and turns clicks and
keys into inputs for the lab. It does not drive the clock (see ``viewer.driver``), so it can
draw into a window or into an offscreen surface (snapshots, tests, the benchmark) alike.

Layout: the time bar on top, the plan in the middle, the dock under it (the event list, and a
serial console per UART the user opened, each a tab), the inspector on the right.
"""

from __future__ import annotations

import time

from .display import quiet_pygame

quiet_pygame()

import pygame  # noqa: E402

from . import console, events, faultmenu, inspector, style, topbar  # noqa: E402
from .controls import Controls, parse_args  # noqa: E402
from .fonts import Fonts  # noqa: E402
from .i18n import Words  # noqa: E402
from .plan import Plan  # noqa: E402
from .scene import Scene  # noqa: E402
from .state import LabState, TraceFeed  # noqa: E402
from .traffic import Traffic  # noqa: E402
from .view import View  # noqa: E402
from .widgets import Hotspots, TextField  # noqa: E402

TOP_H = 38
SPEED_KEYS = {pygame.K_1: 1.0, pygame.K_2: 10.0, pygame.K_3: 100.0, pygame.K_4: float("inf")}
DEFAULT_HIDDEN = frozenset({"sample"})
#: Panels of the dock under the plan, by name (a tab is ``name`` or ``name:key``): each draws itself into
#: the dock's rectangle. ``console:DEVICE.PORT`` is the serial console on that UART (``viewer.console``).
DOCK = {"events": events.draw, "console": console.draw}


class Viewer:
    def __init__(self, sim, until: float, *, size: tuple[int, int] = (1400, 900), lang: str = "en",
                 surface: pygame.Surface | None = None, fonts: Fonts | None = None, text_scale: float = 1.0) -> None:
        self.sim = sim
        self.scene = Scene(sim.scene)
        self.fonts = fonts or Fonts(lang, scale=text_scale)
        self.words = Words(self.fonts.lang)
        self.state = LabState()
        self.traffic = Traffic(self.scene)
        self.feed = TraceFeed()
        self.controls = Controls(sim, until)
        self.hotspots = Hotspots()
        self.plan_renderer = Plan(self.scene, self.fonts, self.words)
        self.surface = surface if surface is not None else pygame.Surface(size)
        self.plan = "room"
        self.view = View((0, 0, 1, 1), self.scene.size_of(self.plan))
        self._layout()
        self.selected: str | None = None
        self.fault_menu_open = False
        self.fault_menu_scroll = 0
        self.fault_menu_height = 0
        self.fault_values: dict[tuple[str, str], dict[str, str]] = {}
        self.fault_ports: dict[tuple[str, str], str] = {}
        self.text_field: TextField | None = None
        self.hidden_kinds: set[str] = set(DEFAULT_HIDDEN)
        self.event_device: str | None = None
        self.event_scroll = 0
        self.event_rows = 10
        self.event_record: dict | None = None
        self.dock_tab = "events"
        self.consoles: dict[str, console.Console] = {}     # "device.port" -> its console, in tab order
        self.overview_cache: tuple | None = None
        self.panel_scroll = 0
        self.panel_height = 0
        self.lagging = False
        self.closed = False
        self._drag: tuple[int, int] | None = None
        self._dragged = False
        self._toast: tuple[str, bool, float] | None = None
        self._seen_replies = 0
        sim.trace.subscribe(self.feed)

    def detach(self) -> None:
        """Stop listening to the trace and unplug the consoles (the lab goes on without the viewer)."""
        self.sim.trace.unsubscribe(self.feed)
        for con in self.consoles.values():
            con.close()

    # -- layout --------------------------------------------------------------------------------------------
    def _layout(self) -> None:
        w, h = self.surface.get_size()
        panel_w = max(300, min(440, int(w * 0.28)))
        dock_h = max(130, min(240, int(h * 0.22)))
        self.top_rect = pygame.Rect(0, 0, w, TOP_H)
        self.panel_rect = pygame.Rect(w - panel_w, TOP_H, panel_w, h - TOP_H)
        self.dock_rect = pygame.Rect(0, h - dock_h, w - panel_w, dock_h)
        self.plan_rect = pygame.Rect(0, TOP_H, w - panel_w, h - TOP_H - dock_h)
        self.view.resize(tuple(self.plan_rect))

    def resize(self, surface: pygame.Surface) -> None:
        self.surface = surface
        self._layout()

    def show_plan(self, plan: str) -> None:
        if plan in self.scene.plans and plan != self.plan:
            self.plan = plan
            self.view = View(tuple(self.plan_rect), self.scene.size_of(plan))

    def fit(self) -> None:
        self.view.fit()

    # -- the trace in ------------------------------------------------------------------------------------------
    def ingest(self, anim_now: float | None = None) -> int:
        """Take what the trace delivered since the last call; the number of records."""
        now = time.monotonic() if anim_now is None else anim_now
        n = 0
        for batch in self.feed.take():
            self.traffic.ingest(self.state.ingest(batch), now)
            n += len(batch)
        for con in self.consoles.values():
            con.take()
        return n

    # -- a frame ------------------------------------------------------------------------------------------------
    def render(self, anim_now: float | None = None) -> pygame.Surface:
        now = time.monotonic() if anim_now is None else anim_now
        self.hotspots.begin()
        target = self.surface
        self.plan_renderer.draw(target, self.view, self.plan, self.state, self.traffic, now, self.selected)
        if self.fault_menu_open:
            faultmenu.draw(self, self.plan_rect)
        self._status(now)
        DOCK.get(self.dock_tab.partition(":")[0], events.draw)(self, self.dock_rect)
        inspector.draw(self, self.panel_rect)
        topbar.draw(self, self.top_rect)
        self.hotspots.end()
        return target

    def _status(self, now: float) -> None:
        controls = self.controls
        if controls.answered != self._seen_replies and controls.replies:
            self._seen_replies = controls.answered
            text, ok = controls.replies[-1]
            self._toast = (text, ok, now)
        lines = []
        if self._toast is not None and now - self._toast[2] < 6.0:
            lines.append((self._toast[0], style.OK if self._toast[1] else style.FAULT))
        if self.fonts.note:
            lines.append((self.fonts.note.removeprefix("viewer: "), style.TEXT_DIM))
        y = self.plan_rect.bottom - 8
        for text, colour in reversed(lines):
            image = self.fonts.text(text, "small", colour, bold=True)
            y -= image.get_height() + 4
            box = pygame.Rect(self.plan_rect.right - image.get_width() - 18, y - 2, image.get_width() + 10,
                              image.get_height() + 4)
            self.surface.fill((255, 255, 255), box)
            pygame.draw.rect(self.surface, colour, box, 1)
            self.surface.blit(image, (box.x + 5, box.y + 2))

    # -- selections and panels ------------------------------------------------------------------------------
    def select(self, device: str | None) -> None:
        if device != self.selected:
            self.panel_scroll = 0
            self.fault_menu_scroll = 0
        self.selected = device
        if device is None:
            self.fault_menu_open = False

    def open_fault_menu(self) -> None:
        if self.selected:
            self.fault_menu_open = not self.fault_menu_open
            self.fault_menu_scroll = 0

    def close_fault_menu(self) -> None:
        self.fault_menu_open = False
        self.text_field = None

    # -- the dock and its serial consoles ---------------------------------------------------------------
    def show_dock(self, tab: str) -> None:
        if tab == "events" or tab.partition(":")[2] in self.consoles:
            self.dock_tab = tab
        if tab.startswith("console:"):
            self.focus_console(tab.partition(":")[2])

    def uart_ports(self, device: str | None) -> list[str]:
        dev = self.scene.devices.get(device or "")
        return console.uart_ports(dev) if dev is not None else []

    def open_console(self, device: str, port: str | None = None) -> console.Console | None:
        """The console on ``device.port`` (its first UART if no port), opened if need be, in front and
        taking the keyboard; None (and a line in the status bar) for a device without that UART."""
        uarts = self.uart_ports(device)
        if not uarts or (port is not None and port not in uarts):
            what = device if port is None else f"{device}.{port}"
            self._note(f"{what} {self.words('no_uart')}")
            return None
        port = port or uarts[0]
        key = f"{device}.{port}"
        con = self.consoles.get(key)
        if con is None:
            if self.controls.finished:          # nothing drains the inbox any more: it could never attach
                self._note(f"{key}: {self.words('run_ended')}")
                return None
            label = device if len(uarts) == 1 else key
            con = self.consoles[key] = console.Console(self.sim, device, port, label, lambda: self.controls.finished,
                                                       self._note, self.words)
        self.show_dock(f"console:{key}")
        return con

    def close_console(self, key: str) -> None:
        con = self.consoles.pop(key, None)
        if con is None:
            return
        con.close()
        if self.text_field is con.field:
            self.text_field = None
        if self.dock_tab == f"console:{key}":
            self.dock_tab = "events"

    def focus_console(self, key: str) -> None:
        con = self.consoles.get(key)
        if con is not None:
            self.dock_tab = f"console:{key}"
            self.text_field = con.field

    def active_console(self) -> console.Console | None:
        return self.consoles.get(self.dock_tab.partition(":")[2]) if self.dock_tab.startswith("console:") else None

    def _note(self, text: str) -> None:
        self.controls.replies.append((text, False))
        self.controls.answered += 1

    def filter_events_by(self, device: str | None) -> None:
        self.event_device = None if device == self.event_device else device
        self.event_scroll = 0

    def toggle_kind(self, kind: str) -> None:
        (self.hidden_kinds.discard if kind in self.hidden_kinds else self.hidden_kinds.add)(kind)
        self.event_scroll = 0

    def visible_kinds(self) -> list[str] | None:
        if not self.hidden_kinds:
            return None
        return [k for k in self.state.kinds if k not in self.hidden_kinds]

    def pick_record(self, record: dict) -> None:
        self.event_record = record
        for key in ("device", "src", "target"):
            name = str(record.get(key) or "").partition(".")[0]
            if name in self.scene.devices:
                self.select(name)
                break

    def next_fault_port(self, device: str, entry: dict) -> None:
        ports = entry.get("ports") or list(self.scene.devices[device].ports)
        if not ports:
            return
        current = self.fault_ports.get((device, entry["name"]), ports[0])
        self.fault_ports[(device, entry["name"])] = ports[(ports.index(current) + 1) % len(ports)] \
            if current in ports else ports[0]

    def edit_fault_param(self, device: str, fault: str, param: str, current: str) -> None:
        def commit(text: str) -> None:
            self.fault_values.setdefault((device, fault), {})[param] = text.strip()
        self.text_field = TextField(f"fault:{device}:{fault}:{param}", current, commit, commit_on_blur=True)

    def edit_command(self, device: str, name: str) -> None:
        def commit(text: str) -> None:
            command, args = parse_args(f"{name} {text}")
            self.controls.command(device, command, args)
        self.text_field = TextField(f"command:{device}:{name}", "", commit)

    # -- input -----------------------------------------------------------------------------------------------
    def handle(self, event) -> None:
        kind = event.type
        if kind == pygame.QUIT:
            self.closed = True
        elif kind == pygame.MOUSEBUTTONDOWN and event.button in (1, 2, 3):
            self._press(event.pos, event.button)
        elif kind == pygame.MOUSEBUTTONUP:
            self._drag = None
        elif kind == pygame.MOUSEMOTION and self._drag is not None:
            dx, dy = event.pos[0] - self._drag[0], event.pos[1] - self._drag[1]
            if self._dragged or abs(dx) + abs(dy) > 3:
                self._dragged = True
                self.view.move(dx, dy)
                self._drag = event.pos
        elif kind == pygame.MOUSEWHEEL:
            self._wheel(pygame.mouse.get_pos() if not hasattr(event, "pos") else event.pos, event.y)
        elif kind == pygame.TEXTINPUT and self.text_field is not None:
            self.text_field.type(event.text)
        elif kind == pygame.KEYDOWN:
            self._key(event)

    def _press(self, pos, button: int) -> None:
        if button == 1:
            spot = self.hotspots.at(pos)
            field, self.text_field = self.text_field, None
            if field is not None and field.commit_on_blur:
                field.commit(field.text)
            if spot is not None:
                spot.action()
                return
        if self.plan_rect.collidepoint(pos):
            if button == 1:
                device = self.plan_renderer.device_at(self.view, self.plan, pos)
                self.select(device)
            self._drag, self._dragged = pos, False

    def _wheel(self, pos, clicks: int) -> None:
        if self.fault_menu_open and faultmenu.rect_for(self.plan_rect).collidepoint(pos):
            self.fault_menu_scroll = max(0, min(self.fault_menu_scroll - 40 * clicks,
                                                max(0, self.fault_menu_height - 200)))
        elif self.plan_rect.collidepoint(pos):
            self.view.zoom_at(pos, 1.2 ** clicks)
        elif self.panel_rect.collidepoint(pos):
            self.panel_scroll = max(0, min(self.panel_scroll - 40 * clicks,
                                           max(0, self.panel_height - self.panel_rect.height + 40)))
        elif self.dock_rect.collidepoint(pos):
            con = self.active_console()
            if con is not None:
                con.scroll_by(3 * clicks)
            else:
                self.event_scroll = max(0, self.event_scroll + 3 * clicks)

    def _key(self, event) -> None:
        key = event.key
        if self.text_field is not None:
            if self.text_field.key(event):
                self.text_field = None
            return
        if key == pygame.K_SPACE:
            self.controls.toggle_pause()
        elif key in (pygame.K_s, pygame.K_PERIOD):
            self.controls.step()
        elif key in SPEED_KEYS:
            self.controls.set_speed(SPEED_KEYS[key])
        elif key == pygame.K_f:
            self.open_fault_menu()
        elif key == pygame.K_e:
            self.filter_events_by(self.selected)
        elif key == pygame.K_c and self.selected:
            uarts = self.uart_ports(self.selected)
            free = [p for p in uarts if f"{self.selected}.{p}" not in self.consoles]
            self.open_console(self.selected, (free or uarts or [None])[0])
        elif key == pygame.K_ESCAPE:
            if self.fault_menu_open:
                self.close_fault_menu()
            else:
                self.select(None)
        elif key in (pygame.K_PLUS, pygame.K_EQUALS, pygame.K_KP_PLUS):
            self.view.zoom_at(self.plan_rect.center, 1.25)
        elif key in (pygame.K_MINUS, pygame.K_KP_MINUS):
            self.view.zoom_at(self.plan_rect.center, 1 / 1.25)
        elif key in (pygame.K_0, pygame.K_HOME):
            self.fit()
        elif key in (pygame.K_LEFT, pygame.K_RIGHT, pygame.K_UP, pygame.K_DOWN):
            step = 60
            self.view.move(step * ((key == pygame.K_LEFT) - (key == pygame.K_RIGHT)),
                           step * ((key == pygame.K_UP) - (key == pygame.K_DOWN)))
        elif key in (pygame.K_PAGEUP, pygame.K_PAGEDOWN) and self.active_console() is not None:
            self.active_console().scroll_by(5 if key == pygame.K_PAGEUP else -5)
        elif key == pygame.K_PAGEUP:
            self.event_scroll += self.event_rows
        elif key == pygame.K_PAGEDOWN:
            self.event_scroll = max(0, self.event_scroll - self.event_rows)
        elif key == pygame.K_TAB:
            ids = list(self.scene.devices)
            if ids:
                i = ids.index(self.selected) + 1 if self.selected in ids else 0
                self.select(ids[i % len(ids)])
        elif key == pygame.K_p and len(self.scene.plans) > 1:
            plans = self.scene.plans
            self.show_plan(plans[(plans.index(self.plan) + 1) % len(plans)])

    # -- positions, for tests and scripts -------------------------------------------------------------------------
    def device_pixel(self, device: str) -> tuple[int, int]:
        x, y, _ = self.plan_renderer.positions(self.view, self.plan)[device]
        return x, y
