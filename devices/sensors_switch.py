"""Sensors with a switch (digital level) output."""

from __future__ import annotations

import math
from typing import ClassVar

from pydantic import Field

from sim.ports import source

from sim.device import Device

from .sensing import SensorParams


class PIRParams(SensorParams):
    hold_s: float = Field(5.0, ge=3.0, le=300.0, description="how long the output stays high after motion, s (the Tx pot)")
    warmup_s: float = Field(60.0, ge=0.0, description="settling time after power-on, s; the output stays low")
    detect_rate_hz: float = Field(0.4, gt=0.0, description="motion detections per second per person in the room")
    SUPPLY_RANGE_V: ClassVar = (4.5, 20.0)


class PIR(Device):
    """HC-SR501 passive-infrared motion sensor: 3.3 V high while motion is seen, retriggerable."""
    TITLE, TITLE_ZH = "HC-SR501 PIR motion sensor (switch output)", "HC-SR501 人体红外传感器 (开关量)"
    SUPPLY_RANGE_V, CURRENT_MA = (4.5, 20.0), 0.065
    FAMILY = "sensors"
    Params = PIRParams
    CHECK_S = 0.5

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self._rng = sim.rng(device_id + ".motion")
        self._high_until = -1.0
        self._level = 0
        self._powered_at = 0.0

    @classmethod
    def port_specs(cls, params):
        return {"out": source("digital", "OUT, 3.3 V high on motion")}

    def start(self) -> None:
        self.sim.every(self.CHECK_S, self._check)

    def _check(self) -> None:
        t = self.sim.env.now
        if self.powered and t - self._powered_at >= self.p.warmup_s:
            people = self.sim.environment.value("occupancy", t)
            if people > 0 and self._rng.random() < 1.0 - math.exp(-self.p.detect_rate_hz * people * self.CHECK_S):
                self._high_until = t + self.p.hold_s
        self._update(1 if (self.powered and t < self._high_until) else 0)

    def _update(self, level: int) -> None:
        if level != self._level:
            self._level = level
            for link in self.links["out"]:
                if not link.broken:
                    device, port = link.peer(self)
                    device.on_edge(port, level)

    def set_power(self, on: bool) -> None:
        super().set_power(on)
        if on:
            self._powered_at, self._high_until = self.sim.env.now, -1.0
        else:
            self._update(0)

    def output(self, port: str) -> int:
        return self._level if self.powered else 0

    def decode(self, level: int) -> dict:
        return {"motion": level}
