"""Ports and the signal forms that travel over wires.

A port is a ``source`` (drives a signal: a sensor's 0-5 V output), an ``input``
(reads one: a gateway's analog input, which lists the forms it accepts) or a
``bus`` (multi-drop: RS-485, I2C). Wiring rules are data, so the validator and
the runtime agree.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Signal forms, with the words a student sees.
FORMS: dict[str, str] = {
    "analog_v": "analog voltage (0-5 V / 0-10 V)",
    "current_loop": "4-20 mA current loop",
    "digital": "digital / switch level",
    "pulse": "pulse train",
    "single_wire": "single-wire digital (DHT11/DHT22)",
    "onewire": "1-Wire (DS18B20)",
    "i2c": "I2C bus",
    "rs485": "RS-485 bus",
    "uart": "UART (TTL serial)",
    "ethernet": "Ethernet (RJ45)",
    "switched": "switched supply (relay contact)",
}


@dataclass(frozen=True)
class Port:
    role: str                         # "source", "input" or "bus"
    form: str                         # for a source or a bus: what it carries
    accepts: tuple[str, ...] = ()     # for an input: the forms it can read
    doc: str = ""

    @property
    def max_links(self) -> int | None:
        return None if self.role == "bus" and self.form != "uart" else 1   # a UART is point to point

    def describe(self) -> str:
        if self.role == "input":
            return "input for " + " or ".join(FORMS[f] for f in self.accepts)
        return f"{self.role}: {FORMS[self.form]}"


def source(form: str, doc: str = "") -> Port:
    return Port("source", form, (), doc)


def input_of(*forms: str, doc: str = "") -> Port:
    return Port("input", forms[0], tuple(forms), doc)


def bus(form: str, doc: str = "") -> Port:
    return Port("bus", form, (), doc)


def compatible(a: Port, b: Port) -> str | None:
    """None if a wire between ``a`` and ``b`` is allowed, else why not."""
    if a.role == "bus" or b.role == "bus":
        if a.role == b.role == "bus" and a.form == b.form:
            return None
        if a.role == b.role == "bus":
            return f"cannot join {FORMS[a.form]} to {FORMS[b.form]}"
        bus_port, other = (a, b) if a.role == "bus" else (b, a)
        return f"{FORMS[bus_port.form]} can only join another {FORMS[bus_port.form]} port, not {other.describe()}"
    if a.role == b.role:
        return f"both ends are {a.role}s ({a.describe()}; {b.describe()}); wire a source to an input"
    src, dst = (a, b) if a.role == "source" else (b, a)
    if src.form in dst.accepts:
        return None
    return f"{FORMS[src.form]} output cannot feed an {dst.describe()}"
