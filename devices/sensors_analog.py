"""Sensors with linear analog outputs: voltage (LM35, soil moisture) and 4-20 mA loops (PT100, anemometer).

Each gives ``output(port)`` in volts or milliamps and ``decode(value)`` back to engineering
units; ``SIGNAL`` is the electrical range a DAQ channel would be set up for.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from sim import FaultParams, FaultSpec
from sim.ports import source

from .sensing import Measure, Sensor, SensorParams
from .signals import loop_current, loop_value, no_signal


class LM35Params(SensorParams):
    SUPPLY_RANGE_V: ClassVar = (4.0, 30.0)


class LM35(Sensor):
    """LM35 precision temperature sensor, basic circuit: 10 mV/°C on a voltage output."""
    TITLE, TITLE_ZH = "LM35 analog temperature sensor (10 mV/°C)", "LM35 模拟温度传感器"
    SUPPLY_RANGE_V, CURRENT_MA = (4.0, 30.0), 0.06
    SIGNAL = ("V", 0.0, 1.5)
    Params = LM35Params
    MV_PER_C = 10.0
    # Basic (single-supply) circuit: +2..150 °C, ±0.5 °C at 25 °C; TO-92 in still air lags by minutes.
    MEASURES = (Measure("temperature", "temperature_c", 2.0, 150.0, 0.01,
                        accuracy=0.5, noise=0.03, response_s=120.0),)

    @classmethod
    def port_specs(cls, params):
        return {"out": source("analog_v", "Vout, 10 mV/°C")}

    def output(self, port: str) -> float:
        """Output voltage, V."""
        if not self.powered:
            return 0.0
        return self.sense(0) * self.MV_PER_C / 1000.0

    def decode(self, volts: float) -> dict:
        return {"temperature_c": round(volts * 1000.0 / self.MV_PER_C, 2)}


class LoopParams(SensorParams):
    range_low_c: float = Field(-50.0, description="temperature at 4 mA, °C")
    range_high_c: float = Field(150.0, description="temperature at 20 mA, °C")
    SUPPLY_RANGE_V: ClassVar = (12.0, 36.0)

    @model_validator(mode="after")
    def _span(self):
        if self.range_high_c <= self.range_low_c:
            raise ValueError(f"range_high_c ({self.range_high_c:g}) must be above range_low_c ({self.range_low_c:g})")
        return self


class PT100Transmitter(Sensor):
    """PT100 probe with a two-wire 4-20 mA head transmitter (NAMUR NE43 signalling)."""
    TITLE, TITLE_ZH = "PT100 temperature transmitter, 4-20 mA", "PT100 温度变送器 (4-20 mA)"
    SUPPLY_RANGE_V, CURRENT_MA = (12.0, 36.0), 20.0
    SIGNAL = ("mA", 4.0, 20.0)
    Params = LoopParams
    # Class A element with transmitter: ±0.2 % of span; the probe sheath lags ~30 s.
    MEASURES = (Measure("temperature", "temperature_c", -200.0, 850.0, 0.01,
                        accuracy=0.4, noise=0.02, response_s=30.0),)

    @classmethod
    def port_specs(cls, params):
        return {"loop": source("current_loop", "two-wire 4-20 mA loop")}

    def output(self, port: str) -> float:
        """Loop current, mA. An unpowered loop carries nothing."""
        if not self.powered:
            return 0.0
        return loop_current(self.sense(0), self.p.range_low_c, self.p.range_high_c)

    def decode(self, ma: float) -> dict:
        return {"temperature_c": round(loop_value(ma, self.p.range_low_c, self.p.range_high_c), 2)}


class SoilParams(SensorParams):
    dry_v: float = Field(2.9, gt=0.5, le=3.3, description="output in dry air (0 %VWC), V: the calibration point "
                                                          "the gateway decodes with")
    wet_v: float = Field(1.2, gt=0.5, le=3.3, description="output with the probe in water (100 %VWC), V")
    SUPPLY_RANGE_V: ClassVar = (3.3, 5.5)

    @model_validator(mode="after")
    def _inverse(self):
        if self.wet_v >= self.dry_v:
            raise ValueError(f"wet_v ({self.wet_v:g} V) must be below dry_v ({self.dry_v:g} V): "
                             "a capacitive probe's output falls as the soil gets wetter")
        return self


class SoilMoisture(Sensor):
    """Capacitive soil moisture sensor v1.2 (TLC555 oscillator, on-board 3.3 V regulator): the wetter the
    soil, the lower the output, about 2.9 V in dry air to 1.2 V in water; decoded with a two-point
    calibration (dry_v, wet_v)."""
    TITLE, TITLE_ZH = "Capacitive soil moisture sensor (analog, inverse)", "电容式土壤湿度传感器 (模拟量)"
    SUPPLY_RANGE_V, CURRENT_MA = (3.3, 5.5), 5.0
    SIGNAL = ("V", 0.0, 3.3)
    Params = SoilParams
    # After a two-point calibration about ±3 %VWC; the RC output filter settles in about a second.
    MEASURES = (Measure("soil_moisture", "soil_moisture_pct", 0.0, 100.0, 0.1,
                        accuracy=3.0, noise=0.2, response_s=1.5),)

    @classmethod
    def port_specs(cls, params):
        return {"aout": source("analog_v", "AOUT, lower when wetter")}

    def output(self, port: str) -> float:
        if not self.powered:
            return 0.0
        return self.p.dry_v - (self.p.dry_v - self.p.wet_v) * self.sense(0) / 100.0

    def decode(self, volts: float) -> dict:
        if volts < 0.5:
            raise no_signal(volts, "soil moisture sensor")
        pct = (self.p.dry_v - volts) / (self.p.dry_v - self.p.wet_v) * 100.0
        return {"soil_moisture_pct": round(min(100.0, max(0.0, pct)), 1)}


OUTPUTS = {"4-20mA": ("current_loop", ("mA", 4.0, 20.0)), "0-10V": ("analog_v", ("V", 0.0, 10.0)),
           "0-5V": ("analog_v", ("V", 0.0, 5.0))}


class AnemometerParams(SensorParams):
    output: Literal[tuple(OUTPUTS)] = Field("4-20mA", description="the transmitter variant: 4-20 mA two-wire "
                                                                  "loop (NAMUR NE43), 0-10 V or 0-5 V")
    SUPPLY_RANGE_V: ClassVar = (10.0, 30.0)


class BearingWear(FaultParams):
    start_m_s: float = Field(3.0, gt=0.5, le=30, description="wind speed the worn cups now need to turn, m/s")


class Anemometer(Sensor):
    """Three-cup wind speed transmitter, 0-30 m/s, starting speed 0.5 m/s, accuracy ±(0.3 + 3 %) m/s.

    The 4-20 mA variant signals like the PT100 transmitter (NAMUR NE43); the voltage variants span
    0-10 V or 0-5 V and clip at full scale."""
    TITLE, TITLE_ZH = "Cup anemometer 0-30 m/s (4-20 mA / 0-10 V / 0-5 V)", "三杯式风速传感器 (4-20 mA/0-10 V/0-5 V)"
    SUPPLY_RANGE_V, CURRENT_MA = (10.0, 30.0), 20.0
    SIGNAL = OUTPUTS["4-20mA"][1]          # of the default variant; an instance has its own
    Params = AnemometerParams
    SPAN_M_S, START_M_S = 30.0, 0.5
    MEASURES = (Measure("wind_m_s", "wind_m_s", 0.0, 30.0, 0.1, accuracy=0.3, gain_error=0.03,
                        noise=0.05, response_s=1.0),)
    FAULTS = {"bearing_wear": FaultSpec("bearing_wear", "the cups stall in light wind and read low above it",
                                        BearingWear)}

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self.SIGNAL = OUTPUTS[params.output][1]

    @classmethod
    def port_specs(cls, params):
        form = OUTPUTS[params.output][0]
        return {"out": source(form, f"{params.output} output, 0-{cls.SPAN_M_S:g} m/s")}

    def _wind(self) -> float:
        v = self.sense(0)
        worn = self.faults.get(("bearing_wear", None))
        start = worn.start_m_s if worn else self.START_M_S
        if v < start:
            return 0.0
        return v - (start - self.START_M_S) / 2.0 if worn else v

    def output(self, port: str) -> float:
        """Loop current, mA, or output voltage, V."""
        if not self.powered:
            return 0.0
        unit, lo, hi = self.SIGNAL
        if unit == "mA":
            return loop_current(self._wind(), 0.0, self.SPAN_M_S)
        return min(hi, hi * self._wind() / self.SPAN_M_S)

    def decode(self, value: float) -> dict:
        unit, lo, hi = self.SIGNAL
        speed = loop_value(value, 0.0, self.SPAN_M_S) if unit == "mA" else value / hi * self.SPAN_M_S
        return {"wind_m_s": round(max(0.0, speed), 1)}
