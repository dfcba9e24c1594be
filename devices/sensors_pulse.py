"""Pulse-output sensors: a tipping-bucket rain gauge and a Hall-effect water flow meter.

Pulses are not simulated one by one: when a counter asks, the part integrates its pulse rate
over the time since it last asked and hands over the whole pulses, carrying the fraction (the
bucket's fill, the rotor's angle) to the next interval. The starting fraction is drawn from the
part's own random stream, so two gauges in the same rain do not tip in step.
"""

from __future__ import annotations

import math
from typing import ClassVar

from pydantic import Field

from sim import FaultSpec
from sim.ports import source

from .sensing import Measure, Sensor, SensorParams


class PulseSensor(Sensor):
    """A part that emits pulses at a rate set by its sensing element."""
    UNIT_FIELDS: ClassVar[tuple[str, str]] = ("", "")      # the rate and the total, as reported
    STOP_FAULT: ClassVar[str] = ""                         # the part's own fault that stops its pulses
    START: ClassVar[float] = 0.0                           # below this rate the mechanism does not move

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self._phase = float(sim.rng(device_id + ".pulses").random())
        self._last_t, self._last_rate = sim.env.now, 0.0

    @classmethod
    def port_specs(cls, params):
        return {"out": source("pulse", "pulse output")}

    def scale(self) -> tuple[float, float]:
        """(pulses per second for one unit of the rate, what one pulse stands for in the total's unit)."""
        raise NotImplementedError

    def pulses(self, port: str) -> int:
        """Pulses put on the output since the last call (none while unpowered or stopped)."""
        t = self.sim.env.now
        running = self.powered and not self.has_fault(self.STOP_FAULT)
        value = self.sense(0) if running else 0.0
        rate = value * self.scale()[0] if value >= self.START else 0.0
        filled = self._phase + 0.5 * (rate + self._last_rate) * (t - self._last_t)
        count = math.floor(filled)
        self._phase, self._last_t, self._last_rate = filled - count, t, rate
        return count if running else 0

    def decode(self, raw: tuple[int, int, float]) -> dict:
        """(pulses in the period, pulses counted in all, period s) to a rate and a total."""
        count, total, period_s = raw
        rate_field, total_field = self.UNIT_FIELDS
        hz_per_unit, per_pulse = self.scale()
        return {rate_field: round(count / period_s / hz_per_unit, 2), total_field: round(total * per_pulse, 3)}


class RainParams(SensorParams):
    mm_per_tip: float = Field(0.2, ge=0.1, le=1.0, description="rain depth one tip of the bucket stands for, mm")
    SUPPLY_RANGE_V: ClassVar = (5.0, 30.0)


class RainGauge(PulseSensor):
    TRACE_FIELDS = ("rain_mm",)
    """Tipping-bucket rain gauge: a 0.2 mm bucket closes a reed switch at each tip; 0-4 mm/min (240 mm/h),
    ±4 %. Above its range the bucket cannot tip fast enough and the count saturates."""
    TITLE, TITLE_ZH = "Tipping-bucket rain gauge, 0.2 mm per tip (pulse)", "翻斗式雨量传感器 (脉冲输出)"
    SUPPLY_RANGE_V, CURRENT_MA = (5.0, 30.0), 1.0
    Params = RainParams
    MEASURES = (Measure("rain_mm_h", "rain_mm_h", 0.0, 240.0, 0.2, gain_error=0.04, response_s=30.0),)
    UNIT_FIELDS = ("rain_mm_h", "rain_mm")
    STOP_FAULT = "clogged"
    FAULTS = {"clogged": FaultSpec("clogged", "leaves or dirt block the funnel: the bucket no longer tips and "
                                   "rain goes uncounted")}

    def scale(self):
        return 1.0 / (self.p.mm_per_tip * 3600.0), self.p.mm_per_tip


class FlowParams(SensorParams):
    k_hz_per_l_min: float = Field(7.5, gt=0, le=100, description="pulse frequency per L/min (YF-S201: F = 7.5·Q)")
    SUPPLY_RANGE_V: ClassVar = (5.0, 18.0)


class FlowMeter(PulseSensor):
    TRACE_FIELDS = ("volume_l",)
    """YF-S201 Hall-effect water flow sensor (G1/2"): F = 7.5·Q pulses/s with Q in L/min (450 pulses a litre),
    1-30 L/min, ±10 %. Below 1 L/min the rotor does not turn."""
    TITLE, TITLE_ZH = "YF-S201 water flow sensor (Hall, pulse)", "YF-S201 霍尔水流量传感器 (脉冲输出)"
    SUPPLY_RANGE_V, CURRENT_MA = (5.0, 18.0), 15.0
    Params = FlowParams
    START = 1.0
    MEASURES = (Measure("flow_l_min", "flow_l_min", 0.0, 30.0, 0.01, gain_error=0.1, response_s=0.5),)
    UNIT_FIELDS = ("flow_l_min", "volume_l")
    STOP_FAULT = "rotor_jammed"
    FAULTS = {"rotor_jammed": FaultSpec("rotor_jammed", "debris jams the rotor: no pulses although water flows")}

    def scale(self):
        return self.p.k_hz_per_l_min, 1.0 / (self.p.k_hz_per_l_min * 60.0)
