"""The base every device model builds on: identity, parameters, ports, faults, trace."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from . import fault_effects
from .faults import FaultParams, FaultSpec, faults_of
from .ports import Port
from .wiring import Link, Net


class DeviceParams(BaseModel):
    """Parameters a scenario may set on a device; subclasses add theirs."""
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    supply_v: float | None = Field(None, description="the supply the part is wired to, V; checked against the "
                                                     "datasheet range (unset: the nominal supply)")

    #: The part's datasheet supply range; a subclass sets it.
    SUPPLY_RANGE_V: ClassVar[tuple[float, float]] = (0.0, 1000.0)

    @model_validator(mode="after")
    def _supply_in_range(self):
        lo, hi = self.SUPPLY_RANGE_V
        if self.supply_v is not None and not lo <= self.supply_v <= hi:
            raise ValueError(f"supply_v {self.supply_v:g} V is outside this part's {lo:g}-{hi:g} V supply range")
        return self


class Device:
    TYPE: ClassVar[str] = ""           # set from the catalogue key when registered
    FAMILY: ClassVar[str] = "device"
    TITLE: ClassVar[str] = ""
    TITLE_ZH: ClassVar[str] = ""
    SUPPLY_RANGE_V: ClassVar[tuple[float, float] | None] = None
    CURRENT_MA: ClassVar[float | None] = None
    Params: ClassVar[type[DeviceParams]] = DeviceParams
    FAULTS: ClassVar[dict[str, FaultSpec]] = {
        "power_loss": FaultSpec("power_loss", "the device is dead: no output, no answers, no frames"),
        "wire_break": FaultSpec("wire_break", "the wire on this port is cut: an open input reads 0, "
                                "a bus member stops answering", on_port=True),
        **fault_effects.WIRE_FAULTS,
        **fault_effects.POWER_FAULTS,
    }

    @classmethod
    def port_specs(cls, params: DeviceParams) -> dict[str, Port]:
        return {}

    #: Fields this type's records carry besides its readings (e.g. a relay module's do1..do4).
    TRACE_FIELDS: ClassVar[tuple[str, ...]] = ()
    #: Fields every device has in a check: power, firmware running (not crashed or booting),
    #: reachability by its gateway, faults, input error, commands taken, alarm raised on it.
    COMMON_FIELDS: ClassVar[tuple[str, ...]] = ("online", "running", "reachable", "faults", "error", "commands",
                                                 "alarm")

    @classmethod
    def trace_fields(cls, params: DeviceParams) -> list[str]:
        """The ``device.field`` names a check may use for a device of this type."""
        own = [m.field for m in getattr(cls, "MEASURES", ())] + list(cls.TRACE_FIELDS)
        return list(dict.fromkeys(own + list(cls.COMMON_FIELDS)))

    @classmethod
    def cross_check(cls, params: DeviceParams, devices: dict[str, tuple[type, Any]]) -> list[tuple[tuple, str]]:
        """Problems in parameters that name other devices: [(path under the device, message)].
        ``devices``: every device id in the lab -> (its class, its parameters, or None if they are bad)."""
        return []

    def __init__(self, sim, device_id: str, params: DeviceParams, pos_m: tuple[float, float]) -> None:
        self.sim = sim
        self.id = device_id
        self.p = params
        self.pos_m = pos_m
        self.label = ""
        self.plan = "room"                 # or "campus": pos_m is on the outdoor plan (radio links)
        self.ports: dict[str, Port] = self.port_specs(params)
        self.links: dict[str, list[Link]] = {name: [] for name in self.ports}
        self.nets: dict[str, Net] = {}
        self.faults: dict[tuple[str, str | None], FaultParams] = {}
        self.powered = True
        self._down: set[str] = set()
        self._cause = ""

    # -- life cycle ----------------------------------------------------------------
    def start(self) -> None:
        """Called once every device exists and is wired: schedule processes here."""

    def emit(self, kind: str, **fields: Any) -> None:
        self.sim.emit(self.id, kind, **fields)

    def set_power(self, on: bool) -> None:
        if on != self.powered:
            self.powered = on
            cause = self._cause
            if cause in ("crash", "reboot_loop"):      # powered, but the firmware is not running
                self.emit("state", state="online" if on else "offline", cause=cause)
            else:
                self.emit("state", state="online" if on else "offline")

    # -- faults ------------------------------------------------------------------------
    @classmethod
    def fault_problem(cls, spec: FaultSpec, params: FaultParams) -> str | None:
        """Why these fault parameters do not fit this type (e.g. a reading it lacks), or None."""
        return None

    def fault_conflict(self, spec: FaultSpec, params: FaultParams) -> str | None:
        """Why this fault would change nothing on this very device (e.g. a "wrong" setting that is its
        own), or None."""
        return None

    def fault_on(self, spec: FaultSpec, params: FaultParams, port: str | None) -> None:
        """Turn a fault on; injecting an active fault again replaces its parameters."""
        key = (spec.name, port)
        again = key in self.faults
        self.faults[key] = params
        if again:
            return
        if spec.name == "power_loss":
            self.hold_down("power_loss")
        elif spec.name == "wire_break" and port:
            for link in self.links[port]:
                link.cut()
                _tell_ends(link)
        elif fault_effects.start(self, spec, params, port) and port:
            for link in self.links[port]:
                _tell_ends(link)

    def fault_off(self, spec: FaultSpec, port: str | None) -> None:
        if (spec.name, port) not in self.faults:
            where = f"{self.id}.{port}" if port else self.id
            active = ", ".join(n if p is None else f"{n} on {p}" for n, p in self.faults) or "none"
            raise ValueError(f"{where} has no active fault {spec.name!r}; active: {active}")
        del self.faults[(spec.name, port)]
        if spec.name == "power_loss":
            self.release("power_loss")
        elif spec.name == "wire_break" and port:
            for link in self.links[port]:
                link.mend()
                _tell_ends(link)
        elif fault_effects.stop(self, spec, port) and port:
            for link in self.links[port]:
                _tell_ends(link)

    # -- power -----------------------------------------------------------------------------------
    def hold_down(self, cause: str) -> None:
        """Something keeps the device from running (power_loss, a brown-out dip, a crash, a boot)."""
        self._down.add(cause)
        self._cause = cause
        self.set_power(False)

    def release(self, cause: str) -> None:
        self._down.discard(cause)
        if not self._down:
            self._cause = cause
            self.set_power(True)

    def wire_changed(self, link: Link) -> None:
        _tell_ends(link)

    def has_fault(self, name: str, port: str | None = None) -> bool:
        return (name, port) in self.faults

    # -- wiring --------------------------------------------------------------------------
    def peer(self, port: str) -> tuple[Any, str] | None:
        """The (device, port) at the other end of an unbroken wire on ``port``."""
        for link in self.links[port]:
            if not link.broken:
                return link.peer(self)
        return None

    # -- outside commands ---------------------------------------------------------------------
    COMMANDS: ClassVar[dict[str, str]] = {}

    def command(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        allowed = ", ".join(sorted(self.COMMANDS)) or "none"
        raise ValueError(f"{self.TYPE} has no command {name!r}; commands: {allowed}")

    def describe(self) -> dict[str, Any]:
        """Read-only scene entry for the viewer and the trace header (plain JSON data): what the part
        is, where, its ports, its parameters, the faults it can take and the commands it obeys."""
        return {"id": self.id, "type": self.TYPE, "family": self.FAMILY,
                "pos_m": list(self.pos_m), "ports": {n: p.form for n, p in self.ports.items()},
                **({"plan": self.plan} if self.plan != "room" else {}),
                "label": self.label, "title": self.TITLE, "title_zh": self.TITLE_ZH,
                "port_roles": {n: p.role for n, p in self.ports.items()},
                "params": self.p.model_dump(mode="json"),
                "faults": [_fault_entry(spec, self.ports) for spec in faults_of(type(self)).values()],
                "commands": dict(self.COMMANDS)}


def _fault_entry(spec: FaultSpec, ports: dict[str, Port]) -> dict[str, Any]:
    """A catalogue fault as data: name, symptom, its parameters (default, or required) and, for a wire
    fault, the ports it applies to."""
    params = {}
    for name, info in spec.params.model_fields.items():
        required = info.is_required()
        default = None if required else info.get_default(call_default_factory=True)
        params[name] = {"required": required, "description": info.description or "",
                        "default": default if isinstance(default, (int, float, str, bool, type(None))) else str(default)}
    entry: dict[str, Any] = {"name": spec.name, "symptom": spec.symptom, "on_port": spec.on_port, "params": params}
    if spec.on_port:
        entry["ports"] = [n for n, p in ports.items() if not spec.forms or p.form in spec.forms]
    return entry


def _tell_ends(link: Link) -> None:
    """A wire was cut or mended: each end that cares (``on_wire_change(port)``) hears of it."""
    for end, port in ((link.a, link.a_port), (link.b, link.b_port)):
        hook = getattr(end, "on_wire_change", None)
        if hook is not None:
            hook(port)
