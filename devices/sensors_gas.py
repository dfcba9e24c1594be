"""MQ-2 combustible gas and smoke sensor module: a heated SnO2 element with an analog and a comparator output."""

from __future__ import annotations

import math
from typing import ClassVar, Literal

from pydantic import Field

from sim import FaultSpec
from sim.ports import source

from .sensing import Measure, SensorParams
from .sensors_divider import DividerSensor
from .sensors_switch import CHECK_S, SwitchOutput
from .signals import divider_v, no_signal, top_r

#: Rs/R0 = RATIO_200 · (ppm / 200) ^ SLOPE, fitted to the datasheet's sensitivity curves (log-log lines).
CURVES = {"lpg": (1.62, -0.47), "smoke": (3.39, -0.44), "co": (5.25, -0.34)}
CLEAN_AIR_RATIO = 9.83          # Rs/R0 in clean air (the datasheet's R0: Rs at 1000 ppm H2)
COLD_RATIO = 1000.0             # an unheated element barely conducts


class MQ2Params(SensorParams):
    gas: Literal[tuple(CURVES)] = Field("lpg", description="which sensitivity curve the gateway decodes with: "
                                                           "lpg, smoke or co")
    r0_kohm: float = Field(10.0, ge=1, le=100, description="the part's R0 from calibration, kΩ (datasheet 2-20)")
    rl_kohm: float = Field(10.0, ge=1, le=47, description="load resistor under the element, kΩ")
    threshold_v: float = Field(2.0, gt=0, lt=5, description="the DO comparator's trip voltage on AO (the pot), V")
    warmup_s: float = Field(120.0, ge=0, le=172800, description="heater warm-up after power-on, s: AO starts high "
                                                               "and settles over this time (a new part: 24-48 h)")
    SUPPLY_RANGE_V: ClassVar = (4.9, 5.1)


class MQ2(SwitchOutput, DividerSensor):
    TRACE_FIELDS = ("gas_alarm",)
    """MQ-2 gas/smoke module: the element's resistance Rs falls as combustible gas rises (300-10,000 ppm);
    AO is Rs over a load resistor on 5 V, DO (LM393) goes low when AO passes the threshold pot.

    After power-on the cold element reads high and settles over the warm-up time, so DO raises a false
    alarm at first. It responds within 10 s and recovers in about 30 s."""
    TITLE, TITLE_ZH = "MQ-2 gas/smoke sensor module (AO + DO)", "MQ-2 烟雾/可燃气体传感器模块 (模拟量+开关量)"
    SUPPLY_RANGE_V, CURRENT_MA = (4.9, 5.1), 160.0        # the heater: 5 V, about 800 mW
    Params = MQ2Params
    IDLE_LEVELS = {"do": 1}
    MEASURES = (Measure("gas", "gas_ppm", 0.0, 10000.0, 1.0, gain_error=0.3, noise=1.0,
                        response_s=10.0, fall_s=30.0),)
    FAULTS = {"heater_failure": FaultSpec("heater_failure", "the heater coil is open: no warm-up, AO stays near "
                                          "0 V and the sensor reads almost no gas whatever the air")}

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self._init_switch()
        self._heated_at = 0.0

    @classmethod
    def port_specs(cls, params):
        return {"ao": source("analog_v", "AO, rises with gas"), "do": source("digital", "DO, low on gas")}

    def start(self) -> None:
        self.sim.every(CHECK_S, self._check)

    def _check(self) -> None:
        self.drive("do", int(self.powered and self.volts() < self.p.threshold_v))

    def set_power(self, on: bool) -> None:
        super().set_power(on)
        if on:
            self._heated_at = self.sim.env.now
        else:
            self.drive("do", 0)

    def fault_off(self, spec, port) -> None:
        super().fault_off(spec, port)
        if spec.name == "heater_failure":
            self._heated_at = self.sim.env.now          # a repaired heater warms up again

    def _ratio(self, ppm: float) -> float:
        at_200, slope = CURVES[self.p.gas]
        return CLEAN_AIR_RATIO if ppm <= 0.0 else min(CLEAN_AIR_RATIO, at_200 * (ppm / 200.0) ** slope)

    def volts(self) -> float:
        if self.has_fault("heater_failure"):
            rs = COLD_RATIO * self.p.r0_kohm
        else:
            rs = self._ratio(self.sense(0)) * self.p.r0_kohm
            if self.p.warmup_s > 0:     # a cold element conducts well; Rs creeps up to within 5 % of its
                # working value over the warm-up time
                rs *= 1.0 - 0.95 * math.exp(-3.0 * (self.sim.env.now - self._heated_at) / self.p.warmup_s)
        return divider_v(self.vcc, rs, self.p.rl_kohm)

    def output(self, port: str) -> float | int:
        """AO in volts; DO as a level."""
        if port == "do":
            return self.level(port) if self.powered else 0
        return super().output(port)

    def decode(self, volts: float) -> dict:
        if volts <= 0.0:
            raise no_signal(volts, "MQ-2 AO")
        ratio = top_r(min(volts, self.vcc * 0.9999), self.vcc, self.p.rl_kohm) / self.p.r0_kohm
        at_200, slope = CURVES[self.p.gas]
        ppm = 0.0 if ratio >= CLEAN_AIR_RATIO else 200.0 * (ratio / at_200) ** (1.0 / slope)
        return {"gas_ppm": round(min(ppm, 99999.0))}

    def decode_do(self, level: int) -> dict:
        return {"gas_alarm": 1 - level}

    def decoder(self, port: str):
        """How a gateway input wired to ``port`` reads it."""
        return self.decode if port == "ao" else self.decode_do
