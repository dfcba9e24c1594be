"""What the viewer knows about the running lab, built from trace records only.

``TraceFeed`` is the viewer's trace sink: the simulation hands it each batch and it only
keeps a reference (it never raises into the trace bus, so the other sinks always get
every record). ``LabState.ingest`` then turns the batches into what the plan and the
panels show: each device's last reading and recent history, its recent frames, active
faults, output states (and the level of each named output: an LED dot on the plan),
the lines of a character display (``lcd`` records), online/offline, and the latest record of every kind it emitted
(so records of kinds the viewer has never heard of still reach the inspector).
"""

from __future__ import annotations

import collections
from typing import Any, Iterable, Iterator

Record = dict[str, Any]

#: Keys that are never a reading or a detail worth showing in a compact line.
META = frozenset({"t", "src", "kind"})
#: Kinds that come in floods; the event list keeps the others longer.
BULK_KINDS = frozenset({"sample", "frame.tx", "frame.rx"})


class TraceFeed:
    """Trace sink: batches as the simulation flushes them, taken by the viewer when it draws."""

    def __init__(self) -> None:
        self._batches: collections.deque[list[Record]] = collections.deque()
        self.count = 0

    def write_batch(self, records: list[Record]) -> None:
        try:
            self._batches.append(records)
            self.count += len(records)
        except Exception:          # a sink must never take the trace bus (and the other sinks) down
            pass

    def take(self) -> Iterator[list[Record]]:
        batches = self._batches
        while batches:
            yield batches.popleft()


class LabState:
    def __init__(self, history: int = 120, ring: int = 20_000, notable: int = 5_000, frames: int = 16) -> None:
        self.records: collections.deque[Record] = collections.deque(maxlen=ring)
        self.notable: collections.deque[Record] = collections.deque(maxlen=notable)
        self.last_sample: dict[str, Record] = {}      # every field's latest value, t of the latest sample
        self.history: dict[str, collections.deque[Record]] = {}
        self.frames: dict[str, collections.deque[Record]] = {}
        self.faults: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        self.outputs: dict[str, dict[str, bool]] = {}
        self.leds: dict[str, dict[str, float]] = {}   # device -> named output -> level 0..1 (on/off or PWM duty)
        self.lcd: dict[str, Record] = {}               # device -> its latest ``lcd`` record
        self.oled: dict[str, Record] = {}              # device -> its latest ``oled`` record
        self.offline: dict[str, set[str]] = {}
        self.latest: dict[str, dict[str, Record]] = {}
        self.kinds: collections.Counter[str] = collections.Counter()
        self.last_t = 0.0
        self.changed = 0            # bumps when faults, outputs or online states change
        self._history_len, self._frames_len = history, frames

    def ingest(self, records: list[Record]) -> list[Record]:
        """Take a batch; returns its frame records (for the traffic layer)."""
        if not records:
            return []
        self.records.extend(records)
        self.last_t = records[-1]["t"]
        last, history, n = self.last_sample, self.history, self._history_len
        kinds = self.kinds
        frames = []
        samples = 0
        for record in records:
            kind = record["kind"]
            if kind == "sample":
                samples += 1
                src = record["src"]
                merged = last.get(src)
                if merged is None:
                    last[src] = dict(record)
                    history[src] = collections.deque((record,), maxlen=n)
                else:
                    merged.update(record)       # a part with several outputs (MQ-2: AO and DO) keeps both
                    history[src].append(record)
                continue
            kinds[kind] += 1
            if kind[:6] == "frame.":
                frames.append(record)
                self._frame(record)
                if kind != "frame.lost":
                    continue
            self.notable.append(record)
            src = record["src"]
            self.latest.setdefault(src, {})[kind] = record
            if kind == "fault.on":
                params = {k: v for k, v in record.items() if k not in META and k not in ("fault", "target")}
                self.faults.setdefault(src, {})[(record.get("fault", "?"), record.get("target", src))] = params
                self.changed += 1
            elif kind == "fault.off":
                self.faults.get(src, {}).pop((record.get("fault", "?"), record.get("target", src)), None)
                self.changed += 1
            elif kind == "output":
                name = str(record.get("output", ""))
                level = _level(record)
                self.outputs.setdefault(src, {})[name] = bool(record.get("on")) if level is None else level > 0
                if name and level is not None:
                    self.leds.setdefault(src, {})[name] = level
                self.changed += 1
            elif kind == "lcd":
                self.lcd[src] = record
                self.changed += 1
            elif kind == "oled":
                self.oled[src] = record
                self.changed += 1
            elif kind == "state" and record.get("state") in ("online", "offline"):
                where = self.offline.setdefault(src, set())
                (where.add if record["state"] == "offline" else where.discard)(str(record.get("via", "")))
                self.changed += 1
        if samples:
            kinds["sample"] += samples
        return frames

    def _frame(self, record: Record) -> None:
        n = self._frames_len
        for dev in (record["src"], record.get("device")):
            if dev:
                ring = self.frames.get(dev)
                if ring is None:
                    ring = self.frames[dev] = collections.deque(maxlen=n)
                ring.append(record)

    # -- questions the panels ask --------------------------------------------------------------
    def is_offline(self, device: str) -> bool:
        return bool(self.offline.get(device))

    def active_faults(self, device: str) -> dict[tuple[str, str], dict[str, Any]]:
        return self.faults.get(device, {})

    def lcd_lines(self, device: str, width: int = 16) -> tuple[str, str] | None:
        """The two lines a character display shows (padded or cut to ``width``), or None."""
        record = self.lcd.get(device)
        if record is None:
            return None
        return tuple(str(record.get(key) or "")[:width].ljust(width) for key in ("line1", "line2"))  # type: ignore[return-value]

    def readings(self, device: str) -> dict[str, float]:
        record = self.last_sample.get(device)
        return {} if record is None else readings_of(record)

    def series(self, device: str, field: str) -> list[float]:
        out = []
        for record in self.history.get(device, ()):
            value = record.get(field)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out.append(float(value))
        return out

    def events(self, device: str | None, kinds: Iterable[str] | None, count: int, skip: int = 0) -> list[Record]:
        """The newest ``count`` records (after skipping the newest ``skip``) that match, oldest first."""
        kinds = None if kinds is None else frozenset(kinds)
        ring = self.notable if kinds is not None and not kinds & BULK_KINDS else self.records
        out: list[Record] = []
        for record in reversed(ring):
            if kinds is not None and record["kind"] not in kinds:
                continue
            if device is not None and record["src"] != device and record.get("device") != device \
                    and record.get("via") != device and record.get("target") != device:
                continue
            if skip:
                skip -= 1
                continue
            out.append(record)
            if len(out) >= count:
                break
        out.reverse()
        return out


def _level(record: Record) -> float | None:
    """How lit a named output is: 1 or 0 from ``on``, the duty of a PWM output, None when neither."""
    on = record.get("on")
    if on is not None:
        return 1.0 if on else 0.0
    duty = record.get("pwm_duty")
    if isinstance(duty, (int, float)) and not isinstance(duty, bool):
        return max(0.0, min(1.0, float(duty)))
    return None


def readings_of(record: Record) -> dict[str, float]:
    """The numeric readings of a ``sample`` record, in its key order."""
    return {k: v for k, v in record.items()
            if k not in META and k != "via" and isinstance(v, (int, float)) and not isinstance(v, bool)}


def details(record: Record) -> str:
    """A record's fields after t, src and kind, as one short line."""
    parts = []
    for key, value in record.items():
        if key in META:
            continue
        if isinstance(value, float):
            value = f"{value:g}"
        elif isinstance(value, dict):
            value = "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
        parts.append(f"{key}={value}")
    return " ".join(parts)
