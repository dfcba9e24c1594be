"""The trace bus: every observable action is one record ``{"t", "src", "kind", ...}``.

Devices emit records; sinks (files, the MQTT bridge, the viewer, checks) subscribe.
Emitting only queues the record (``emit`` is a bound ``list.append``, the cheapest
call Python has); the simulation hands the queue to every sink, in order, each time
it advances the clock (``flush``). Sinks therefore see every record, in emission
order, at most one clock advance late in wall time, never late in simulated time:
each record carries its own ``t``.
"""

from __future__ import annotations

from typing import Callable, Iterable

Record = dict
Subscriber = Callable[[Record], None]

#: Every record starts with the keys ``t``, ``src`` and ``kind``, in that order.
#: Keys of a ``sample`` record that are not readings.
SAMPLE_META = frozenset({"t", "src", "kind", "via"})


def time_key(t: float) -> float:
    """Simulated time as written in records: rounded to the microsecond so traces diff cleanly."""
    return round(float(t), 6)


class TraceBus:
    """Queue of records, delivered in batches to subscribers, optionally filtered by kind."""

    def __init__(self) -> None:
        self._pending: list[Record] = []
        self.emit: Callable[[Record], None] = self._pending.append
        self._handlers: list[tuple[object, Callable[[list[Record]], None], frozenset | None]] = []

    def subscribe(self, sink, kinds: Iterable[str] | None = None) -> None:
        """Deliver records to ``sink``: an object with ``write_batch(records)``, or a callable per record."""
        batch = getattr(sink, "write_batch", None)
        if batch is None:
            def batch(records, fn=sink):
                for record in records:
                    fn(record)
        self._handlers.append((sink, batch, None if kinds is None else frozenset(kinds)))

    def unsubscribe(self, sink) -> None:
        self._handlers = [h for h in self._handlers if h[0] != sink]   # == : bound methods are new objects

    def flush(self) -> None:
        """Hand every queued record to every subscriber, in order."""
        if not self._pending:
            return
        records = self._pending.copy()
        self._pending.clear()
        for _sink, handler, kinds in self._handlers:
            handler(records if kinds is None else [r for r in records if r["kind"] in kinds])
