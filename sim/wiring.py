"""Wires at run time: point-to-point links and multi-drop buses, each able to break.

Every change to a wire (cut, mended, A/B swapped) bumps a module-wide epoch, so a
bus can cache who reaches whom and recompute only after something changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

_epoch = [0]


def _changed() -> None:
    _epoch[0] += 1


@dataclass(eq=False)
class Link:
    """One wire between two ports. It is ``broken`` while at least one wire-break fault cuts it
    (faults on both of its ends may overlap); ``inverted`` while its A/B pair is crossed, by
    the installer (``swapped``) or by a fault, but not both."""
    a: object          # device
    a_port: str
    b: object
    b_port: str
    broken: bool = False
    cuts: int = 0
    length_m: float = 1.0
    swapped: bool = False
    swaps: int = 0
    shorts: int = 0

    @property
    def shorted(self) -> bool:
        return self.shorts > 0

    def short(self, on: bool) -> None:
        """A short across the pair: a point-to-point wire carries nothing, a bus is dead for all."""
        self.shorts = self.shorts + 1 if on else max(0, self.shorts - 1)
        self.broken = self.cuts > 0 or self.shorts > 0
        _changed()

    def cut(self) -> None:
        self.cuts += 1
        self.broken = True
        _changed()

    def mend(self) -> None:
        self.cuts = max(0, self.cuts - 1)
        self.broken = self.cuts > 0 or self.shorts > 0
        _changed()

    def swap(self, on: bool) -> None:
        self.swaps = self.swaps + 1 if on else max(0, self.swaps - 1)
        _changed()

    @property
    def inverted(self) -> bool:
        return self.swapped != (self.swaps > 0)

    def peer(self, device) -> tuple[object, str]:
        return (self.b, self.b_port) if device is self.a else (self.a, self.a_port)


@dataclass(eq=False)
class Net:
    """The devices joined by one bus (RS-485 pair, I2C SDA/SCL, 1-Wire), with its wires."""
    form: str
    members: list[tuple[object, str]] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    on_air: list[list[float]] = field(default_factory=list)   # [start, end] of recent transmissions
    _reach: dict = field(default_factory=dict)

    @property
    def length_m(self) -> float:
        """The cable run of the whole bus (the trunk a signal's reflections travel)."""
        return sum(link.length_m for link in self.links)

    def reachable(self, origin) -> list[tuple[object, str]]:
        """Members connected to ``origin`` through wires that are not broken."""
        return [(dev, port) for dev, port, _ in self.reachable_polarity(origin)]

    def reachable_polarity(self, origin) -> list[tuple[object, str, bool]]:
        """(device, port, inverted) for each member reached from ``origin``; ``inverted`` when an odd
        number of crossed A/B pairs lies between them."""
        hit = self._reach.get(id(origin))
        if hit is not None and hit[0] == _epoch[0]:
            return hit[1]
        if any(link.shorted for link in self.links):       # a shorted pair carries nothing for anyone
            self._reach[id(origin)] = (_epoch[0], [])
            return []
        seen, todo = {id(origin)}, [(origin, False)]
        out: list[tuple[object, str, bool]] = []
        while todo:
            dev, inv = todo.pop()
            for link in self.links:
                if link.broken or (link.a is not dev and link.b is not dev):
                    continue
                other, port = link.peer(dev)
                if id(other) not in seen:
                    seen.add(id(other))
                    polarity = inv != link.inverted
                    out.append((other, port, polarity))
                    todo.append((other, polarity))
        self._reach[id(origin)] = (_epoch[0], out)
        return out
