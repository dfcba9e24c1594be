"""Resistive sensors read through a voltage divider: an NTC thermistor and a photoresistor (LDR).

The module puts the element and a fixed resistor in series across its supply; the gateway reads
the midpoint and inverts the element's curve (the Beta equation, the LDR's power law).
"""

from __future__ import annotations

import math
from typing import ClassVar

from pydantic import Field

from sim import FaultSpec
from sim.ports import source

from .sensing import BadReading, Measure, Sensor, SensorParams
from .signals import bottom_r, divider_v, no_signal, top_r

KELVIN = 273.15


class DividerSensor(Sensor):
    """A module whose analog output is a divider across its supply (ratiometric)."""
    NOMINAL_V: ClassVar[float] = 5.0
    SIGNAL = ("V", 0.0, 5.0)

    @property
    def vcc(self) -> float:
        return self.p.supply_v or self.NOMINAL_V

    def output(self, port: str) -> float:
        """Midpoint voltage, V; 0 V when unpowered."""
        return self.volts() if self.powered else 0.0

    def volts(self) -> float:
        raise NotImplementedError


class NTCParams(SensorParams):
    r25_kohm: float = Field(10.0, ge=0.1, le=1000, description="thermistor resistance at 25 °C, kΩ")
    beta_k: float = Field(3950.0, ge=2000, le=6000, description="B constant (25/50 °C), K")
    r_fixed_kohm: float = Field(10.0, ge=0.1, le=1000, description="the divider's fixed resistor (to the supply; "
                                                                    "the thermistor is to ground), kΩ")
    SUPPLY_RANGE_V: ClassVar = (3.0, 5.5)


class NTCThermistor(DividerSensor):
    """NTC thermistor module: 10 kΩ B3950 (MF52 bead) under a 10 kΩ resistor on 5 V; the output falls as
    it warms (2.5 V at 25 °C). Decoded with the Beta equation 1/T = 1/T25 + ln(R/R25)/B."""
    TITLE, TITLE_ZH = "NTC thermistor module 10 kΩ B3950 (analog)", "NTC 热敏电阻温度传感器模块 (模拟量)"
    SUPPLY_RANGE_V, CURRENT_MA = (3.0, 5.5), 0.5
    Params = NTCParams
    # ±1 % R25, ±1 % B and a 1 % divider resistor: about ±0.5 °C near room temperature;
    # an epoxy bead in still air has a thermal time constant of about 15 s.
    MEASURES = (Measure("temperature", "temperature_c", -40.0, 125.0, 0.01,
                        accuracy=0.5, noise=0.02, response_s=15.0),)
    FAULTS = {"open_element": FaultSpec("open_element", "the thermistor is cracked open: the output sits at the "
                                        "supply voltage and the gateway reports an open circuit")}

    @classmethod
    def port_specs(cls, params):
        return {"ao": source("analog_v", "AO, divider midpoint")}

    def volts(self) -> float:
        if self.has_fault("open_element"):
            return self.vcc
        r = self.p.r25_kohm * math.exp(self.p.beta_k * (1.0 / (self.sense(0) + KELVIN) - 1.0 / (25.0 + KELVIN)))
        return divider_v(self.vcc, self.p.r_fixed_kohm, r)

    def decode(self, volts: float) -> dict:
        if volts <= 0.0:
            raise no_signal(volts, "NTC module")
        if volts >= self.vcc:
            raise BadReading(f"NTC module output {volts:.3f} V at the supply: thermistor open circuit")
        r = bottom_r(volts, self.vcc, self.p.r_fixed_kohm)
        celsius = 1.0 / (1.0 / (25.0 + KELVIN) + math.log(r / self.p.r25_kohm) / self.p.beta_k) - KELVIN
        if celsius < -55.0:
            raise BadReading(f"NTC module reads {celsius:.0f} °C ({volts:.3f} V): thermistor open circuit")
        return {"temperature_c": round(celsius, 2)}


class LDRParams(SensorParams):
    r10_kohm: float = Field(15.0, ge=1, le=200, description="resistance at 10 lux, kΩ (GL5528: 10-20)")
    gamma: float = Field(0.7, ge=0.4, le=1.2, description="slope of log R against log lux, 10 to 100 lux "
                                                          "(GL5528: 0.7)")
    dark_kohm: float = Field(1000.0, ge=100, le=100000, description="resistance in the dark, kΩ (GL5528: ≥ 1 MΩ)")
    r_fixed_kohm: float = Field(10.0, ge=0.1, le=1000, description="the divider's fixed resistor (to ground; the "
                                                                   "LDR is to the supply), kΩ")
    SUPPLY_RANGE_V: ClassVar = (3.0, 5.5)


class Photoresistor(DividerSensor):
    """GL5528 photoresistor (CdS LDR) over a 10 kΩ resistor: R = R10 · (lux / 10)^-γ, so the output rises
    with light, steeply in dim light and flattening above a few thousand lux. Decoded by inverting the
    curve with the nominal R10 and γ; a part's own R10 (10-20 kΩ) puts it tens of percent off."""
    TITLE, TITLE_ZH = "Photoresistor GL5528 (LDR, analog)", "光敏电阻传感器 GL5528 (模拟量)"
    SUPPLY_RANGE_V, CURRENT_MA = (3.0, 5.5), 0.5
    Params = LDRParams
    # Rise time 20 ms, decay 30 ms; the R10 spread makes a reading good to ±50 % at best.
    MEASURES = (Measure("illuminance", "illuminance_lux", 0.0, 10000.0, 1.0, gain_error=0.5,
                        response_s=0.02, fall_s=0.03),)

    @classmethod
    def port_specs(cls, params):
        return {"ao": source("analog_v", "AO, divider midpoint")}

    def volts(self) -> float:
        lux = self.sense(0)
        r = self.p.dark_kohm if lux <= 0.0 else min(self.p.dark_kohm, self.p.r10_kohm * (lux / 10.0) ** -self.p.gamma)
        return divider_v(self.vcc, r, self.p.r_fixed_kohm)

    def decode(self, volts: float) -> dict:
        if volts <= 0.0:
            raise no_signal(volts, "photoresistor module")
        r = top_r(min(volts, self.vcc * 0.9999), self.vcc, self.p.r_fixed_kohm)
        lux = 0.0 if r >= self.p.dark_kohm else 10.0 * (r / self.p.r10_kohm) ** (-1.0 / self.p.gamma)
        return {"illuminance_lux": round(lux, 1)}
