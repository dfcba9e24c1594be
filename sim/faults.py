"""Faults: how a device family declares what can go wrong, and the injection point.

A device class lists its faults in ``FAULTS`` (merged along the class hierarchy).
A fault is injected into a device (``th1``) or one of its ports (``th1.rs485``:
the wire on that port). The symptom is produced by the device model itself; the
trace records each injection and clearing as ``fault.on`` / ``fault.off``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError


class FaultParams(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class NoParams(FaultParams):
    pass


@dataclass(frozen=True)
class FaultSpec:
    name: str
    symptom: str
    params: type[FaultParams] = NoParams
    on_port: bool = False       # True: the target is ``device.port`` (a wire fault)
    forms: tuple[str, ...] = ()  # a wire fault for these signal forms only (empty: any)

    def port_problem(self, device_id: str, port: str, form: str) -> str | None:
        if self.forms and form not in self.forms:
            return f"{self.name} applies to {' or '.join(self.forms)} wires; {device_id}.{port} carries {form}"
        return None


def faults_of(cls: type) -> dict[str, FaultSpec]:
    """Every fault a device class supports, base classes first."""
    merged: dict[str, FaultSpec] = {}
    for klass in reversed(cls.__mro__):
        merged.update(getattr(klass, "FAULTS", {}) if "FAULTS" in vars(klass) else {})
    return merged


def inject(sim, target: str, fault: str, params: dict[str, Any] | None = None) -> None:
    """Turn ``fault`` on at ``target`` (``dev`` or ``dev.port``), now."""
    device, port, spec = _resolve(sim, target, fault)
    try:
        values = spec.params.model_validate(params or {})
    except ValidationError as exc:
        from .scenario.problems import explain
        raise ValueError(f"fault {fault!r}: " + "; ".join(explain(e, spec.params) for e in exc.errors())) from None
    problem = type(device).fault_problem(spec, values) or device.fault_conflict(spec, values)
    if problem:
        raise ValueError(f"fault {fault!r}: {problem}")
    device.fault_on(spec, values, port)
    sim.emit(device.id, "fault.on", fault=fault, target=target, **values.model_dump())


def clear(sim, target: str, fault: str) -> None:
    device, port, spec = _resolve(sim, target, fault)
    device.fault_off(spec, port)
    sim.emit(device.id, "fault.off", fault=fault, target=target)


def _resolve(sim, target: str, fault: str):
    dev_id, _, port = target.partition(".")
    device = sim.devices.get(dev_id)
    if device is None:
        raise ValueError(f"no device {dev_id!r} in this lab")
    spec = faults_of(type(device)).get(fault)
    if spec is None:
        allowed = ", ".join(sorted(faults_of(type(device)))) or "none"
        raise ValueError(f"{device.TYPE} does not support fault {fault!r}; supported: {allowed}")
    if port and port not in device.ports:
        raise ValueError(f"{dev_id} has no port {port!r}; ports: {', '.join(device.ports)}")
    if spec.on_port and not port:
        raise ValueError(f"{fault} is a wire fault; target a port, e.g. {dev_id}.{next(iter(device.ports), 'port')}")
    if port and not spec.on_port:
        raise ValueError(f"{fault} applies to the whole device; target {dev_id}, not {target}")
    why = port and spec.port_problem(dev_id, port, device.ports[port].form)
    if why:
        raise ValueError(why)
    return device, port or None, spec


def handle_message(sim, msg) -> dict:
    """Inbox handler for ``fault.inject`` / ``fault.clear`` messages."""
    args = dict(msg.args)
    fault = args.pop("fault", None)
    if not fault or not isinstance(fault, str):
        raise ValueError("say which fault: {'fault': NAME, ...parameters}")
    if msg.action == "fault.inject":
        inject(sim, msg.target, fault, args)
    else:
        clear(sim, msg.target, fault)
    return {"ok": True}


def schedule(sim, target: str, fault: str, params: dict[str, Any],
             at_s: float, until_s: float | None) -> None:
    """A timeline entry: inject at ``at_s``, clear at ``until_s`` (if given)."""
    def run():
        if at_s > sim.now:
            yield sim.env.timeout(at_s - sim.now)
        try:
            inject(sim, target, fault, params)
        except ValueError as exc:              # e.g. a variant that makes the fault a no-op: say so, go on
            sim.emit(target.partition(".")[0], "event", error=f"the timeline's {fault} was not injected: {exc}")
            return
        if until_s is not None:
            yield sim.env.timeout(until_s - sim.now)
            device, port, _ = _resolve(sim, target, fault)
            if device.has_fault(fault, port):       # unless it was cleared by hand meanwhile
                clear(sim, target, fault)
    sim.env.process(run())


#: A ``when:`` condition is looked at this often (simulated seconds); the fault appears at the first
#: look after a record made the condition true, so the timing does not depend on the run's pacing.
WHEN_RESOLUTION_S = 0.1


def schedule_when(sim, target: str, fault: str, params: dict[str, Any], condition: str,
                  duration_s: float | None) -> None:
    """Inject ``fault`` the first time ``condition`` (the check language) holds; clear it after
    ``duration_s`` if given."""
    from .grading.checks import State, compile_value
    from .grading.expr import parse

    test = compile_value(parse(condition))
    state, seen = State(sim.devices), {"hit": False, "done": False}

    def watch(record):
        if not seen["hit"]:
            state.update(record)
            seen["hit"] = bool(test(state))

    def look():
        if seen["done"]:
            return
        sim.trace.flush()                      # every record up to now has been looked at
        if seen["hit"]:
            seen["done"] = True
            sim.trace.unsubscribe(watch)
            try:
                inject(sim, target, fault, params)
            except ValueError as exc:
                sim.emit(target.partition(".")[0], "event", error=f"the {fault} on condition was not injected: {exc}")
                return
            sim.emit(target.partition(".")[0], "event", when=condition, fault=fault)
            if duration_s is not None:
                sim.env.process(_clear_later(sim, target, fault, duration_s))
    sim.trace.subscribe(watch)
    sim.every(WHEN_RESOLUTION_S, look)


def schedule_random(sim, devices: list[str], fault: str, params: dict[str, Any],
                    mtbf_s: float, mttr_s: float) -> None:
    """Each device fails after an exponential time with mean ``mtbf_s`` and is repaired after one with
    mean ``mttr_s``, again and again, from its own random stream."""
    for dev in devices:
        rng = sim.rng(f"random-fault:{dev}:{fault}")

        def run(dev=dev, rng=rng):
            while True:
                yield sim.env.timeout(float(rng.exponential(mtbf_s)))
                device = sim.devices[dev]
                if device.has_fault(fault):
                    continue
                try:
                    inject(sim, dev, fault, params)
                except ValueError as exc:
                    sim.emit(dev, "event", error=f"a random {fault} was not injected: {exc}")
                    return
                yield sim.env.timeout(float(rng.exponential(mttr_s)))
                if device.has_fault(fault):
                    clear(sim, dev, fault)
        sim.env.process(run())


def _clear_later(sim, target: str, fault: str, after_s: float):
    yield sim.env.timeout(after_s)
    device, port, _ = _resolve(sim, target, fault)
    if device.has_fault(fault, port):
        clear(sim, target, fault)
