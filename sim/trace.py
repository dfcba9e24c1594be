"""The trace bus: every observable action is one record ``{"t", "src", "kind", ...}``.

Devices emit records; sinks (files, the MQTT bridge, the viewer, checks) subscribe.
Emitting is a plain loop over callables, so a record costs one dict and one call
per subscriber.
"""

from __future__ import annotations

from typing import Callable, Iterable

Record = dict
Subscriber = Callable[[Record], None]

#: Keys every record has, in this order.
HEAD = ("t", "src", "kind")
#: Keys of a ``sample`` record that are not readings.
SAMPLE_META = frozenset({"t", "src", "kind", "via"})


def time_key(t: float) -> float:
    """Simulated time as written in records: rounded to the microsecond so traces diff cleanly."""
    return round(float(t), 6)


class TraceBus:
    """Fan-out of records to subscribers, optionally filtered by kind."""

    def __init__(self) -> None:
        self._all: list[Subscriber] = []
        self._by_kind: dict[str, list[Subscriber]] = {}

    def subscribe(self, fn: Subscriber, kinds: Iterable[str] | None = None) -> None:
        if kinds is None:
            self._all.append(fn)
        else:
            for kind in kinds:
                self._by_kind.setdefault(kind, []).append(fn)

    def unsubscribe(self, fn: Subscriber) -> None:
        if fn in self._all:
            self._all.remove(fn)
        for subs in self._by_kind.values():
            if fn in subs:
                subs.remove(fn)

    def emit(self, record: Record) -> None:
        for fn in self._all:
            fn(record)
        subs = self._by_kind.get(record["kind"])
        if subs:
            for fn in subs:
                fn(record)
