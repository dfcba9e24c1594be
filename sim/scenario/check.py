"""Checks that need the device catalogue: types, parameters, ports, wires and faults."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from .. import registry
from ..faults import faults_of
from ..ports import compatible
from .problems import Problem, did_you_mean, from_validation, locate
from .spec import WIRE_RE, DeviceSpec, FaultEntry, Scenario, Wire, wire_text


def wire_ends(entry: "str | Wire") -> tuple[str, str, str, str] | None:
    """(dev_a, port_a, dev_b, port_b) of a wiring entry, or None if it does not parse."""
    m = WIRE_RE.match(wire_text(entry))
    return m.groups() if m else None  # type: ignore[return-value]


def check(scenario: Scenario, tree: Any) -> list[Problem]:
    problems: list[Problem] = []
    classes: dict[str, type] = {}
    ports: dict[str, dict] = {}
    seen: dict[str, int] = {}
    checked: list[tuple[int, type, Any]] = []
    size = scenario.room.size_m if scenario.room is not None else None
    # Devices that failed to validate still exist for wires and faults: don't report them twice.
    pending = set(getattr(scenario, "raw_ids", [])) - {d.id for d in scenario.devices if d is not None}

    for i, dev in enumerate(scenario.devices):
        at = ("devices", i)
        if dev is None:
            continue
        if dev.id in seen:
            problems.append(Problem(*locate(tree, at + ("id",)),
                                    f"device id {dev.id!r} is already used by device #{seen[dev.id] + 1}; ids must be unique"))
            continue
        seen[dev.id] = i
        try:
            cls = registry.load(dev.type)
        except KeyError as exc:
            problems.append(Problem(*locate(tree, at + ("type",)),
                                    f"{exc.args[0]}; `iotlab devices` lists the catalogue"))
            continue
        x, y = dev.pos_m
        campus = scenario.room.campus if scenario.room is not None else None
        if getattr(dev, "plan", "room") == "campus":
            if campus is None and scenario.room is not None:
                problems.append(Problem(*locate(tree, at + ("plan",)), "plan: campus needs a campus plan: add "
                                        "room.campus with its size_m (and room_at_m, where the room is on it)"))
            elif campus is not None and not (0 <= x <= campus.size_m[0] and 0 <= y <= campus.size_m[1]):
                problems.append(Problem(*locate(tree, at + ("pos_m",)), f"pos_m {list(dev.pos_m)} is outside the "
                                        f"campus; x must be 0..{campus.size_m[0]:g} and y 0..{campus.size_m[1]:g} m"))
        elif size is not None and not (0 <= x <= size[0] and 0 <= y <= size[1]):
            problems.append(Problem(*locate(tree, at + ("pos_m",)), f"pos_m {list(dev.pos_m)} is outside the room; "
                                    f"x must be 0..{size[0]:g} and y 0..{size[1]:g} m"))
        try:
            params = cls.Params.model_validate(dev.params)
        except ValidationError as exc:
            for p in from_validation(exc, cls.Params, tree, at):
                if p.message.startswith("unknown key"):
                    p = _unknown_param(p, tree, at, dev, cls)
                problems.append(p)
            continue
        classes[dev.id] = cls
        ports[dev.id] = cls.port_specs(params)
        checked.append((i, cls, params))

    known = {d.id: (classes.get(d.id), None) for d in scenario.devices if d is not None}
    known.update({scenario.devices[i].id: (cls, params) for i, cls, params in checked})
    for i, cls, params in checked:
        for path, message in cls.cross_check(params, known):
            problems.append(Problem(*locate(tree, ("devices", i) + tuple(path)), message))

    problems += _shared_tcp_ports(scenario, tree, checked)
    skip = pending | (set(seen) - set(ports))     # ids whose own entry already has a problem
    problems += _check_wiring(scenario, tree, ports, skip)
    problems += _check_faults(scenario, tree, classes, ports, skip)
    problems += _check_serial(scenario, tree, ports, skip)
    if skip:
        return problems             # exercise parts are checked once the devices are right
    fields = {i: classes[i].trace_fields(p) for i, (_, p) in _params(checked, scenario).items()}
    catalogue = {i: list(faults_of(c)) for i, c in classes.items()}
    from ..grading.validate import expression_problems, task_problems
    for i, entry in enumerate(getattr(scenario, "faults", [])):
        if entry is not None and entry.when is not None:
            problems += expression_problems(entry.when, fields, tree, ("faults", i, "when"), condition=True)
    problems += _check_random_faults(scenario, tree, classes)
    if getattr(scenario, "tasks", None):
        problems += task_problems(scenario, tree, fields, catalogue)
    return problems


def _shared_tcp_ports(scenario, tree, checked) -> list[Problem]:
    """Two devices cannot listen on one TCP port of 127.0.0.1."""
    problems, owner = [], {}
    for i, _cls, params in checked:
        port = getattr(params, "tcp_port", 0)
        if not port:
            continue
        if port in owner:
            problems.append(Problem(*locate(tree, ("devices", i, "tcp_port")),
                                    f"tcp_port {port} is already {owner[port]}'s; give each device its own port "
                                    "(or 0 for any free one)"))
        else:
            owner[port] = scenario.devices[i].id
    return problems


def _params(checked, scenario) -> dict:
    """device id -> (class, params) for the devices whose parameters validated."""
    return {scenario.devices[i].id: (cls, params) for i, cls, params in checked}


def _check_random_faults(scenario, tree, classes) -> list[Problem]:
    problems = []
    for i, entry in enumerate(getattr(scenario, "random_faults", [])):
        for j, dev in enumerate(entry.devices):
            if dev not in classes:
                problems.append(Problem(*locate(tree, ("random_faults", i, "devices", j)),
                                        f"no device {dev!r}; {did_you_mean(dev, classes)}devices: {', '.join(classes)}"))
                continue
            spec = faults_of(classes[dev]).get(entry.fault)
            if spec is None:
                problems.append(Problem(*locate(tree, ("random_faults", i, "fault")),
                                        f"{classes[dev].TYPE} ({dev}) has no fault {entry.fault!r}; "
                                        f"supported: {', '.join(faults_of(classes[dev]))}"))
            elif spec.on_port:
                problems.append(Problem(*locate(tree, ("random_faults", i, "fault")),
                                        f"{entry.fault} is a wire fault; random faults strike whole devices"))
            else:
                try:
                    spec.params.model_validate(entry.params)
                except ValidationError as exc:
                    if j == next(k for k, d in enumerate(entry.devices) if d in classes):
                        problems += from_validation(exc, spec.params, tree, ("random_faults", i))
    return problems


def _unknown_param(p: Problem, tree, at, dev: DeviceSpec, cls) -> Problem:
    key = p.message.split("'")[1]
    allowed = list(DeviceSpec.model_fields) + [f for f in cls.Params.model_fields]
    return Problem(p.line, p.col, f"unknown key {key!r} for a {dev.type}; {did_you_mean(key, allowed)}"
                                  f"allowed: {', '.join(allowed)}")


def _check_end(ports, dev_id: str, port: str) -> str | None:
    if dev_id not in ports:
        hint = did_you_mean(dev_id, ports)
        return f"no device {dev_id!r} to wire; {hint}devices: {', '.join(ports)}"
    if port not in ports[dev_id]:
        hint = did_you_mean(port, ports[dev_id])
        return f"{dev_id} has no port {port!r}; {hint}its ports: {', '.join(ports[dev_id]) or 'none'}"
    return None


def _check_wiring(scenario: Scenario, tree, ports, skip: set) -> list[Problem]:
    problems: list[Problem] = []
    used: dict[tuple[str, str], int] = {}
    for i, entry in enumerate(scenario.wiring):
        loc = ("wiring", i)
        if entry is None:
            continue
        ends = wire_ends(entry)
        if isinstance(entry, Wire):
            loc += ("wire",)
        if ends is None:
            problems.append(Problem(*locate(tree, loc), f"cannot read wire {wire_text(entry)!r}; write it as "
                                                        "\"dev.port -> dev.port\", e.g. \"gw.rs485 -> th1.rs485\""))
            continue
        a, pa, b, pb = ends
        if a in skip or b in skip:
            continue
        errors = [e for e in (_check_end(ports, a, pa), _check_end(ports, b, pb)) if e]
        if errors:
            problems += [Problem(*locate(tree, loc), e) for e in errors]
            continue
        if a == b:
            problems.append(Problem(*locate(tree, loc), f"wire {a}.{pa} -> {b}.{pb} joins a device to itself"))
            continue
        why = compatible(ports[a][pa], ports[b][pb])
        if why:
            problems.append(Problem(*locate(tree, loc), f"cannot wire {a}.{pa} to {b}.{pb}: {why}"))
            continue
        if isinstance(entry, Wire) and entry.swap_ab and ports[a][pa].form != "rs485":
            problems.append(Problem(*locate(tree, ("wiring", i, "swap_ab")),
                                    f"swap_ab is for RS-485 pairs; {a}.{pa} is {ports[a][pa].describe()}"))
            continue
        for dev_id, port in ((a, pa), (b, pb)):
            limit = ports[dev_id][port].max_links
            used[(dev_id, port)] = used.get((dev_id, port), 0) + 1
            if limit is not None and used[(dev_id, port)] > limit:
                problems.append(Problem(*locate(tree, loc),
                                        f"{dev_id}.{port} already has a wire; it takes {limit}. Use a free port"))
    return problems


def _check_faults(scenario: Scenario, tree, classes, ports, skip: set) -> list[Problem]:
    problems: list[Problem] = []
    for i, entry in enumerate(scenario.faults):
        loc = ("faults", i)
        if entry is None:
            continue
        dev_id, _, port = entry.target.partition(".")
        if dev_id in skip:
            continue
        if dev_id not in classes:
            if dev_id not in ports:
                hint = did_you_mean(dev_id, ports)
                problems.append(Problem(*locate(tree, loc + ("target",)),
                                        f"no device {dev_id!r} to fault; {hint}devices: {', '.join(ports)}"))
            continue
        catalogue = faults_of(classes[dev_id])
        spec = catalogue.get(entry.fault)
        if spec is None:
            problems.append(Problem(*locate(tree, loc + ("fault",)),
                                    f"{classes[dev_id].TYPE} has no fault {entry.fault!r}; "
                                    f"{did_you_mean(entry.fault, catalogue)}supported: {', '.join(catalogue)}"))
            continue
        if port and port not in ports[dev_id]:
            problems.append(Problem(*locate(tree, loc + ("target",)),
                                    f"{dev_id} has no port {port!r}; {did_you_mean(port, ports[dev_id])}"
                                    f"its ports: {', '.join(ports[dev_id])}"))
        elif spec.on_port and not port:
            problems.append(Problem(*locate(tree, loc + ("target",)),
                                    f"{entry.fault} is a wire fault; target a port, e.g. {dev_id}."
                                    f"{next(iter(ports[dev_id]), 'port')}"))
        elif port and not spec.on_port:
            problems.append(Problem(*locate(tree, loc + ("target",)),
                                    f"{entry.fault} applies to the whole device; target {dev_id}, not {entry.target}"))
        elif port and spec.port_problem(dev_id, port, ports[dev_id][port].form):
            problems.append(Problem(*locate(tree, loc + ("target",)),
                                    spec.port_problem(dev_id, port, ports[dev_id][port].form)))
        if entry.until is not None and entry.duration is not None:
            problems.append(Problem(*locate(tree, loc + ("until",)), "give either until or duration, not both"))
        elif entry.end_s is not None and entry.at is not None and entry.end_s <= entry.at:
            problems.append(Problem(*locate(tree, loc + ("until" if entry.until is not None else "duration",)),
                                    "the fault must clear after it starts; until must be later than at, duration > 0"))
        try:
            values = spec.params.model_validate(entry.params)
        except ValidationError as exc:
            for p in from_validation(exc, spec.params, tree, loc):
                if p.message.startswith("unknown key"):
                    key = p.message.split("'")[1]
                    own = list(spec.params.model_fields)
                    allowed = own + [k for k in FaultEntry.model_fields]
                    p = Problem(p.line, p.col, f"unknown key {key!r} for fault {entry.fault}; "
                                               f"{did_you_mean(key, allowed)}allowed: {', '.join(allowed)}")
                problems.append(p)
            continue
        problem = classes[dev_id].fault_problem(spec, values)
        if problem:
            problems.append(Problem(*locate(tree, loc + ("field",)), problem))
    return problems


def _check_serial(scenario: Scenario, tree, ports, skip: set) -> list[Problem]:
    """Each ``serial:`` entry names a device with a UART (and which one, if it has several)."""
    problems: list[Problem] = []
    for i, entry in enumerate(getattr(scenario, "serial", None) or []):
        if entry is None:
            continue
        dev_id, _, port = entry.device.partition(".")
        if dev_id in skip or (dev_id == "all" and not port):
            continue
        loc = ("serial", i, "device")
        uarts = {d: [n for n, p in ps.items() if p.form == "uart"] for d, ps in ports.items()}
        with_uart = ", ".join(d for d, u in uarts.items() if u) or "none"
        if dev_id not in ports:
            problems.append(Problem(*locate(tree, loc), f"no device {dev_id!r}; {did_you_mean(dev_id, ports)}"
                                                        f"devices with a UART: {with_uart}"))
        elif not uarts[dev_id]:
            problems.append(Problem(*locate(tree, loc), f"{dev_id} has no UART; devices with a UART: {with_uart}"))
        elif port and port not in uarts[dev_id]:
            problems.append(Problem(*locate(tree, loc), f"{dev_id} has no UART port {port!r}; its UARTs: "
                                                        f"{', '.join(uarts[dev_id])}"))
        elif not port and len(uarts[dev_id]) > 1:
            problems.append(Problem(*locate(tree, loc), f"{dev_id} has several UARTs; write {dev_id}."
                                                        f"{uarts[dev_id][0]} (its UARTs: {', '.join(uarts[dev_id])})"))
    return problems
