"""Checking exercise parts against the lab before a class starts: expressions, answer keys, devices."""

from __future__ import annotations

from ..scenario.problems import Problem, did_you_mean, locate
from .expr import ExprError, event_filters, parse, placement, references


def _position(tree, loc: tuple, offset: int) -> tuple[int, int]:
    """file position of character ``offset`` inside the text value at ``loc``."""
    line, col = locate(tree, loc)
    lines = getattr(tree, "source_lines", None)
    if lines and 0 < line <= len(lines) and col - 1 < len(lines[line - 1]) and lines[line - 1][col - 1] in "\"'":
        col += 1                                # a quoted value: the text starts after the quote
    return line, col + offset


#: Record kinds event() can wait for.
KINDS = ("sample", "event", "alarm", "rule", "state", "output", "input", "input.error", "answer", "fault.on",
         "fault.off", "frame.tx", "frame.rx", "frame.lost", "uart.heard", "env.event", "tcp.connect", "tcp.close", "at.cmd",
         "at.error", "run.start")


def expression_problems(text: str, fields: dict[str, list[str]], tree, loc: tuple,
                        condition: bool = False) -> list[Problem]:
    """Problems in a check expression (or, with ``condition``, a fault's when:): syntax, where temporal
    operators stand, unknown devices, fields and record kinds. ``fields``: id -> its fields."""
    try:
        node = parse(text)
    except ExprError as exc:
        return [Problem(*_position(tree, loc, exc.col), f"{exc}")]
    misplaced = placement(node, condition)
    if misplaced:
        return [Problem(*_position(tree, loc, misplaced[1]), misplaced[0])]
    problems = []
    for ref in references(node):
        dev, field = ref.value
        if dev not in fields:
            problems.append(Problem(*_position(tree, loc, ref.col), f"no device {dev!r}; "
                                    f"{did_you_mean(dev, fields)}devices: {', '.join(fields)}"))
        elif field not in fields[dev]:
            problems.append(Problem(*_position(tree, loc, ref.col + len(dev) + 1),
                                    f"{dev} has no field {field!r}; {did_you_mean(field, fields[dev])}"
                                    f"its fields: {', '.join(fields[dev])}"))
    for kind, dev, col in event_filters(node):
        if kind not in KINDS:
            problems.append(Problem(*_position(tree, loc, col), f"event(): no record kind {kind!r}; "
                                    f"{did_you_mean(kind, KINDS)}kinds: {', '.join(KINDS)}"))
        if dev is not None and dev not in fields:
            problems.append(Problem(*_position(tree, loc, col), f"event(): no device {dev!r}; "
                                    f"{did_you_mean(dev, fields)}devices: {', '.join(fields)}"))
    return problems


def task_problems(scenario, tree, fields: dict[str, list[str]], faults: dict[str, list[str]]) -> list[Problem]:
    """Problems in ``tasks``: check expressions, answer keys naming devices and faults that exist."""
    problems: list[Problem] = []
    seen: set[str] = set()
    every_fault = sorted({f for names in faults.values() for f in names})
    for i, task in enumerate(scenario.tasks):
        at = ("tasks", i)
        if task.id in seen:
            problems.append(Problem(*locate(tree, at + ("id",)), f"task id {task.id!r} is used twice"))
        seen.add(task.id)
        if task.check is not None:
            problems += expression_problems(task.check, fields, tree, at + ("check",))
        if task.answer is not None:
            dev, fault = task.answer.device, task.answer.fault
            if dev is not None and dev not in fields:
                problems.append(Problem(*locate(tree, at + ("answer", "device")),
                                        f"the answer names no device {dev!r}; {did_you_mean(dev, fields)}"
                                        f"devices: {', '.join(fields)}"))
            if fault is not None:
                allowed = faults.get(dev, every_fault) if dev in fields else every_fault
                if fault not in allowed:
                    where = f"{dev}'s" if dev in fields else "the lab's"
                    problems.append(Problem(*locate(tree, at + ("answer", "fault")),
                                            f"the answer's fault {fault!r} is not in {where} catalogue; "
                                            f"{did_you_mean(fault, allowed)}faults: {', '.join(allowed)}"))
    return problems
