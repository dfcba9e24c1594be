"""A dev board's ``machine.Timer`` on the Amaranth timer (``peripherals: {timer: rtl}``; docs/hdl.md).

Each ``Timer(id)`` the firmware starts gets its own RTL timer, clocked at ``timer_clock_hz`` (the
peripheral clock after the bus prescaler: every clock is one co-simulated cycle). ``Timer.init``
writes CTRL (stop), PRESCALE and PERIOD for the period (``period = (PERIOD+1) * (PRESCALE+1)`` clocks:
the period is whole clocks, as on the chip), COUNT (restarts the prescaler), clears PEND and sets
CTRL = EN | IRQ_EN (| ONESHOT); those writes go over the register bus, so the timer's first counting
clock is the moment of ``init`` and the first interrupt comes one period later. The timer's cycles
follow simulated time: a process clocks the RTL
ahead until its ``irq`` rises or until the next event anywhere in the simulation (nothing scheduled
can touch the timer before that; at least one clock), then sleeps until that moment. Something from
outside the schedule (an inbox message in a paced run) may find the counter ahead of the clock; the
firmware cannot read the counter, and an ``irq`` found ahead is raised only at its own time and only
if the timer is still the same (``init`` or ``deinit`` meanwhile drop it); at the ``irq`` it clears PEND and raises the
timer's interrupt. ``Timer.deinit`` writes CTRL = 0. The RTL's cycles run outside the firmware's line
counter.

``PWM`` on a pin (with ``timer: rtl``) gets its own RTL timer too: PERIOD from the frequency, COMPARE from
the duty, CTRL = EN | PWM; the board clocks it through one whole period at each change and records the
duty and frequency the RTL's ``pwm`` pin really keeps (a slow timer clock quantizes them: 1 kHz at
10 kHz has ten steps), then stops clocking it, the waveform repeating until the next change.
"""

from __future__ import annotations

from contextlib import nullcontext
from importlib import import_module
from math import ceil


#: The longest PWM period (timer clocks) the board clocks through to measure a duty on the RTL.
PWM_MAX_CLOCKS = 200_000


class RtlTimers:
    """Mixin for ``devices.board.DevBoard``."""

    def _rtl_timers_clear(self) -> None:
        self._tports: dict = {}                       # Timer key -> [port, time of cycle 0]

    def _timer_on_rtl(self) -> bool:
        return self._model_of("timer") != "behavioural"

    def _tport(self, key):
        """[port, time of its cycle 0] of the RTL timer behind ``key`` (a Timer's key, or "pwm:PIN")."""
        entry = self._tports.get(key)
        if entry is None:
            entry = self._tports[key] = [import_module("hdl.models").open_port("timer", "rtl"), self.sim.env.now]
        return entry

    def _timing(self, clocks: float, what: str) -> tuple[int, int]:
        """(PRESCALE + 1, PERIOD) for a period of ``clocks`` timer clocks (whole clocks, at least 2). PERIOD
        stays below 0xFFFF so that COMPARE (16 bits) can still exceed it for a duty of 100 %."""
        clocks = max(2.0, clocks)
        presc = max(1, ceil(clocks / 0xFFFF))
        if presc > 0x10000:
            raise ValueError(f"{what} is too long for a 16-bit timer with a 16-bit prescaler at timer_clock_hz "
                             f"{self.p.timer_clock_hz} (at most {0x10000 * 0xFFFF / self.p.timer_clock_hz:g} s)")
        return presc, max(1, round(clocks / presc)) - 1

    def rtl_pwm(self, name: str, freq: float, duty: float) -> tuple[float, float]:
        """A PWM pin on its own RTL timer: PERIOD from ``freq``, COMPARE from ``duty``; the timer is clocked
        through one whole period and the pin's high time measured. (duty, frequency) as the RTL keeps them."""
        clk = self.p.timer_clock_hz
        presc, period = self._timing(clk / freq, f"PWM at {freq:g} Hz")
        if (period + 1) * presc > PWM_MAX_CLOCKS:
            raise ValueError(f"PWM at {freq:g} Hz is {(period + 1) * presc} clocks a period at timer_clock_hz "
                             f"{clk}: measuring it on the RTL would take too long (at most {PWM_MAX_CLOCKS}); "
                             "raise the frequency or lower timer_clock_hz")
        compare = round(max(0.0, min(1.0, duty)) * (period + 1))
        bits = {f.name: 1 << f.lsb for f in self._tregs.reg("CTRL").fields}
        runner = self.runner
        with runner.native() if runner is not None else nullcontext():
            port = self._tport(f"pwm:{name}")[0]
            for reg, value in (("CTRL", 0), ("PRESCALE", presc - 1), ("PERIOD", period), ("COMPARE", compare),
                               ("COUNT", 0), ("CTRL", bits["EN"] | bits["PWM"])):
                port.write(self._treg(reg), value)
            port.changes()
            begin, cycles = port.cycle, (period + 1) * presc
            port.run(cycles)
            edges = [(c, v) for c, k, v in port.changes() if k == "pwm"]
            port.write(self._treg("CTRL"), 0)             # the waveform repeats: no need to clock on
        level, last, high = port.outputs["pwm"] if not edges else 1 - edges[0][1], begin, 0
        for c, v in edges:
            high += (c - last) * level
            level, last = v, c
        high += (begin + cycles - last) * level
        return round(high / cycles, 4), clk / cycles

    def _sync(self, entry) -> None:
        """Clock the timer up to now (it may be up to one cycle ahead, never behind)."""
        port, t0 = entry
        target = round((self.sim.env.now - t0) * self.p.timer_clock_hz)
        if target > port.cycle:
            port.run(target - port.cycle)

    @property
    def _tregs(self):
        return import_module("hdl.models").REGMAPS["timer"]

    def _treg(self, name: str) -> int:
        return self._tregs.reg(name).addr

    def rtl_timer_start(self, timer, gen: int, period_s: float, periodic: bool, runner) -> None:
        presc, period = self._timing(period_s * self.p.timer_clock_hz, f"a period of {period_s:g} s")
        with runner.native() if runner is not None else nullcontext():
            entry = self._tport(timer.key)
            port = entry[0]
            self._sync(entry)
            ctrl = self._tregs.reg("CTRL")
            bits = {f.name: 1 << f.lsb for f in ctrl.fields}
            port.write(self._treg("CTRL"), 0)
            port.write(self._treg("PRESCALE"), presc - 1)
            port.write(self._treg("PERIOD"), period)
            port.write(self._treg("COUNT"), 0)
            port.write(self._treg("PEND"), 1)
            port.write(self._treg("CTRL"), bits["EN"] | bits["IRQ_EN"] | (0 if periodic else bits["ONESHOT"]))
        # the writes went over the bus, not on timer clocks: the timer's first counting clock is now
        entry[1] = self.sim.env.now - port.cycle / self.p.timer_clock_hz
        self.sim.env.process(self._rtl_timer(timer, gen, entry, runner))

    def rtl_timer_stop(self, timer) -> None:
        entry = self._tports.get(timer.key)
        if entry is not None:
            runner = self.runner
            with runner.native() if runner is not None else nullcontext():
                self._sync(entry)
                entry[0].write(self._treg("CTRL"), 0)

    def _rtl_timer(self, timer, gen, entry, runner):
        env, clk = self.sim.env, self.p.timer_clock_hz
        port, t0 = entry
        while timer.generation == gen and self.runner is runner and entry[1] == t0:
            horizon = env.peek()
            limit = round((horizon - t0) * clk) - port.cycle if horizon != float("inf") else 10 * clk
            # at least one clock: two timers waiting on each other's next event would never move on
            fired = port.run_until("irq", 1, max(1, limit))
            if not fired and not port.outputs["active"]:
                return                                # stopped (one-shot done, or CTRL written 0)
            at = t0 + (port.cycle - (1 if fired else 0)) / clk
            yield env.timeout(max(0.0, at - env.now))
            if timer.generation != gen or self.runner is not runner:
                return
            if fired:
                port.write(self._treg("PEND"), 1)
                self.raise_irq(timer.irq_entry)

