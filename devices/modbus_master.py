"""A gateway's RS-485 master: it polls every configured slave in turn and carries out writes.

Polling runs in cycles, one slave after another with the 3.5-character silence
between transactions; a cycle starts every poll period, or at once when the last
one overran it (back to back, the bus's own limit). Writes (a linkage rule switching
a relay) go out between two polls, and are retried a few times until acknowledged.
Per slave it counts polls, good replies, timeouts, CRC errors, exceptions and
collisions.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from sim.buses import rs485_transaction, silence_s

from .modbus import parse_write_reply

WRITE_TRIES = 3


@dataclass
class SlaveStats:
    polls: int = 0
    ok: int = 0
    timeouts: int = 0
    crc_errors: int = 0
    exceptions: int = 0
    collisions: int = 0

    def as_dict(self) -> dict:
        return dict(vars(self))


@dataclass
class _Write:
    target: str
    request: bytes
    label: str
    tries: int = 0
    done: Callable[[bool], None] | None = field(default=None)


class ModbusMaster:
    def __init__(self, owner, port: str, on_values: Callable, on_problem: Callable) -> None:
        self.owner, self.port = owner, port
        self.sim = owner.sim
        self.on_values, self.on_problem = on_values, on_problem
        net = owner.nets.get(port)
        members = net.members if net else []
        # Each slave type says how it is polled: (request bytes, parse(reply) -> values or a reason).
        # A slave with several tables to read gives a list of them.
        self.polls = []
        for dev, _ in members:
            if hasattr(dev, "master_poll"):
                polls = dev.master_poll()
                self.polls += [(dev, *one) for one in (polls if isinstance(polls, list) else [polls])]
        self.stats = {dev.id: SlaveStats() for dev, *_ in self.polls}
        self._writes: deque[_Write] = deque()
        self._wake = None

    def start(self) -> None:
        if self.polls:
            self.sim.env.process(self._loop())

    def queue_write(self, target, request: bytes, label: str, done: Callable[[bool], None] | None = None) -> None:
        self._writes.append(_Write(target.id, request, label, done=done))
        self.stats.setdefault(target.id, SlaveStats())
        if self._wake is not None and not self._wake.triggered:
            self._wake.succeed()
        elif not self.polls and self._wake is None:
            self.sim.env.process(self._loop())      # a bus with only outputs on it

    # -- the bus cycle ------------------------------------------------------------------------------
    def _loop(self):
        env, p = self.sim.env, self.owner.p
        if p.poll_offset_s and env.now < p.poll_offset_s:
            yield env.timeout(p.poll_offset_s - env.now)
        while True:
            cycle = env.now
            if self.owner.powered:
                for dev, request, parse in self.polls:
                    yield from self._writes_due()
                    if not self.owner.powered:
                        break
                    yield from self._poll(dev, request, parse)
            yield from self._writes_due()
            while env.now < cycle + self.owner.period_s:
                self._wake = env.event()
                yield env.timeout(cycle + self.owner.period_s - env.now) | self._wake
                self._wake = None
                yield from self._writes_due()

    def _transact(self, request: bytes, expect_reply: bool = True):
        p, outcome = self.owner.p, {}
        reply = yield from rs485_transaction(self.sim, self.owner, self.port, request, p.rs485_baud,
                                             p.rs485_parity, p.modbus_timeout_s, expect_reply, outcome)
        yield self.sim.env.timeout(silence_s(p.rs485_baud, p.rs485_parity))
        return reply, outcome.get("reason")

    def _poll(self, dev, request: bytes, parse):
        stats = self.stats[dev.id]
        stats.polls += 1
        reply, reason = yield from self._transact(request)
        if reply is None:
            if reason == "collision":
                stats.collisions += 1
                self.on_problem(dev, f"replies collided at Modbus address {request[0]} (two parts answer to it?)",
                                False)
            else:
                stats.timeouts += 1
                self.on_problem(dev, f"no reply from Modbus address {request[0]}", True)
            return
        result = parse(reply)
        if isinstance(result, str):
            if result.startswith("exception"):       # a good frame that says no
                stats.exceptions += 1
                self.on_problem(dev, f"Modbus {result} from address {request[0]}", False)
            else:
                stats.crc_errors += 1
                self.owner.emit("frame.lost", port=self.port, bus="rs485", reason=result, device=dev.id)
            return
        stats.ok += 1
        self.on_values(dev, result)

    def _writes_due(self):
        while self._writes and self.owner.powered:
            write = self._writes.popleft()
            reply, reason = yield from self._transact(write.request, expect_reply=write.request[0] != 0)
            problem = "broadcast" if write.request[0] == 0 else (
                reason or "timeout" if reply is None else parse_write_reply(reply, write.request))
            if problem is None or problem == "broadcast":
                self.owner.emit("event", action=write.label, target=write.target, ok=True)
                if write.done:
                    write.done(True)
                continue
            write.tries += 1
            if write.tries < WRITE_TRIES:
                self._writes.appendleft(write)
                continue
            self.owner.emit("event", action=write.label, target=write.target, ok=False,
                            error=f"{write.target} did not acknowledge ({problem}) after {WRITE_TRIES} tries")
            if write.done:
                write.done(False)
