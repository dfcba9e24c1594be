"""Trace sinks: JSON Lines file, CSV of samples, an in-memory ring, and run counters."""

from __future__ import annotations

import collections
import csv
from typing import IO

import orjson

from .trace import SAMPLE_META, Record


class JsonlSink:
    """One record a line, keys in emission order, no wall-clock fields: traces diff."""

    def __init__(self, path_or_file) -> None:
        if hasattr(path_or_file, "write"):
            self._file, self._owned = path_or_file, False
        else:
            self._file, self._owned = open(path_or_file, "wb", buffering=1 << 20), True
        self._write = self._file.write

    def write_batch(self, records: list[Record]) -> None:
        # One write per record: orjson's buffers are freed at once and reused. Joining a
        # batch first keeps thousands alive and is ten times slower (malloc churn).
        write, dumps, nl = self._write, orjson.dumps, orjson.OPT_APPEND_NEWLINE
        for record in records:
            write(dumps(record, option=nl))

    def close(self) -> None:
        self._file.flush()
        if self._owned:
            self._file.close()


class CsvSink:
    """Samples only, one row per reading: ``t,device,field,value,via``."""

    def __init__(self, path: str) -> None:
        self._file: IO[str] = open(path, "w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._file)
        self._writer.writerow(["t", "device", "field", "value", "via"])

    def write_batch(self, records: list[Record]) -> None:
        rows = []
        for record in records:
            if record["kind"] != "sample":
                continue
            t, src, via = record["t"], record["src"], record.get("via", "")
            rows += [[t, src, key, value, via] for key, value in record.items() if key not in SAMPLE_META]
        self._writer.writerows(rows)

    def close(self) -> None:
        self._file.close()


class RingSink:
    """The last ``size`` records, for the viewer's event list and for checks."""

    def __init__(self, size: int = 10_000) -> None:
        self.records: collections.deque[Record] = collections.deque(maxlen=size)

    def write_batch(self, records: list[Record]) -> None:
        self.records.extend(records)

    def of_kind(self, kind: str) -> list[Record]:
        return [r for r in self.records if r["kind"] == kind]

    def close(self) -> None:
        pass


#: Records that say what a device shows when it has no samples (a board's console, a display, a crash).
SHOWN_KINDS = frozenset({"uart.heard", "lcd", "oled", "crash", "watchdog"})


class CounterSink:
    """Counts what the end-of-run summary shows, and keeps each device's last sample (and, for devices
    that show rather than measure, the last record of each of ``SHOWN_KINDS``)."""

    def __init__(self) -> None:
        self.by_kind: collections.Counter[str] = collections.Counter()
        self.samples: collections.Counter[str] = collections.Counter()
        self.lost_reasons: collections.Counter[str] = collections.Counter()
        self.last_sample: dict[str, Record] = {}
        # device -> kind -> its last record of SHOWN_KINDS; and "output" -> output name -> its last record
        self.last_shown: dict[str, dict] = {}

    def write_batch(self, records: list[Record]) -> None:
        samples, last, by_kind = self.samples, self.last_sample, self.by_kind
        for record in records:
            kind = record["kind"]
            if kind == "sample":              # the hot path: samples are counted per device only
                src = record["src"]
                samples[src] += 1
                last[src] = record
                continue
            by_kind[kind] += 1
            if kind == "frame.lost":
                self.lost_reasons[record.get("reason", "unknown")] += 1
            elif kind in SHOWN_KINDS:
                self.last_shown.setdefault(record["src"], {})[kind] = record
            elif kind == "output":
                self.last_shown.setdefault(record["src"], {}).setdefault("output", {})[record.get("output", "")] = record

    def count(self, kind: str) -> int:
        return self.samples.total() if kind == "sample" else self.by_kind[kind]

    def close(self) -> None:
        pass
