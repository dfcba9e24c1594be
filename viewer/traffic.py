"""Frames in flight: trace records turned into dots that travel along the copper.

A ``frame.rx`` at device R is paired with the last ``frame.tx`` on the same net by another
device S, and a dot runs from S to R along the wires between them. A ``frame.tx`` that
nobody acknowledged (a 1-Wire Convert T, a broadcast) runs from its sender to every other
device on the net when the next frame on that net shows it went unanswered; an ``rx`` whose
request was the receiver's own (a 1-Wire master reading the bus) comes from the other
devices on the net. ``frame.lost`` leaves a red mark with its reason where it happened.
Frames on ports without a wire (radios) are drawn as straight links between sender and
receiver, coloured by the ``rssi_dbm`` the receiver reported, or by the share of frames lost.

Animation runs on the viewer's clock (wall time), not the simulated clock: at x100 a frame
that takes 8 ms on the bus still takes ``life`` seconds to cross the screen, and when more
frames arrive than can be seen the oldest give way (``cap``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .scene import Node, Point, Scene
from .style import Colour, form_colour

BROADCAST_FANOUT = 6


@dataclass
class Packet:
    path: list[Point]
    colour: Colour
    born: float
    key: tuple
    ends: tuple[str, str] | None = None      # a radio frame: drawn straight between these two devices
    cum: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.cum:
            return
        total, cum = 0.0, [0.0]
        for i in range(len(self.path) - 1):
            total += math.dist(self.path[i], self.path[i + 1])
            cum.append(total)
        self.cum = cum

    def at(self, fraction: float) -> Point:
        path, cum = self.path, self.cum
        if len(path) < 2 or cum[-1] <= 0:
            return path[0]
        goal = min(max(fraction, 0.0), 1.0) * cum[-1]
        lo, hi = 0, len(cum) - 1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if cum[mid] < goal:
                lo = mid
            else:
                hi = mid
        seg = cum[hi] - cum[lo]
        t = (goal - cum[lo]) / seg if seg > 0 else 0.0
        (x0, y0), (x1, y1) = path[lo], path[hi]
        return x0 + (x1 - x0) * t, y0 + (y1 - y0) * t


@dataclass
class LostMark:
    pos: Point | None                        # on the room plan; None: halfway along a radio link
    reason: str
    born: float
    device: str
    ends: tuple[str, str] | None = None


@dataclass
class RadioLink:
    a: str
    b: str
    bus: str
    rssi_dbm: float | None = None
    delivered: int = 0
    lost: int = 0
    last: float = 0.0

    @property
    def loss_ratio(self) -> float:
        total = self.delivered + self.lost
        return self.lost / total if total else 0.0


class Traffic:
    def __init__(self, scene: Scene, life: float = 0.7, cap: int = 300, lost_life: float = 4.0,
                 min_gap: float = 0.15) -> None:
        self.scene = scene
        self.life, self.cap, self.lost_life, self.min_gap = life, cap, lost_life, min_gap
        self.packets: list[Packet] = []
        self.lost: list[LostMark] = []
        self.links: dict[tuple[str, str, str], RadioLink] = {}
        self._pending: dict[int, list] = {}            # net -> [sender, port, answered]
        self._radio: dict[str, str] = {}               # bus -> last sender
        self._recent: dict[tuple, float] = {}          # packet key -> when it was last launched
        self.launched = 0

    # -- records in ---------------------------------------------------------------------------
    def ingest(self, records: list[dict], now: float, born_of=None) -> None:
        """Launch what ``records`` show, at viewer time ``now`` (or at ``born_of(record)``: a snapshot
        spreads the last second's frames along their wires by age)."""
        scene = self.scene
        # A batch holds more frames than can be seen: wired frames before its last few thousand would
        # only be launched to be dropped (radio frames all count, for their links' loss)
        skip = len(records) - 8 * self.cap if born_of is None else 0
        for i, record in enumerate(records):
            kind = record["kind"]
            if kind[:6] != "frame.":
                continue
            if i < skip and "port" in record:
                continue
            if born_of is not None:
                now = born_of(record)
            src, port = record["src"], record.get("port", "")
            net = scene.net_of.get((src, port))
            if net is None:
                self._unwired(record, kind, src, now)
            elif kind == "frame.tx":
                pending = self._pending.get(net)
                if pending is not None and not pending[2]:
                    self._broadcast(net, pending[0], pending[1], now)
                self._pending[net] = [src, port, False]
            elif kind == "frame.rx":
                pending = self._pending.get(net)
                if pending is not None and pending[0] != src:
                    pending[2] = True
                    self._launch((pending[0], pending[1]), src, net, now)
                else:
                    if pending is not None:
                        pending[2] = True
                    for other, other_port in self._others(net, src):
                        self._launch((other, other_port), src, net, now)
            elif kind == "frame.lost":
                self._lost(record, src, port, now)
        self._trim(now)

    def _others(self, net: int, device: str) -> list[Node]:
        members = [m for m in self.scene.net_members[net] if m[0] != device]
        return members[:BROADCAST_FANOUT]

    def _broadcast(self, net: int, sender: str, port: str, now: float) -> None:
        for other, _ in self._others(net, sender):
            self._launch((sender, port), other, net, now)

    def _launch(self, start: Node, goal: str, net: int, now: float) -> None:
        key = (start[0], goal, net)
        if now - self._recent.get(key, -1e9) < self.min_gap:
            return
        path = self.scene.route(start, goal)
        if len(path) < 2:
            return
        self._recent[key] = now
        form = self.scene.form_of(*start) or ""
        self.packets.append(Packet(path, form_colour(form), now, key, cum=self.scene.route_lengths(path)))
        self.launched += 1

    def _lost(self, record: dict, src: str, port: str, now: float) -> None:
        scene = self.scene
        other = record.get("device")
        pos = None
        if other in scene.devices and other != src:
            path = scene.route((src, port), other)
            if path:
                pos = path[len(path) // 2]
        if pos is None and src in scene.devices:
            x, y = scene.devices[src].pos
            pos = (x, y - 0.25)
        if pos is None:
            return
        where = other if other in scene.devices else src
        self.lost = [m for m in self.lost if not (m.device == where and m.pos == pos)]
        self.lost.append(LostMark(pos, str(record.get("reason", "lost")), now, where))

    def _unwired(self, record: dict, kind: str, src: str, now: float) -> None:
        """A frame on no wire: a radio. The receiver's record names the sender (``from``); else the last
        sender on the same ``bus`` is taken."""
        devices = self.scene.devices
        if src not in devices:
            return
        bus = str(record.get("bus") or "radio")
        if kind == "frame.tx":
            self._radio[bus] = src
            return
        sender = record.get("from") or record.get("peer") or self._radio.get(bus)
        if not sender or sender == src or sender not in devices:
            return
        key = (sender, src, bus)
        link = self.links.get(key)
        if link is None:
            link = self.links[key] = RadioLink(sender, src, bus)
        link.last = now
        rssi = record.get("rssi_dbm")
        if isinstance(rssi, (int, float)):
            link.rssi_dbm = float(rssi)
        if kind == "frame.lost":
            link.lost += 1
            self.lost = [m for m in self.lost if m.ends != (sender, src)]
            self.lost.append(LostMark(None, str(record.get("reason", "lost")), now, src, (sender, src)))
            return
        link.delivered += 1
        if now - self._recent.get(key, -1e9) >= self.min_gap:
            self._recent[key] = now
            self.packets.append(Packet([], form_colour(bus), now, key, ends=(sender, src)))
            self.launched += 1

    # -- what to draw -------------------------------------------------------------------------------
    def _trim(self, now: float) -> None:
        life = self.life
        if self.packets and now - self.packets[0].born > life:
            self.packets = [p for p in self.packets if now - p.born <= life]
        if len(self.packets) > self.cap:
            del self.packets[: len(self.packets) - self.cap]
        if self.lost and now - self.lost[0].born > self.lost_life:
            self.lost = [m for m in self.lost if now - m.born <= self.lost_life]
        if len(self._recent) > 4 * self.cap:
            self._recent = {k: t for k, t in self._recent.items() if now - t < self.min_gap}

    def in_flight(self, now: float, plan: str = "room"):
        """(packet, position in metres on ``plan``) for every dot on screen at ``now``."""
        self._trim(now)
        life, scene = self.life, self.scene
        for packet in self.packets:
            fraction = (now - packet.born) / life
            if not 0.0 <= fraction <= 1.0:
                continue
            if packet.ends is None:
                if plan == "room":
                    yield packet, packet.at(fraction)
                continue
            a, b = scene.pos(packet.ends[0], plan), scene.pos(packet.ends[1], plan)
            if a is not None and b is not None:
                yield packet, (a[0] + (b[0] - a[0]) * fraction, a[1] + (b[1] - a[1]) * fraction)

    def lost_marks(self, plan: str = "room"):
        """(mark, position in metres on ``plan``)."""
        scene = self.scene
        for mark in self.lost:
            if mark.ends is None:
                if plan == "room":
                    yield mark, mark.pos
                continue
            a, b = scene.pos(mark.ends[0], plan), scene.pos(mark.ends[1], plan)
            if a is not None and b is not None:
                yield mark, ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)

    def clear(self) -> None:
        self.packets.clear()
        self.lost.clear()
