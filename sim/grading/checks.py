"""Checks evaluated incrementally as trace records arrive.

The lab's state is what the records said last: ``th1.temperature_c`` is th1's last
reading, ``th1.online`` whether it has power, ``th1.reachable`` whether its gateway
reaches it, ``relay1.do1`` a relay's state, ``fan1.on`` a load's, ``th1.faults`` how many
faults it has, ``th1.error`` whether its input is in error, ``lamp1.commands`` how many
commands it took. Unknown values are ``None``; a comparison with an unknown is unknown,
so ``always`` is not broken and ``eventually`` not met by a reading that has not come yet.

A check's top level decides when it is judged: ``eventually(P)`` passes once P holds;
``always(P)`` fails once P is false; ``within(D, P)`` needs P within D of the start;
``A -> B`` makes each rise of A an obligation B (a condition now, or ``within``,
``eventually``, ``always`` from then); ``and``/``or`` combine those; anything else is
judged on the state at the end of the run.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from ..trace import SAMPLE_META
from .expr import TEMPORAL, Node

Value = Any


#: What every device starts with before any record says otherwise.
START = {"online": 1, "running": 1, "faults": 0, "error": 0, "alarm": 0, "commands": 0}
#: Causes of a device going down that leave it powered (the firmware hangs or boots).
NOT_POWER = ("crash", "reboot_loop")


class State:
    """The latest values the trace has given, and the record being looked at."""
    __slots__ = ("values", "now", "record", "active")

    def __init__(self, devices=()) -> None:
        self.values: dict[tuple[str, str], Value] = {}
        self.now = 0.0
        self.record: dict | None = None
        self.active: dict[str, set] = {}          # device -> its active faults (name, target)
        for dev in devices:
            for key, value in START.items():
                self.values[(dev, key)] = value

    def update(self, record: dict) -> None:
        self.now, self.record = record["t"], record
        kind, src, values = record["kind"], record["src"], self.values
        if kind == "sample":
            for key, value in record.items():
                if key not in SAMPLE_META and key != "via":
                    values[(src, key)] = value
            values[(src, "reachable")] = 1
        elif kind == "state":
            state = record.get("state")
            if state in ("online", "offline"):
                up = int(state == "online")
                if "via" in record:
                    values[(src, "reachable")] = up
                elif record.get("cause") in NOT_POWER:
                    values[(src, "running")] = up
                else:
                    values[(src, "online")] = values[(src, "running")] = up
            else:
                for key, value in record.items():
                    if key not in ("t", "src", "kind", "state"):
                        values[(src, key)] = value
        elif kind == "output":
            values[(src, record.get("output", "on"))] = int(bool(record.get("on")))
        elif kind in ("fault.on", "fault.off"):
            active = self.active.setdefault(src, set())
            key = (record.get("fault"), record.get("target"))
            active.add(key) if kind == "fault.on" else active.discard(key)
            values[(src, "faults")] = len(active)
        elif kind == "event" and ("error" in record or "restored" in record):
            values[(src, "error")] = int("error" in record)
        elif kind == "alarm":
            values[(record.get("device", src), "alarm")] = int(record.get("state") == "raised")
        elif kind == "uart.heard":
            values[(src, "heard")] = record.get("heard")
        elif kind == "input":
            values[(src, "commands")] = (values.get((src, "commands")) or 0) + 1


def false(value: Value) -> bool:
    """Known and false (0, False, ""): not unknown."""
    return value is not None and not value


def has_event(node: Node) -> bool:
    return any(n.op == "call" and n.value == "event" for n in node.walk())


# -- plain expressions -------------------------------------------------------------------------
def _cmp(op: str) -> Callable[[Value, Value], Value]:
    import operator
    fn = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
          "==": operator.eq, "!=": operator.ne}[op]

    def compare(a, b):
        if a is None or b is None:
            return None
        try:
            return fn(a, b)
        except TypeError:
            return fn(str(a), str(b)) if op in ("==", "!=") else None
    return compare


def _arith(op: str):
    def apply(a, b):
        if a is None or b is None or isinstance(a, str) or isinstance(b, str):
            return None
        if op == "/":
            return None if b == 0 else a / b
        return a + b if op == "+" else a - b if op == "-" else a * b
    return apply


def compile_value(node: Node) -> Callable[[State], Value]:
    """A function of the state for a node without always/eventually/within/->.

    ``count(P)`` keeps its own count of P's rises, so it must see every record its check sees.
    """
    op = node.op
    if op == "num" or op == "str":
        value = node.value
        return lambda s: value
    if op == "ref":
        key = node.value
        return lambda s: s.values.get(key)
    if op == "not":
        inner = compile_value(node.args[0])

        def negate(s):
            v = inner(s)
            return None if v is None else not v
        return negate
    if op == "neg":
        inner = compile_value(node.args[0])
        return lambda s: None if not isinstance(inner(s), (int, float)) else -inner(s)
    if op in ("and", "or"):
        a, b = (compile_value(x) for x in node.args)
        if op == "and":
            def both(s):
                x, y = a(s), b(s)
                if false(x) or false(y):
                    return False
                return None if x is None or y is None else bool(x) and bool(y)
            return both

        def either(s):
            x, y = a(s), b(s)
            if x or y:
                return True
            return None if x is None or y is None else False
        return either
    if op in (">", ">=", "<", "<=", "==", "!="):
        a, b = (compile_value(x) for x in node.args)
        compare = _cmp(op)
        return lambda s: compare(a(s), b(s))
    if op in ("+", "-", "*", "/"):
        a, b = (compile_value(x) for x in node.args)
        apply = _arith(op)
        return lambda s: apply(a(s), b(s))
    if op == "call":
        if node.value == "event":
            kind = node.args[0].value
            dev = node.args[1].value if len(node.args) > 1 else None
            return lambda s: s.record is not None and s.record["kind"] == kind and (
                dev is None or s.record["src"] == dev or s.record.get("device") == dev or s.record.get("target") == dev)
        if node.value == "abs":
            inner = compile_value(node.args[0])
            return lambda s: abs(inner(s)) if isinstance(inner(s), (int, float)) else None
        if node.value == "count":
            inner = compile_value(node.args[0])
            pulses = has_event(node.args[0])     # each matching record is one more, even back to back
            box = {"n": 0, "last": False}

            def count(s):
                if s.record is not box.get("seen"):
                    box["seen"] = s.record
                    now = bool(inner(s))
                    if now and (pulses or not box["last"]):
                        box["n"] += 1
                    box["last"] = now
                return box["n"]
            return count
    raise ValueError(f"{node.value or op}() is a temporal operator; use it at the top of a check "
                     "or on the right of ->")


# -- judged over time ------------------------------------------------------------------------------
class Monitor:
    """One check's verdict as records arrive: ``status`` pending / pass / fail, with a reason."""
    status = "pending"
    reason = ""
    at: float | None = None

    def settle(self, status: str, reason: str, at: float) -> None:
        if self.status == "pending":
            self.status, self.reason, self.at = status, reason, at

    def update(self, s: State) -> None:
        """A record this check depends on has arrived (``s.record``)."""

    def tick(self, now: float) -> None:
        """Simulated time has reached ``now`` (deadlines)."""

    def finish(self, s: State) -> None:
        """The run is over: settle what is still pending."""


class AtEnd(Monitor):
    def __init__(self, fn, text: str) -> None:
        self.fn, self.text = fn, text

    def update(self, s):
        self.fn(s)                  # keeps count() up to date

    def finish(self, s):
        value = self.fn(s)
        if value:
            self.settle("pass", f"{self.text} holds at the end", s.now)
        else:
            self.settle("fail", f"{self.text} is {'unknown' if value is None else 'false'} at the end "
                                f"(value {value!r})", s.now)


class Eventually(Monitor):
    def __init__(self, fn, text: str, start: float = 0.0, deadline: float = math.inf) -> None:
        self.fn, self.text, self.start, self.deadline = fn, text, start, deadline

    def update(self, s):
        if self.status == "pending" and s.now <= self.deadline and self.fn(s):
            self.settle("pass", f"{self.text} at t={s.now:g}s", s.now)
        self.tick(s.now)

    def tick(self, now):
        if self.status == "pending" and now > self.deadline:
            self.settle("fail", f"{self.text} did not happen within {self.deadline - self.start:g}s "
                                f"of t={self.start:g}s", self.deadline)

    def finish(self, s):
        if self.status == "pending":
            late = "" if math.isinf(self.deadline) else f" within {self.deadline - self.start:g}s"
            self.settle("fail", f"{self.text} never happened{late} (from t={self.start:g}s)", s.now)


class Always(Monitor):
    def __init__(self, fn, text: str, start: float = 0.0) -> None:
        self.fn, self.text, self.start = fn, text, start

    def update(self, s):
        if self.status == "pending" and false(self.fn(s)):
            self.settle("fail", f"{self.text} was false at t={s.now:g}s", s.now)

    def finish(self, s):
        self.settle("pass", f"{self.text} held throughout", s.now)


class Whenever(Monitor):
    """``A -> B``: every rise of A opens an obligation B from that moment."""

    def __init__(self, trigger, make, text: str, pulses: bool = False) -> None:
        self.trigger, self.make, self.text, self.pulses = trigger, make, text, pulses
        self.last = False
        self.open: list[Monitor] = []
        self.times = 0

    def update(self, s):
        for ob in self.open:
            ob.update(s)
        now = bool(self.trigger(s))
        if now and (self.pulses or not self.last):
            self.times += 1
            ob = self.make(s.now)
            ob.update(s)
            self.open.append(ob)
        self.last = now
        self._collect(s.now)

    def tick(self, now):
        for ob in self.open:
            ob.tick(now)
        self._collect(now)

    def _collect(self, now):
        for ob in self.open:
            if ob.status == "fail":
                self.settle("fail", f"after {self.text.split(' -> ')[0]}: {ob.reason}", ob.at)
        self.open = [ob for ob in self.open if ob.status == "pending"]

    def finish(self, s):
        for ob in self.open:
            ob.finish(s)
        self._collect(s.now)
        note = f"met each of {self.times} time(s)" if self.times else "never triggered"
        self.settle("pass", f"{self.text}: {note}", s.now)


class Both(Monitor):
    def __init__(self, parts, any_of: bool) -> None:
        self.parts, self.any_of = parts, any_of

    def _judge(self, at):
        statuses = [p.status for p in self.parts]
        win, lose = ("pass", "fail") if self.any_of else ("fail", "pass")
        if win in statuses:
            part = self.parts[statuses.index(win)]
            self.settle(win, part.reason, at)
        elif all(st == lose for st in statuses):
            self.settle(lose, "; ".join(p.reason for p in self.parts), at)

    def update(self, s):
        for p in self.parts:
            p.update(s)
        self._judge(s.now)

    def tick(self, now):
        for p in self.parts:
            p.tick(now)
        self._judge(now)

    def finish(self, s):
        for p in self.parts:
            p.finish(s)
        self._judge(s.now)


def monitor(node: Node, text: str, start: float = 0.0) -> Monitor:
    """The monitor for a check's tree; ``start``: when an obligation opened."""
    op = node.op
    if op in ("and", "or") and node.temporal:
        return Both([monitor(a, text, start) for a in node.args], any_of=op == "or")
    if op == "->":
        trigger = compile_value(node.args[0])
        right, pulses = node.args[1], has_event(node.args[0])
        if right.temporal:
            return Whenever(trigger, lambda t: monitor(right, text, t), text, pulses)
        cond = compile_value(right)
        return Whenever(trigger, lambda t: Eventually(cond, _text(right, text), t, t), text, pulses)
    if op == "call" and node.value in TEMPORAL:
        if node.value == "within":
            return Eventually(compile_value(node.args[1]), _text(node.args[1], text), start,
                              start + node.args[0].value)
        fn = compile_value(node.args[0])
        if node.value == "eventually":
            return Eventually(fn, _text(node.args[0], text), start)
        return Always(fn, _text(node.args[0], text), start)
    return AtEnd(compile_value(node), text)


def _text(node: Node, whole: str) -> str:
    """A short rendering of a sub-expression for reasons."""
    return render(node)


def render(node: Node) -> str:
    op = node.op
    if op == "num":
        return f"{node.value:g}"
    if op == "str":
        return repr(node.value)
    if op == "ref":
        return ".".join(node.value)
    if op == "not":
        return "not " + render(node.args[0])
    if op == "neg":
        return "-" + render(node.args[0])
    if op == "call":
        return f"{node.value}({', '.join(render(a) for a in node.args)})"
    return f"{render(node.args[0])} {op} {render(node.args[1])}"
