"""``iotlab run ROOM|FILE``: run a room headless, write the trace, print a summary."""

from __future__ import annotations

import math
import sys
import time

from ..units import format_duration, parse_duration
from .common import EXIT_ERROR, EXIT_OK, EXIT_USAGE, load_or_report, resolve_target

PROGRESS_AFTER_S = 2.0


def _speed(text: str) -> float | None:
    if text.strip().lower() in ("max", "inf", "fast"):
        return math.inf
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value > 0 and math.isfinite(value) else None


def main(args) -> int:
    from . import viewing
    args.speed = viewing.default_speed(args)
    speed = _speed(args.speed)
    if speed is None:
        print(f"iotlab run: --speed {args.speed!r} is not allowed; use max or a number > 0 (1 = wall clock)",
              file=sys.stderr)
        return EXIT_USAGE
    path = resolve_target(args.target)
    if path is None:
        return EXIT_USAGE
    loaded = load_or_report(path, student=args.student)
    if loaded is None:
        return EXIT_USAGE
    scenario, _ = loaded
    problem = _tcp_ports(scenario, args.tcp_port)
    if problem:
        print(f"iotlab run: --tcp-port {problem}", file=sys.stderr)
        return EXIT_USAGE
    problem = _serial_options(scenario, getattr(args, "serial", []))
    if problem:
        print(f"iotlab run: --serial {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        until = parse_duration(args.until) if args.until else scenario.duration
    except ValueError as exc:
        print(f"iotlab run: --until: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if until <= 0:
        print("iotlab run: --until must be longer than 0s", file=sys.stderr)
        return EXIT_USAGE
    until, args.snapshot_at, problem = viewing.check(args, until, explicit_until=bool(args.until))
    if problem:
        print(f"iotlab run: {problem}", file=sys.stderr)
        return EXIT_USAGE

    from ..scenario import build
    from ..sinks import CounterSink, CsvSink, JsonlSink
    from ..tcp import ListenError

    counter = CounterSink()
    sinks = [counter]
    try:
        if args.trace:
            sinks.append(JsonlSink(args.trace))
        if args.csv:
            sinks.append(CsvSink(args.csv))
    except OSError as exc:
        print(f"iotlab run: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        _close(sinks)
        return EXIT_USAGE
    try:
        sim = build(scenario, args.seed, sinks)
    except ListenError as exc:           # a device's TCP port is taken
        print(f"iotlab run: {exc}", file=sys.stderr)
        _close(sinks)
        return EXIT_USAGE
    try:                                 # whatever happens, the lab's TCP ports close
        return _run(args, scenario, sim, until, speed, sinks, counter)
    finally:
        sim.close()


def _run(args, scenario, sim, until: float, speed: float, sinks, counter) -> int:
    from . import live, viewing
    try:
        bridge, broker = live.start(args, sim, scenario.lab)
    except live.LiveError as exc:
        print(f"iotlab run: {exc}", file=sys.stderr)
        _close(sinks)
        return EXIT_USAGE
    if not args.quiet:
        print(f"{scenario.name} [{scenario.lab}] seed {sim.seed}: {len(sim.devices)} devices, "
              f"running {format_duration(until)} at speed {args.speed}", file=sys.stderr)
        for line in sim.endpoints:
            print(line, file=sys.stderr)
        if sim.grader is not None:
            print(f"exercise: {len(scenario.tasks)} tasks" + (f" for student {scenario._student}"
                  if scenario._student else "") + "; answer with iotlab answer "
                  f"{args.lab_id or scenario.lab} TASK \"text\"", file=sys.stderr)
            if not math.isinf(speed):
                sim.grader.on_change = _say_task
    wall0 = time.monotonic()
    status = EXIT_OK
    try:
        with _Progress(until, enabled=not args.quiet and (math.isinf(speed) or speed > 1)) as progress:
            if not viewing.run(args, sim, until, speed, progress.update, args.snapshot_at):
                status = EXIT_ERROR
    except KeyboardInterrupt:
        print(f"interrupted at t={sim.now:.1f}s", file=sys.stderr)
        status = 130
    except OSError as exc:     # the disk filled up, the file went away ...
        print(f"iotlab run: cannot write the output at t={sim.now:.3f}s: {exc.strerror or exc}", file=sys.stderr)
        status = EXIT_ERROR
    except Exception as exc:   # a model bug: say where, keep what was traced
        print(f"iotlab run: the simulation stopped at t={sim.now:.3f}s: {type(exc).__name__}: {exc}",
              file=sys.stderr)
        status = EXIT_ERROR
    try:
        sim.close()            # TCP clients are let go (their tcp.close records) before run.end
        sim.emit("$sim", "run.end", until=sim.now)
        sim.trace.flush()
    except OSError:
        pass                   # already reported above
    try:
        live.stop(bridge, broker, args.quiet)
    except KeyboardInterrupt:               # a second Ctrl-C: stop waiting for the broker
        print("interrupted while handing the last messages to the broker", file=sys.stderr)
        if broker is not None:
            broker.stop()
        status = 130
    if not _close(sinks) and status == EXIT_OK:
        status = EXIT_ERROR
    wall = time.monotonic() - wall0
    _summary(sim, counter, wall)
    if sim.grader is not None:
        from rich.console import Console

        from ..grading.report import make, table
        results = sim.grader.finish(sim.now)
        Console().print(table(make(scenario._student, scenario, results, []), getattr(args, "lang", None) or "en"))
    return status


def _say_task(result) -> None:
    """A task changed status while the lab runs in real time: one line."""
    if result.status != "pending":
        print(f"task {result.id}: {result.status} ({result.score:g}/{result.points:g}) {result.reason}",
              file=sys.stderr)


def _tcp_ports(scenario, overrides: list[str]) -> str | None:
    """Set each ``ID=PORT`` as that device's ``tcp_port``; what is wrong with the first bad one, or None."""
    if not overrides:
        return None
    from .. import registry

    def has_port(spec) -> bool:
        try:
            return "tcp_port" in registry.load(spec.type).Params.model_fields
        except KeyError:               # an unknown type was reported when the file was loaded
            return False

    specs = {spec.id: spec for spec in scenario.devices}
    listed = ", ".join(f"{s.id} ({s.type})" for s in scenario.devices if has_port(s)) or "none"
    for item in overrides:
        dev_id, sep, text = (part.strip() for part in item.partition("="))
        if not sep or not dev_id:
            return f"{item!r}: write ID=PORT, e.g. ss1=5021; devices with a TCP port in this lab: {listed}"
        if dev_id not in specs:
            return f"{item}: no device {dev_id!r} in this lab; devices with a TCP port: {listed}"
        if not has_port(specs[dev_id]):
            return f"{item}: {dev_id} ({specs[dev_id].type}) has no TCP port; devices with a TCP port: {listed}"
        port = int(text) if text.isdigit() else -1
        if not 0 <= port <= 65535:
            return f"{item}: PORT {text!r} is not a TCP port; give a whole number from 0 to 65535 (0: any free port)"
        setattr(specs[dev_id], "tcp_port", port)
    return None


def _serial_options(scenario, options: list[str]) -> str | None:
    """Add each ``--serial`` exposure to the scenario's ``serial:`` list (replacing one for the same UART);
    what is wrong with the first bad one, or None."""
    if not options:
        return None
    from .. import registry
    from ..scenario.spec import SerialSpec
    from ..serial_port import parse_option

    uarts = {}
    for spec in scenario.devices:
        try:
            cls = registry.load(spec.type)
            ports = cls.port_specs(cls.Params.model_validate(spec.params))
        except Exception:             # reported when the file was loaded
            continue
        uarts[spec.id] = [name for name, port in ports.items() if port.form == "uart"]
    listed = ", ".join(d for d, u in uarts.items() if u) or "none"
    for item in options:
        exp = parse_option(item)
        if isinstance(exp, str):
            return exp
        dev_id, _, port = exp.device.partition(".")
        if dev_id != "all":
            if not uarts.get(dev_id):
                return (f"{item}: no device {dev_id!r} with a UART in this lab" if dev_id not in uarts else
                        f"{item}: {dev_id} has no UART") + f"; devices with a UART: {listed}"
            if port and port not in uarts[dev_id]:
                return f"{item}: {dev_id} has no UART port {port!r}; its UARTs: {', '.join(uarts[dev_id])}"
            if not port and len(uarts[dev_id]) > 1:
                return f"{item}: {dev_id} has several UARTs; write {dev_id}.{uarts[dev_id][0]}"
        kept = [e for e in scenario.serial if e.device.partition(".")[0] != dev_id]
        scenario.serial = kept + [SerialSpec(device=exp.device, pty=exp.pty, tcp_port=exp.tcp_port, baud=exp.baud)]
    return None


def _close(sinks) -> bool:
    """Close every sink; report (once each) any that cannot be written. True if all closed cleanly."""
    ok = True
    for sink in sinks:
        try:
            sink.close()
        except OSError as exc:
            print(f"iotlab run: cannot finish writing an output file: {exc.strerror or exc}", file=sys.stderr)
            ok = False
    return ok


class _Progress:
    """A rich progress bar that appears only if the run takes longer than a couple of seconds."""

    def __init__(self, until: float, enabled: bool) -> None:
        self.until, self.enabled = until, enabled and sys.stderr.isatty()
        self._bar = self._task = None
        self._start = time.monotonic()

    def __enter__(self):
        return self

    def update(self, now: float) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            if time.monotonic() - self._start < PROGRESS_AFTER_S:
                return
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
            self._bar = Progress(TextColumn("simulating"), BarColumn(), TextColumn("{task.fields[t]}"),
                                 TimeRemainingColumn(), transient=True)
            self._bar.start()
            self._task = self._bar.add_task("run", total=self.until, t="")
        self._bar.update(self._task, completed=now, t=f"t={format_duration(now)}")

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.stop()
        return False


def _shown(last: dict) -> str:
    """What a device without samples last showed: its crash or watchdog, its console line, its display."""
    parts = []
    for kind in ("crash", "watchdog"):
        if kind in last:
            r = last[kind]
            where = f" ({r['file']}:{r['line']})" if r.get("line") else ""
            parts.append(f"{kind} at {format_duration(r['t'])}: {r.get('error') or r.get('reason')}{where}")
    outputs = []
    for name, r in sorted(last.get("output", {}).items()):
        duty = r.get("pwm_duty")
        state = f"PWM {duty * 100:.1f} %" if duty is not None else ("on" if r.get("on") else "off")
        outputs.append(f"{name} {state}" if name else state)
    if outputs:
        parts.append(", ".join(outputs))
    if "uart.heard" in last:
        parts.append(f"console: {last['uart.heard']['heard']}")
    if "lcd" in last:
        parts.append("LCD: " + " | ".join(last["lcd"][k] for k in ("line1", "line2") if last["lcd"].get(k)))
    if "oled" in last:
        text = last["oled"].get("text") or ""
        parts.append("OLED: " + (" | ".join(text.split("\n")) if last["oled"].get("on") else "dark"))
    return "; ".join(parts)


def _summary(sim, counter, wall: float) -> None:
    from rich.console import Console
    from rich.table import Table

    from ..trace import SAMPLE_META

    kinds = counter.count
    table = Table(title=f"{sim.scene.get('name', sim.name)}: {format_duration(sim.now)} simulated "
                        f"in {wall:.2f} s", title_justify="left")
    for column in ("device", "type", "samples", "last reading"):
        table.add_column(column)
    for dev in sim.devices.values():
        last = counter.last_sample.get(dev.id)
        reading = _shown(counter.last_shown.get(dev.id, {})) if last is None else ", ".join(
            f"{k}={v}" for k, v in last.items() if k not in SAMPLE_META)
        table.add_row(dev.id, dev.TYPE, str(counter.samples.get(dev.id, 0)), reading)
    console = Console()
    console.print(table)
    lost = ", ".join(f"{n} {reason}" for reason, n in sorted(counter.lost_reasons.items()))
    console.print(f"devices {len(sim.devices)} · samples {kinds('sample')} · frames sent {kinds('frame.tx')} "
                  f"· frames lost {kinds('frame.lost')}{f' ({lost})' if lost else ''} · alarms {kinds('alarm')} "
                  f"· rule actions {kinds('rule')} "
                  f"· faults {kinds('fault.on')} · events {kinds('event')}", highlight=False)
