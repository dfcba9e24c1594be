"""The one door from the outside world (MQTT, a terminal, the viewer) into the simulation.

Other threads ``put`` messages; the simulation drains them between events, at the
current simulated time. Nothing outside ever touches a device directly.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class Message:
    target: str                      # a device id, or "$sim"
    action: str                      # "command", "fault.inject", "fault.clear", ...
    args: dict[str, Any] = field(default_factory=dict)
    reply: Callable[[dict[str, Any]], None] | None = None


class Inbox:
    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Message] = queue.SimpleQueue()
        self.arrived = threading.Event()   # lets a paced run wake early

    def put(self, message: Message) -> None:
        self._queue.put(message)
        self.arrived.set()

    def empty(self) -> bool:
        return self._queue.empty()

    def drain(self) -> list[Message]:
        self.arrived.clear()
        out = []
        while True:
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                return out
