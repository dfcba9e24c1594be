"""Sensors with a switch (digital level) output: PIR motion, door contact, flame, water leak.

A switch output tells the input at the other end of its wire when its level changes, so the
gateway reports an edge at once, as an interrupt-driven input would. Parts check what they
sense every ``CHECK_S``; comparator modules (LM393 boards) pull DO low when they detect.
"""

from __future__ import annotations

import math
from typing import ClassVar

from pydantic import Field

from sim import FaultParams, FaultSpec
from sim.device import Device
from sim.ports import source

from .sensing import Measure, Sensor, SensorParams

CHECK_S = 0.5


class SwitchOutput:
    """A part's digital output pins: their levels, and the edges they send down unbroken wires."""
    IDLE_LEVELS: ClassVar[dict[str, int]] = {"out": 0}      # the level of each pin with nothing detected

    def _init_switch(self) -> None:
        self._levels = dict(self.IDLE_LEVELS)

    def drive(self, port: str, level: int) -> None:
        if level != self._levels[port]:
            self._levels[port] = level
            for link in self.links[port]:
                if not link.broken:
                    device, peer_port = link.peer(self)
                    device.on_edge(peer_port, level)

    def level(self, port: str) -> int:
        return self._levels[port]


class PIRParams(SensorParams):
    hold_s: float = Field(5.0, ge=3.0, le=300.0, description="how long the output stays high after motion, s (the Tx pot)")
    warmup_s: float = Field(60.0, ge=0.0, description="settling time after power-on, s; the output stays low")
    detect_rate_hz: float = Field(0.4, gt=0.0, description="motion detections per second per person in the room")
    SUPPLY_RANGE_V: ClassVar = (4.5, 20.0)


class PIR(SwitchOutput, Device):
    TRACE_FIELDS = ("motion",)
    """HC-SR501 passive-infrared motion sensor: 3.3 V high while motion is seen, retriggerable."""
    TITLE, TITLE_ZH = "HC-SR501 PIR motion sensor (switch output)", "HC-SR501 人体红外传感器 (开关量)"
    SUPPLY_RANGE_V, CURRENT_MA = (4.5, 20.0), 0.065
    FAMILY = "sensors"
    Params = PIRParams

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self._init_switch()
        self._rng = sim.rng(device_id + ".motion")
        self._high_until = -1.0
        self._powered_at = 0.0

    @classmethod
    def port_specs(cls, params):
        return {"out": source("digital", "OUT, 3.3 V high on motion")}

    def start(self) -> None:
        self.sim.every(CHECK_S, self._check)

    def _check(self) -> None:
        t = self.sim.env.now
        if self.powered and t - self._powered_at >= self.p.warmup_s:
            people = self.sim.environment.value("occupancy", t)
            if people > 0 and self._rng.random() < 1.0 - math.exp(-self.p.detect_rate_hz * people * CHECK_S):
                self._high_until = t + self.p.hold_s
        self.drive("out", 1 if (self.powered and t < self._high_until) else 0)

    def set_power(self, on: bool) -> None:
        super().set_power(on)
        if on:
            self._powered_at, self._high_until = self.sim.env.now, -1.0
        else:
            self.drive("out", 0)

    def output(self, port: str) -> int:
        return self.level(port) if self.powered else 0

    def decode(self, level: int) -> dict:
        return {"motion": level}


class ComparatorParams(SensorParams):
    SUPPLY_RANGE_V: ClassVar = (3.3, 5.0)


class SwitchSensor(SwitchOutput, Sensor):
    """An LM393 comparator module: DO goes low while the element's reading is at or above ``THRESHOLD``.

    Unpowered, or with a dead output stage, DO sits at 0 V, which an active-low input reads as a
    detection: a failed module raises a false alarm rather than hiding a real one."""
    SUPPLY_RANGE_V, CURRENT_MA = (3.3, 5.0), 4.0
    IDLE_LEVELS = {"out": 1}
    Params = ComparatorParams
    THRESHOLD: ClassVar[float] = 0.5
    FIELD: ClassVar[str] = ""                  # the decoded reading: 1 detected, 0 not

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self._init_switch()

    @classmethod
    def port_specs(cls, params):
        return {"out": source("digital", "DO, low on detection")}

    def start(self) -> None:
        self.sim.every(CHECK_S, self._check)

    def detected(self) -> bool:
        return self.sense(0) >= self.THRESHOLD

    def _check(self) -> None:
        self.drive("out", int(self.powered and not self.detected()))

    def set_power(self, on: bool) -> None:
        super().set_power(on)
        if not on:
            self.drive("out", 0)

    def output(self, port: str) -> int:
        return self.level(port) if self.powered else 0

    def decode(self, level: int) -> dict:
        return {self.FIELD: 1 - level}


class DoorContact(SwitchSensor):
    """Magnetic door contact: an MC-38 reed switch and magnet (operating gap 15-25 mm) on a comparator
    board; DO is low while the magnet is away from the reed (door open)."""
    TITLE, TITLE_ZH = "Magnetic door contact (reed switch, switch output)", "门磁传感器 (干簧管, 开关量)"
    MEASURES = (Measure("door_open", "door_open", 0.0, 1.0, 1.0),)
    FIELD = "door_open"
    FAULTS = {"magnet_misaligned": FaultSpec("magnet_misaligned", "the magnet has shifted beyond the 25 mm "
                                             "operating gap: the door reads open while it is shut")}

    def detected(self) -> bool:
        return self.has_fault("magnet_misaligned") or super().detected()


class FlameParams(ComparatorParams):
    threshold: float = Field(0.3, ge=0.05, le=1, description="IR intensity that trips DO (the sensitivity pot; "
                                                             "intensity falls with the square of distance): 0.3 "
                                                             "trips on a lighter at about 35 cm, 0.06 at 80 cm")


class Sunlight(FaultParams):
    level: float = Field(0.5, gt=0, le=1, description="infrared the sunlight adds, on the flame scale 0..1")


class FlameSensor(SwitchSensor):
    """IR flame sensor module: photodiode for 760-1100 nm, 60° detection angle, about 80 cm for a lighter
    flame; DO active low."""
    TITLE, TITLE_ZH = "IR flame sensor module (DO active low)", "红外火焰传感器模块 (开关量)"
    Params = FlameParams
    MEASURES = (Measure("flame", "flame", 0.0, 1.0, 0.01),)
    FIELD = "flame"
    FAULTS = {"sunlight": FaultSpec("sunlight", "direct sunlight (or a halogen lamp) on the photodiode adds "
                                    "infrared: false flame alarms", Sunlight)}

    def detected(self) -> bool:
        sun = self.faults.get(("sunlight", None))
        return self.sense(0) + (sun.level if sun else 0.0) >= self.p.threshold


class WaterLeak(SwitchSensor):
    """Water leak detector: an exposed-trace floor probe on a comparator board; DO low while the traces are
    wet. Wetting trips it within a second; the probe takes minutes to dry off."""
    TITLE, TITLE_ZH = "Water leak sensor module (switch output)", "水浸传感器 (开关量)"
    MEASURES = (Measure("water_leak", "water_leak", 0.0, 1.0, 1.0, response_s=0.5, fall_s=180.0),)
    FIELD = "water_leak"
    FAULTS = {"corroded_probe": FaultSpec("corroded_probe", "the probe's traces are corroded and no longer "
                                          "conduct: water on the floor goes unnoticed")}

    def detected(self) -> bool:
        return not self.has_fault("corroded_probe") and super().detected()
