"""A bounded outbox: messages wait here until the broker acknowledges them (QoS 1).

Two tiers: while the broker keeps up, waiting messages stay in memory (a few thousand at most);
once more pile up (the broker is away, or slower than the lab), everything not yet handed to the
client spills to SQLite on disk, and new messages go there until it has drained. Only the bridge's
worker thread touches it. When it is full, the oldest messages not yet handed over are dropped
and counted per device, so a report can name every sequence number that never left.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from contextlib import contextmanager

Message = tuple[str, bytes, bool, str, int]    # topic, payload, retain, device, seq (0: not numbered)
Row = tuple[int, str, bytes, bool, str, int]   # id first
MEMORY = 5000


class Outbox:
    def __init__(self, path: str | None = None, max_messages: int = 1_000_000) -> None:
        if max_messages < 1:
            raise ValueError("the outbox must hold at least one message")
        self._tmp = None
        if path is None:
            fd, path = tempfile.mkstemp(prefix="iotlab-outbox-", suffix=".sqlite")
            os.close(fd)
            self._tmp = path
        self.path, self.max_messages = path, max_messages
        self.memory_limit = max(1, min(MEMORY, max_messages // 2))
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("DROP TABLE IF EXISTS outbox")
        self._db.execute("CREATE TABLE outbox (id INTEGER PRIMARY KEY, topic TEXT, payload BLOB, "
                         "retain INTEGER, device TEXT, seq INTEGER)")
        self._memory: dict[int, Row] = {}      # id order = insertion order
        self._on_disk = 0
        self._next_id = 1
        self.dropped: dict[str, list[int]] = {}   # device -> sequence numbers dropped by policy

    def __len__(self) -> int:
        return len(self._memory) + self._on_disk

    @property
    def on_disk(self) -> int:
        return self._on_disk

    def put(self, messages: list[Message], floor: int = 0) -> int:
        """Store messages; returns how many older ones were dropped to make room.

        ``floor`` is the newest id already handed to the client: those are never dropped or moved.
        """
        if not messages:
            return 0
        first = self._next_id
        self._next_id += len(messages)
        rows = [(first + i,) + tuple(m) for i, m in enumerate(messages)]
        if not self._on_disk and len(self._memory) + len(rows) <= self.memory_limit:
            self._memory.update((row[0], row) for row in rows)
            return 0
        waiting = [row for row_id, row in self._memory.items() if row_id > floor]
        for row in waiting:                       # spill: everything not yet handed over goes to disk
            del self._memory[row[0]]
        with self._transaction():
            self._db.executemany("INSERT INTO outbox VALUES (?, ?, ?, ?, ?, ?)", waiting + rows)
        self._on_disk += len(waiting) + len(rows)
        return self._enforce_bound(floor)

    def _enforce_bound(self, floor: int) -> int:
        """Drop the oldest numbered messages not yet handed over. Unnumbered ones (retained statuses,
        command results) are kept: a lost "offline" would stay wrong on the broker."""
        excess = len(self) - self.max_messages
        if excess <= 0:
            return 0
        rows = self._db.execute("SELECT id, device, seq FROM outbox WHERE id > ? AND seq > 0 ORDER BY id LIMIT ?",
                                (floor, excess)).fetchall()
        if not rows:
            return 0
        for _, device, seq in rows:
            self.dropped.setdefault(device, []).append(seq)
        with self._transaction():
            self._db.executemany("DELETE FROM outbox WHERE id = ?", [(r[0],) for r in rows])
        self._on_disk -= len(rows)
        return len(rows)

    def waiting_numbers(self) -> dict[str, list[int]]:
        """Sequence numbers still waiting, per device (for the report when a run ends before they left)."""
        out: dict[str, list[int]] = {}
        rows = [(r[4], r[5]) for r in self._memory.values()]
        rows += self._db.execute("SELECT device, seq FROM outbox ORDER BY id").fetchall()
        for device, seq in rows:
            if seq:
                out.setdefault(device, []).append(seq)
        return out

    def after(self, last_id: int, limit: int) -> list[tuple[int, str, bytes, bool]]:
        """Waiting messages newer than ``last_id``, oldest first: (id, topic, payload, retain)."""
        if self._on_disk:
            return self._db.execute("SELECT id, topic, payload, retain FROM outbox WHERE id > ? ORDER BY id "
                                    "LIMIT ?", (last_id, limit)).fetchall()
        out = []
        for row_id, row in self._memory.items():
            if row_id > last_id:
                out.append(row[:4])
                if len(out) == limit:
                    break
        return out

    def done(self, ids: list[int]) -> None:
        """Forget acknowledged messages."""
        on_disk = [(i,) for i in ids if self._memory.pop(i, None) is None]
        if on_disk:
            with self._transaction():
                cur = self._db.executemany("DELETE FROM outbox WHERE id = ?", on_disk)
            self._on_disk -= cur.rowcount if cur.rowcount >= 0 else len(on_disk)

    @contextmanager
    def _transaction(self):
        """One transaction for a whole batch (the connection is in autocommit mode otherwise)."""
        self._db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()
        if self._tmp:
            for suffix in ("", "-wal", "-shm"):
                try:
                    os.unlink(self._tmp + suffix)
                except FileNotFoundError:
                    pass
