"""The grader: a trace sink that judges a scenario's tasks as records arrive.

Each check depends on the devices it names and the record kinds its ``event()``s
watch; a record only wakes the checks that depend on it, so fifty checks over a
thousand-device room cost little. Answers arrive as ``answer`` records (from ``iotlab
answer``, MQTT or the viewer); the last of the first ``attempts`` counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from .answers import judge
from .checks import Monitor, State, monitor
from .expr import event_filters, parse, references


@dataclass
class Result:
    id: str
    title: dict
    points: float
    score: float
    status: str          # pass, fail, partial, pending, unanswered
    reason: str
    at: float | None

    def as_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "points": self.points, "score": self.score,
                "status": self.status, "reason": self.reason, "at": self.at}


def _title(text) -> dict:
    return dict(text) if isinstance(text, dict) else {"en": text}


class Grader:
    def __init__(self, tasks, device_ids: list[str], faults: dict[str, list[str]]) -> None:
        """``faults``: each device's fault names; an answer about a device is read with that device's
        vocabulary (so a ZigBee node's 干扰 is its interference, not a sensor's noise)."""
        self.tasks = list(tasks)
        self.device_ids, self.faults = device_ids, faults
        self.fault_names = sorted({f for names in faults.values() for f in names})
        self.state = State(device_ids)
        self.monitors: dict[str, Monitor] = {}
        self.by_src: dict[str, list[Monitor]] = {}
        self.by_kind: dict[str, list[Monitor]] = {}
        self.answers: dict[str, list[tuple[float, str]]] = {t.id: [] for t in self.tasks if t.answer is not None}
        self.finished = False
        self.on_change = None            # called with a Result when a task's status changes
        for task in self.tasks:
            if task.check is None:
                continue
            node = parse(task.check)
            mon = monitor(node, task.check)
            self.monitors[task.id] = mon
            devices = {r.value[0] for r in references(node)}
            kinds = set()
            for kind, dev, _ in event_filters(node):
                if dev is None:
                    kinds.add(kind)
                else:
                    devices.add(dev)
            for dev in sorted(devices):
                self.by_src.setdefault(dev, []).append(mon)       # once each: a record wakes it once
            for kind in sorted(kinds):
                self.by_kind.setdefault(kind, []).append(mon)
        self._status = {t.id: "pending" for t in self.tasks}

    # -- the sink ---------------------------------------------------------------------------------
    def write_batch(self, records: list[dict]) -> None:
        state, by_src, by_kind = self.state, self.by_src, self.by_kind
        if not by_src and not by_kind and not self.answers:
            if records:
                state.now = records[-1]["t"]
            return
        linked = ("alarm", "input", "answer")           # records about another device than their src
        for record in records:
            kind = record["kind"]
            if record["src"] not in by_src and kind not in by_kind and kind not in linked:
                continue                                # nothing here reads it: the common case, kept cheap
            state.update(record)
            if kind == "answer":
                self._answer(record)
            woken = by_src.get(record["src"])
            extra = by_kind.get(kind)
            other = record.get("device") or record.get("target")
            more = by_src.get(other) if other is not None and other != record["src"] else None
            if extra or more:
                woken = list(dict.fromkeys((woken or []) + (extra or []) + (more or [])))
            if woken:
                for mon in woken:
                    mon.update(state)
        if records:
            now = state.now = records[-1]["t"]
            for mon in self.monitors.values():
                if mon.status == "pending":
                    mon.tick(now)
        self._report_changes()

    def _answer(self, record: dict) -> None:
        task = record.get("task")
        if task in self.answers:
            self.answers[task].append((record["t"], str(record.get("text", ""))))

    def close(self) -> None:
        pass

    # -- verdicts ---------------------------------------------------------------------------------
    def finish(self, now: float) -> list[Result]:
        """Settle every check at the end of the run (time ``now``) and give the results."""
        if not self.finished:
            self.finished = True
            self.state.now, self.state.record = now, None
            for mon in self.monitors.values():
                mon.finish(self.state)
        return self.results()

    def results(self) -> list[Result]:
        out = []
        for task in self.tasks:
            title = _title(task.title)
            if task.check is not None:
                mon = self.monitors[task.id]
                score = task.points if mon.status == "pass" else 0.0
                out.append(Result(task.id, title, task.points, score, mon.status, mon.reason, mon.at))
                continue
            tries = self.answers[task.id][:task.attempts]
            if not tries:
                out.append(Result(task.id, title, task.points, 0.0,
                                  "unanswered" if self.finished else "pending", "no answer given", None))
                continue
            at, text = tries[-1]
            vocabulary = self.faults.get(task.answer.device) or self.fault_names
            fraction, why = judge(text, task.answer.model_dump(), self.device_ids, vocabulary)
            status = "pass" if fraction == 1 else "partial" if fraction > 0 else "fail"
            extra = f" (answer {len(tries)} of {task.attempts})" if len(tries) > 1 else ""
            out.append(Result(task.id, title, task.points, round(task.points * fraction, 3), status,
                              f"{text!r}: {why}{extra}", at))
        return out

    def total(self) -> tuple[float, float]:
        results = self.results()
        return sum(r.score for r in results), sum(r.points for r in results)

    def _report_changes(self) -> None:
        if self.on_change is None:
            return
        for result in self.results():
            if result.status != self._status.get(result.id):
                self._status[result.id] = result.status
                self.on_change(result)
