"""Wires at run time: point-to-point links and multi-drop buses, each able to break."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(eq=False)
class Link:
    """One wire between two ports. It is ``broken`` while at least one wire-break fault cuts it
    (faults on both of its ends may overlap)."""
    a: object          # device
    a_port: str
    b: object
    b_port: str
    broken: bool = False
    cuts: int = 0

    def cut(self) -> None:
        self.cuts += 1
        self.broken = True

    def mend(self) -> None:
        self.cuts = max(0, self.cuts - 1)
        self.broken = self.cuts > 0

    def peer(self, device) -> tuple[object, str]:
        return (self.b, self.b_port) if device is self.a else (self.a, self.a_port)


@dataclass(eq=False)
class Net:
    """The devices joined by one bus (RS-485 pair, I2C SDA/SCL), with its wires."""
    form: str
    members: list[tuple[object, str]] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    on_air: list[list[float]] = field(default_factory=list)   # [start, end] of recent transmissions

    def reachable(self, origin) -> list[tuple[object, str]]:
        """Members connected to ``origin`` through wires that are not broken."""
        seen, todo = {id(origin)}, [origin]
        out: list[tuple[object, str]] = []
        while todo:
            dev = todo.pop()
            for link in self.links:
                if link.broken or (link.a is not dev and link.b is not dev):
                    continue
                other, port = link.peer(dev)
                if id(other) not in seen:
                    seen.add(id(other))
                    out.append((other, port))
                    todo.append(other)
        return out
