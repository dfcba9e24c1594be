"""The kernel: one SimPy environment, one clock in seconds, one trace bus, one inbox.

Pacing: ``speed=math.inf`` runs as fast as possible; ``speed=1`` follows the wall
clock; ``speed=N`` runs N simulated seconds per wall second. A driver (the CLI, the
viewer) may pause, resume and single-step; outside inputs arrive through the inbox
and are applied between events at the current simulated time. Whatever a lab opens
to the outside world (a TCP port) registers a callback in ``on_close``; the driver
calls ``close()`` when the run ends, however it ends.
"""

from __future__ import annotations

import heapq
import math
import threading
import time
from typing import Any, Callable

import simpy

from .environment import RoomEnvironment
from .inbox import Inbox, Message
from .rng import stream
from .trace import TraceBus, time_key


class Simulation:
    def __init__(self, seed: int = 0, name: str = "lab") -> None:
        self.env = simpy.Environment()
        self.seed = int(seed)
        self.name = name
        self.trace = TraceBus()
        self.inbox = Inbox()
        self.devices: dict[str, Any] = {}
        self.environment = RoomEnvironment.default(self.seed)
        self.scene: dict[str, Any] = {}
        self.handlers: dict[str, Callable[[Message], dict | simpy.Event]] = {}
        self.on_close: list[Callable[[], None]] = []
        self.endpoints: list[str] = []     # one line per open port: "ss1: Modbus TCP on 127.0.0.1:5020 ..."
        self.speed = math.inf              # the pace of the current (or last) run
        self.paused = False
        self._resume = threading.Event()
        self._stop = False
        self._tick_groups: dict[tuple[float, float], list[Callable[[], None]]] = {}

    # -- time ---------------------------------------------------------------------
    @property
    def now(self) -> float:
        return self.env.now

    def every(self, period_s: float, fn: Callable[[], None], start_s: float = 0.0) -> None:
        """Call ``fn()`` every ``period_s`` from ``start_s`` on (from now, if that has passed).

        Callbacks that share a period and start share one SimPy process, so a
        thousand sensors sampled at 1 Hz cost one kernel event a second, not a
        thousand. Tick times are ``first + k * period`` exactly: no drift.
        """
        if not period_s > 0:
            raise ValueError(f"period must be > 0 s, got {period_s}")
        key = (float(period_s), float(start_s))
        group = self._tick_groups.get(key)
        if group is None:
            group = self._tick_groups[key] = []
            self.env.process(self._ticker(key[0], key[1], group))
        group.append(fn)

    def _ticker(self, period: float, start: float, group: list):
        env = self.env
        if start > env.now:
            yield env.timeout(start - env.now)
        base, k = env.now, 0
        while True:
            for fn in group:
                fn()
            k += 1
            yield env.timeout(max(0.0, base + k * period - env.now))

    def rng(self, name: str):
        """The random stream for ``name`` under this scenario's seed."""
        return stream(self.seed, name)

    # -- trace ----------------------------------------------------------------------
    def emit(self, src: str, kind: str, **fields: Any) -> None:
        self.trace.emit({"t": time_key(self.env.now), "src": src, "kind": kind, **fields})

    # -- outside world ----------------------------------------------------------------
    def post(self, target: str, action: str, args: dict | None = None,
             reply: Callable[[dict], None] | None = None) -> None:
        """Thread-safe: queue an input for the simulation to apply at its current time."""
        self.inbox.put(Message(target, action, dict(args or {}), reply))

    def drain_inbox(self) -> None:
        for msg in self.inbox.drain():
            result = self._dispatch(msg)
            if isinstance(result, simpy.Event) and result.callbacks is not None:
                # The answer takes simulated time (a bus exchange): reply when the event fires.
                result.callbacks.append(lambda event, msg=msg: self._deferred_reply(msg, event))
            elif isinstance(result, simpy.Event):
                self._deferred_reply(msg, result)
            else:
                self._reply(msg, result)

    def _reply(self, msg: Message, result: dict) -> None:
        if msg.reply is not None:
            try:
                msg.reply(result)
            except Exception as exc:     # whoever asked cannot take the answer: the lab goes on
                self.emit(msg.target, "input.error", action=msg.action,
                          error=f"the reply could not be delivered: {type(exc).__name__}: {exc}")

    def _deferred_reply(self, msg: Message, event: simpy.Event) -> None:
        if event.ok:
            self._reply(msg, event.value)
            return
        event.defused = True              # an input must never take the lab down
        exc = event.value
        error = f"{type(exc).__name__}: {exc}"
        self.emit(msg.target, "input.error", action=msg.action, error=error)
        self._reply(msg, {"ok": False, "error": error})

    def close(self) -> None:
        """End the run's contact with the outside world: call every ``on_close`` callback once (closing
        ports), then apply what the closing produced (a client's goodbye) at the current time. Call it
        from the thread that runs the simulation, or once ``run`` has returned."""
        callbacks, self.on_close = self.on_close, []
        failure = None
        for callback in reversed(callbacks):
            try:
                callback()
            except Exception as exc:     # one port that cannot close must not keep the others open
                failure = failure or exc
        self.endpoints.clear()
        if callbacks:
            self.drain_inbox()
            self.trace.flush()
        if failure is not None:
            raise failure

    def _dispatch(self, msg: Message) -> dict | simpy.Event:
        handler = self.handlers.get(msg.action)
        if handler is None:
            return {"ok": False, "error": f"unknown action {msg.action!r}; "
                                          f"allowed: {', '.join(sorted(self.handlers)) or 'none'}"}
        try:
            return handler(msg)
        except (ValueError, KeyError, TypeError) as exc:
            error = str(exc.args[0]) if exc.args else type(exc).__name__
        except Exception as exc:  # an input must never take the lab down
            error = f"{type(exc).__name__}: {exc}"
        self.emit(msg.target, "input.error", action=msg.action, error=error)
        return {"ok": False, "error": error}

    # -- driving ----------------------------------------------------------------------
    def advance_to(self, t: float) -> None:
        """Process every event up to ``t`` and set the clock to ``t``."""
        if t > self.env.now:
            self.env.run(until=t)
            self._discard_stop_marker()
        if not self.inbox.empty():
            self.drain_inbox()
        self.trace.flush()

    def _discard_stop_marker(self) -> None:
        """SimPy 4.1 puts the event that ended ``run(until=...)`` back on the queue (priority -1, no
        callbacks). Left there it looks like work due now, and a paced run would spin on it."""
        queue = self.env._queue
        while queue and queue[0][0] == self.env.now and queue[0][1] == -1 and not queue[0][3].callbacks:
            heapq.heappop(queue)

    def step(self) -> float | None:
        """Process exactly the next event (for a paused viewer); its time, or None if idle."""
        if self.env.peek() == math.inf:
            return None
        self.env.step()
        self.drain_inbox()
        self.trace.flush()
        return self.env.now

    def pause(self) -> None:
        self.paused = True
        self._resume.clear()

    def resume(self) -> None:
        self.paused = False
        self._resume.set()
        self.inbox.arrived.set()

    def stop(self) -> None:
        self._stop = True
        self.resume()

    def set_speed(self, speed: float) -> None:
        """Change the pace (simulated seconds per wall second) of the run in progress, from now on."""
        if not speed > 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        self.speed = speed                # a paced run waiting for its next event re-reads it within 50 ms

    def run(self, until: float, speed: float = math.inf,
            on_progress: Callable[[float], None] | None = None) -> None:
        """Run to simulated time ``until`` at ``speed`` simulated seconds per wall second."""
        if not speed > 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        self._stop = False
        self.speed = speed
        if not self.inbox.empty():        # inputs that arrived before the run apply first
            self.drain_inbox()
        start = self.env.now
        chunk = max((until - start) / 1000.0, 1e-3)
        wall0, sim0 = time.monotonic(), start
        while self.env.now < until and not self._stop:
            if self.speed != speed:          # set_speed: the new pace counts from here
                speed = self.speed
                wall0, sim0 = time.monotonic(), self.env.now
            if self.paused:
                self.inbox.arrived.wait(0.05)
                self.drain_inbox()
                self.trace.flush()
                wall0, sim0 = time.monotonic(), self.env.now
                continue
            if math.isinf(speed):
                target = min(until, self.env.now + chunk)
            else:
                # Paced: sleep until the wall clock reaches the next event (or an input arrives),
                # then process everything due; never spin on a clock with nothing to do.
                target = min(until, sim0 + (time.monotonic() - wall0) * speed)
                due = min(self.env.peek(), until)
                if due > target:
                    if self.inbox.arrived.wait(min(0.05, (due - target) / speed)):
                        self.advance_to(min(until, sim0 + (time.monotonic() - wall0) * speed))
                    continue
            self.advance_to(target)
            if on_progress is not None:
                on_progress(self.env.now)
