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

    def __call__(self, record: Record) -> None:
        self._write(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))

    def close(self) -> None:
        self._file.flush()
        if self._owned:
            self._file.close()


class CsvSink:
    """Samples only, one row per reading: ``t,device,field,value,via``."""

    KINDS = ("sample",)

    def __init__(self, path: str) -> None:
        self._file: IO[str] = open(path, "w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._file)
        self._writer.writerow(["t", "device", "field", "value", "via"])

    def __call__(self, record: Record) -> None:
        t, src, via = record["t"], record["src"], record.get("via", "")
        for key, value in record.items():
            if key not in SAMPLE_META:
                self._writer.writerow([t, src, key, value, via])

    def close(self) -> None:
        self._file.close()


class RingSink:
    """The last ``size`` records, for the viewer's event list and for checks."""

    def __init__(self, size: int = 10_000) -> None:
        self.records: collections.deque[Record] = collections.deque(maxlen=size)

    def __call__(self, record: Record) -> None:
        self.records.append(record)

    def of_kind(self, kind: str) -> list[Record]:
        return [r for r in self.records if r["kind"] == kind]

    def close(self) -> None:
        pass


class CounterSink:
    """Counts what the end-of-run summary shows, and keeps each device's last sample."""

    def __init__(self) -> None:
        self.by_kind: collections.Counter[str] = collections.Counter()
        self.samples: collections.Counter[str] = collections.Counter()
        self.lost_reasons: collections.Counter[str] = collections.Counter()
        self.last_sample: dict[str, Record] = {}

    def __call__(self, record: Record) -> None:
        kind = record["kind"]
        self.by_kind[kind] += 1
        if kind == "sample":
            src = record["src"]
            self.samples[src] += 1
            self.last_sample[src] = record
        elif kind == "frame.lost":
            self.lost_reasons[record.get("reason", "unknown")] += 1

    def close(self) -> None:
        pass
