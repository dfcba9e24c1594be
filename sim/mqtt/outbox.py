"""A bounded SQLite outbox: messages wait here until the broker acknowledges them (QoS 1).

Only the bridge's worker thread touches it. When it is full, the oldest waiting messages are
dropped and counted per device, so a report can name every sequence number that never left.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
import sqlite3
import tempfile

Message = tuple[str, bytes, bool, str, int]    # topic, payload, retain, device, seq (0: not numbered)


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
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("DROP TABLE IF EXISTS outbox")
        self._db.execute("CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT, payload BLOB, "
                         "retain INTEGER, device TEXT, seq INTEGER)")
        self._count = 0
        self.dropped: dict[str, list[int]] = {}   # device -> sequence numbers dropped by policy

    def __len__(self) -> int:
        return self._count

    def put(self, messages: list[Message], floor: int = 0) -> int:
        """Store messages; returns how many older ones were dropped to make room.

        Only messages newer than ``floor`` (those not yet handed to the client) are dropped.
        """
        if not messages:
            return 0
        with self._transaction():
            self._db.executemany("INSERT INTO outbox (topic, payload, retain, device, seq) VALUES (?, ?, ?, ?, ?)",
                                 messages)
        self._count += len(messages)
        excess = self._count - self.max_messages
        if excess <= 0:
            return 0
        rows = self._db.execute("SELECT id, device, seq FROM outbox WHERE id > ? ORDER BY id LIMIT ?",
                                (floor, excess)).fetchall()
        if not rows:
            return 0
        for _, device, seq in rows:
            if seq:
                self.dropped.setdefault(device, []).append(seq)
        self._db.execute("DELETE FROM outbox WHERE id > ? AND id <= ?", (floor, rows[-1][0]))
        self._count -= len(rows)
        return len(rows)

    def after(self, last_id: int, limit: int) -> list[tuple[int, str, bytes, bool]]:
        """Waiting messages newer than ``last_id``, oldest first."""
        return self._db.execute("SELECT id, topic, payload, retain FROM outbox WHERE id > ? ORDER BY id LIMIT ?",
                                (last_id, limit)).fetchall()

    def done(self, ids: list[int]) -> None:
        """Forget acknowledged messages."""
        if ids:
            with self._transaction():
                cur = self._db.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in ids])
            self._count -= cur.rowcount if cur.rowcount >= 0 else len(ids)

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
