"""Turning a checked scenario into a running Simulation: environment, devices, wires, faults."""

from __future__ import annotations

from typing import Any, Iterable

from .. import faults, registry, uart
from ..environment import QUANTITIES, Change, Quantity, RoomEnvironment
from ..simulation import Simulation
from ..wiring import Link, Net, _changed
from .check import wire_ends
from .spec import EnvironmentSpec, Scenario, Wire


def environment_of(spec: EnvironmentSpec, seed: int) -> RoomEnvironment:
    hours, minutes = (int(x) for x in spec.start_time.split(":"))
    quantities = {}
    for name, defaults in QUANTITIES.items():
        overrides = getattr(spec, name).model_dump(exclude_none=True)
        quantities[name] = Quantity(name=name, **{**defaults, **overrides})
    for event in spec.events:
        for name, delta in event.change.items():
            quantities[name].changes.append(Change(event.at, delta, event.ramp_s, event.duration))
    return RoomEnvironment(quantities, seed, start_hour=hours + minutes / 60.0)


def build(scenario: Scenario, seed: int | None = None, sinks: Iterable = ()) -> Simulation:
    """A ready-to-run Simulation; ``sinks`` are subscribed before the first record."""
    seed = scenario.seed if seed is None else seed
    sim = Simulation(seed=seed, name=scenario.lab)
    sim.scenario_dir = scenario._dir       # files a device names relative to the scenario (firmware)
    for sink in sinks:
        sim.trace.subscribe(sink)
    sim.environment = environment_of(scenario.environment, seed)
    for spec in scenario.devices:
        cls = registry.load(spec.type)
        params = cls.Params.model_validate(spec.params)
        device = cls(sim, spec.id, params, tuple(spec.pos_m))
        device.label = spec.label
        device.plan = spec.plan
        sim.devices[spec.id] = device
    wires = [_connect(sim, entry) for entry in scenario.wiring]
    for entry in scenario.faults:
        if entry.when is not None:
            faults.schedule_when(sim, entry.target, entry.fault, entry.params, entry.when, entry.duration)
        else:
            faults.schedule(sim, entry.target, entry.fault, entry.params, entry.at, entry.end_s)
    for entry in scenario.random_faults:
        faults.schedule_random(sim, entry.devices, entry.fault, entry.params, entry.mtbf, entry.mttr)
    for event in scenario.environment.events:
        _announce(sim, event)
    sim.handlers["command"] = lambda msg: _command(sim, msg)
    sim.handlers["flash"] = lambda msg: _flash(sim, msg)
    sim.handlers["fault.inject"] = sim.handlers["fault.clear"] = lambda msg: faults.handle_message(sim, msg)
    uart.install(sim)          # terminals (pty, TCP, the viewer's console) reach a UART through the inbox
    sim.scene = {
        "name": scenario.name, "lab": scenario.lab,
        "room": scenario.room.model_dump(),
        "radio": scenario.radio.model_dump(),
        "devices": [d.describe() for d in sim.devices.values()],
        "wiring": wires,
    }
    student = scenario._student
    sim.emit("$sim", "run.start", scenario=scenario.name, lab=scenario.lab, seed=seed,
             devices=len(sim.devices), **({"student": student} if student else {}))
    sim.grader = None
    if scenario.tasks:
        from ..grading.grader import Grader
        sim.grader = Grader(scenario.tasks, list(sim.devices), _fault_names(sim))
        sim.trace.subscribe(sim.grader)
    sim.handlers["answer"] = lambda msg: _answer(sim, scenario, msg)
    for device in sim.devices.values():
        device.start()
    if scenario.serial:
        from ..serial_port import Exposure, expose
        for entry in scenario.serial:
            expose(sim, Exposure(entry.device, entry.pty, entry.tcp_port, entry.baud))
    return sim


def _connect(sim: Simulation, entry: "str | Wire") -> dict[str, Any]:
    a_id, a_port, b_id, b_port = wire_ends(entry)
    a, b = sim.devices[a_id], sim.devices[b_id]
    link = Link(a, a_port, b, b_port)
    if isinstance(entry, Wire):
        link.length_m, link.swapped = entry.length_m, entry.swap_ab
    _changed()
    a.links[a_port].append(link)
    b.links[b_port].append(link)
    if a.ports[a_port].role == "bus":
        net = _merge(a.nets.get(a_port), b.nets.get(b_port), a.ports[a_port].form)
        net.links.append(link)
        for dev, port in ((a, a_port), (b, b_port)):
            if (dev, port) not in net.members:
                net.members.append((dev, port))
            dev.nets[port] = net
    wire = {"a": f"{a_id}.{a_port}", "b": f"{b_id}.{b_port}", "form": a.ports[a_port].form}
    if isinstance(entry, Wire):
        wire.update(length_m=entry.length_m, swap_ab=entry.swap_ab)
    return wire


def _merge(first: Net | None, second: Net | None, form: str) -> Net:
    if first is None and second is None:
        return Net(form)
    if first is None or second is None or first is second:
        return first or second  # type: ignore[return-value]
    for dev, port in second.members:
        if (dev, port) not in first.members:
            first.members.append((dev, port))
        dev.nets[port] = first
    first.links.extend(second.links)
    return first


def _command(sim: Simulation, msg) -> dict:
    """Inbox handler: ``{"name": COMMAND, "args": {...}}`` for one device."""
    device = sim.devices.get(msg.target)
    if device is None:
        raise ValueError(f"no device {msg.target!r} in this lab; devices: {', '.join(sim.devices)}")
    name, args = msg.args.get("name"), msg.args.get("args", {})
    if not isinstance(name, str) or not isinstance(args, dict):
        raise ValueError('a command is {"name": COMMAND, "args": {...}}; '
                         f"{device.id} takes: {', '.join(device.COMMANDS) or 'no commands'}")
    result = device.command(name, dict(args))
    sim.emit(device.id, "input", action="command", name=name, args=dict(args))
    return result


def _flash(sim: Simulation, msg) -> dict:
    """Inbox handler: ``{"source": TEXT, "name": FILE}`` loads firmware into a board and resets it."""
    device = sim.devices.get(msg.target)
    if device is None:
        raise ValueError(f"no device {msg.target!r} in this lab; devices: {', '.join(sim.devices)}")
    flash = getattr(device, "flash", None)
    if flash is None:
        raise ValueError(f"{device.id} is a {device.TYPE}: it takes no firmware")
    return flash(msg.args.get("source"), str(msg.args.get("name") or "main.py"))


def _fault_names(sim: Simulation) -> dict[str, list[str]]:
    return {dev.id: list(faults.faults_of(type(dev))) for dev in sim.devices.values()}


def _answer(sim: Simulation, scenario: Scenario, msg) -> dict:
    """Inbox handler: ``{"task": ID, "text": ...}`` from a student; recorded as an ``answer`` record."""
    task_id, text = msg.args.get("task"), msg.args.get("text")
    tasks = {t.id: t for t in scenario.tasks if t.answer is not None}
    if not tasks:
        raise ValueError("this lab has no questions to answer")
    if task_id not in tasks:
        raise ValueError(f"no question {task_id!r}; questions: {', '.join(tasks)}")
    if not isinstance(text, str) or not text.strip() or len(text) > 1000:
        raise ValueError("the answer is text of 1 to 1000 characters")
    sim.emit("$student", "answer", task=task_id, text=text.strip())
    counts = sim.__dict__.setdefault("answers_given", {})
    counts[task_id] = counts.get(task_id, 0) + 1
    return {"ok": True, "task": task_id, "attempt": counts[task_id], "attempts": tasks[task_id].attempts}


def _announce(sim: Simulation, event) -> None:
    def run():
        yield sim.env.timeout(event.at)
        sim.emit("$env", "env.event", name=event.name or "change", change=dict(event.change))
    sim.env.process(run())
