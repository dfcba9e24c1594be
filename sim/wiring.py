"""Wires at run time: point-to-point links and multi-drop buses, each able to break."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(eq=False)
class Link:
    """One wire between two ports. ``broken`` is the wire-break fault."""
    a: object          # device
    a_port: str
    b: object
    b_port: str
    broken: bool = False

    def peer(self, device) -> tuple[object, str]:
        return (self.b, self.b_port) if device is self.a else (self.a, self.a_port)

    @property
    def name(self) -> str:
        return f"{self.a.id}.{self.a_port}->{self.b.id}.{self.b_port}"


@dataclass(eq=False)
class Net:
    """The devices joined by one bus (RS-485 pair, I2C SDA/SCL), with its wires."""
    form: str
    members: list[tuple[object, str]] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)

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
