"""The read-only scene (``Simulation.scene``) as the viewer uses it: devices where they are drawn,
wires as curves in room metres, and the nets the wires form, to route a frame from one device to
another along the copper. Pure Python: no pygame, no device modules."""

from __future__ import annotations

import math
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

Point = tuple[float, float]
Node = tuple[str, str]                       # (device id, port)

CURVE_STEPS = 12
SPREAD_M = 0.35                              # devices that share a position are fanned out this far apart


@dataclass
class DeviceView:
    id: str
    type: str
    family: str
    pos: Point
    label: str = ""
    title: str = ""
    title_zh: str = ""
    ports: dict[str, str] = field(default_factory=dict)        # port -> signal form
    roles: dict[str, str] = field(default_factory=dict)        # port -> source | input | bus
    params: dict[str, Any] = field(default_factory=dict)
    faults: list[dict[str, Any]] = field(default_factory=list)
    commands: dict[str, str] = field(default_factory=dict)
    plan: str = "room"                                          # or "campus": pos is on the outdoor plan

    def fault(self, name: str) -> dict[str, Any] | None:
        return next((f for f in self.faults if f.get("name") == name), None)


@dataclass
class WireView:
    a: str
    a_port: str
    b: str
    b_port: str
    form: str
    length_m: float | None
    swap_ab: bool
    points: list[Point]

    def end(self, device: str) -> str | None:
        """The port this wire uses on ``device``."""
        return self.a_port if device == self.a else self.b_port if device == self.b else None


class Scene:
    def __init__(self, scene: dict[str, Any]) -> None:
        room = scene.get("room") or {}
        self.name: str = scene.get("name") or scene.get("lab") or "lab"
        self.lab: str = scene.get("lab") or ""
        size = room.get("size_m") or (10.0, 10.0)
        self.size: Point = (float(size[0]), float(size[1]))
        self.walls: list[dict[str, Any]] = list(room.get("walls") or [])
        self.benches: list[dict[str, Any]] = list(room.get("benches") or [])
        self.devices: dict[str, DeviceView] = {}
        for entry in scene.get("devices") or []:
            pos = entry.get("pos_m") or (0.0, 0.0)
            self.devices[entry["id"]] = DeviceView(
                id=entry["id"], type=entry.get("type", "?"), family=entry.get("family") or "device",
                pos=(float(pos[0]), float(pos[1])), label=entry.get("label") or "",
                title=entry.get("title") or "", title_zh=entry.get("title_zh") or "",
                ports=dict(entry.get("ports") or {}), roles=dict(entry.get("port_roles") or {}),
                params=dict(entry.get("params") or {}), faults=list(entry.get("faults") or []),
                commands=dict(entry.get("commands") or {}), plan=entry.get("plan") or "room")
        campus = room.get("campus") or None
        self.campus: dict[str, Any] | None = campus
        self._spread_shared_positions()
        self.wires: list[WireView] = []
        pair_count: dict[tuple[str, str], int] = defaultdict(int)
        for entry in scene.get("wiring") or []:
            a, _, a_port = str(entry["a"]).partition(".")
            b, _, b_port = str(entry["b"]).partition(".")
            if a not in self.devices or b not in self.devices:
                continue
            if self.devices[a].plan != self.devices[b].plan:
                continue
            pair = (a, b) if a <= b else (b, a)
            k = pair_count[pair]
            pair_count[pair] += 1
            self.wires.append(WireView(a, a_port, b, b_port, entry.get("form", "?"), entry.get("length_m"),
                                       bool(entry.get("swap_ab")),
                                       curve(self.devices[a].pos, self.devices[b].pos, k)))
        self._nets()
        self._routes: dict[tuple[Node, str], list[Point]] = {}
        self._lengths: dict[int, list[float]] = {}

    # -- layout -------------------------------------------------------------------------------
    def _spread_shared_positions(self) -> None:
        """Devices a scenario left at one spot (often the default 0, 0) are fanned out on a small
        grid around it, so each can be seen and clicked; the scene itself is not changed."""
        groups: dict[tuple[str, Point], list[DeviceView]] = defaultdict(list)
        for dev in self.devices.values():
            groups[(dev.plan, dev.pos)].append(dev)
        for (plan, (x, y)), devs in groups.items():
            w, h = self.size_of(plan)
            if len(devs) < 2:
                continue
            cols = math.ceil(math.sqrt(len(devs)))
            rows = math.ceil(len(devs) / cols)
            x0 = min(max(x - (cols - 1) * SPREAD_M / 2, 0.2), max(w - 0.2 - (cols - 1) * SPREAD_M, 0.2))
            y0 = min(max(y - (rows - 1) * SPREAD_M / 2, 0.2), max(h - 0.2 - (rows - 1) * SPREAD_M, 0.2))
            for i, dev in enumerate(devs):
                dev.pos = (x0 + (i % cols) * SPREAD_M, y0 + (i // cols) * SPREAD_M)

    # -- plans: the room, and the campus around it when the scenario has one ------------------------
    @property
    def plans(self) -> list[str]:
        return ["room", "campus"] if self.campus else ["room"]

    def size_of(self, plan: str) -> Point:
        if plan == "campus" and self.campus:
            w, h = self.campus.get("size_m") or self.size
            return float(w), float(h)
        return self.size

    def walls_of(self, plan: str) -> list[dict[str, Any]]:
        if plan == "campus":
            return list((self.campus or {}).get("walls") or [])
        return self.walls

    def room_on_campus(self) -> Point:
        x, y = (self.campus or {}).get("room_at_m") or (0.0, 0.0)
        return float(x), float(y)

    def pos(self, device: str, plan: str) -> Point | None:
        """Where ``device`` is drawn on ``plan``: room devices appear on the campus inside the room's
        outline; campus devices are not on the room plan."""
        dev = self.devices.get(device)
        if dev is None:
            return None
        if dev.plan == plan:
            return dev.pos
        if plan == "campus" and dev.plan == "room":
            ox, oy = self.room_on_campus()
            return ox + dev.pos[0], oy + dev.pos[1]
        return None

    def _nets(self) -> None:
        self.adjacent: dict[Node, list[tuple[int, Node]]] = defaultdict(list)
        for i, wire in enumerate(self.wires):
            a, b = (wire.a, wire.a_port), (wire.b, wire.b_port)
            self.adjacent[a].append((i, b))
            self.adjacent[b].append((i, a))
        self.net_of: dict[Node, int] = {}
        self.net_members: list[list[Node]] = []
        for node in self.adjacent:
            if node in self.net_of:
                continue
            net = len(self.net_members)
            members, todo = [], [node]
            self.net_of[node] = net
            while todo:
                here = todo.pop()
                members.append(here)
                for _, there in self.adjacent[here]:
                    if there not in self.net_of:
                        self.net_of[there] = net
                        todo.append(there)
            self.net_members.append(members)
        self.wires_of: dict[str, list[int]] = defaultdict(list)
        for i, wire in enumerate(self.wires):
            self.wires_of[wire.a].append(i)
            self.wires_of[wire.b].append(i)

    def form_of(self, device: str, port: str) -> str | None:
        dev = self.devices.get(device)
        return dev.ports.get(port) if dev else None

    def route(self, start: Node, goal: str) -> list[Point]:
        """The copper from ``start`` (device, port) to device ``goal`` on the same net, as a polyline
        in room metres; empty if they are not connected."""
        key = (start, goal)
        cached = self._routes.get(key)
        if cached is not None:
            return cached
        path: list[Point] = []
        if start in self.adjacent:
            previous: dict[Node, tuple[int, Node] | None] = {start: None}
            queue = deque([start])
            end = None
            while queue:
                here = queue.popleft()
                if here[0] == goal and here != start:
                    end = here
                    break
                for wire, there in self.adjacent[here]:
                    if there not in previous:
                        previous[there] = (wire, here)
                        queue.append(there)
            if end is not None:
                hops = []
                node = end
                while previous[node] is not None:
                    wire, before = previous[node]     # type: ignore[misc]
                    hops.append((wire, before))
                    node = before
                for wire_index, before in reversed(hops):
                    wire = self.wires[wire_index]
                    points = wire.points if (wire.a, wire.a_port) == before else wire.points[::-1]
                    path.extend(points if not path else points[1:])
        self._routes[key] = path
        return path

    def route_lengths(self, path: list[Point]) -> list[float]:
        """Cumulative lengths along a path ``route`` returned (kept with it)."""
        key = id(path)
        cum = self._lengths.get(key)
        if cum is None:
            total, cum = 0.0, [0.0]
            for i in range(len(path) - 1):
                total += math.dist(path[i], path[i + 1])
                cum.append(total)
            self._lengths[key] = cum
        return cum


def curve(a: Point, b: Point, k: int = 0) -> list[Point]:
    """A wire from ``a`` to ``b`` as a gentle arc (a quadratic Bezier), so that wires along a row of
    devices do not run through the devices between their ends; the ``k``-th wire between the same
    two devices bows the other way, then further out."""
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    length = math.hypot(dx, dy)
    if length < 1e-9:
        return [a, b]
    flip = -1.0 if (ax, ay) > (bx, by) else 1.0          # the same side whichever end is written first
    side = (1 if k % 2 == 0 else -1) * (1 + k // 2)
    bow = min(0.12 * length, 0.6) * side * flip
    nx, ny = -dy / length, dx / length
    cx, cy = (ax + bx) / 2 + nx * bow, (ay + by) / 2 + ny * bow
    out = []
    for i in range(CURVE_STEPS + 1):
        t = i / CURVE_STEPS
        u = 1 - t
        out.append((u * u * ax + 2 * u * t * cx + t * t * bx, u * u * ay + 2 * u * t * cy + t * t * by))
    return out


def point_along(points: list[Point], fraction: float) -> Point:
    """The point ``fraction`` (0..1) of the way along a polyline."""
    if len(points) < 2:
        return points[0] if points else (0.0, 0.0)
    lengths = [math.dist(points[i], points[i + 1]) for i in range(len(points) - 1)]
    goal = max(0.0, min(1.0, fraction)) * sum(lengths)
    for i, seg in enumerate(lengths):
        if goal <= seg or i == len(lengths) - 1:
            t = goal / seg if seg > 0 else 0.0
            (x0, y0), (x1, y1) = points[i], points[i + 1]
            return x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
        goal -= seg
    return points[-1]
