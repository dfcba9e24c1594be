"""Sensors with analog outputs: a 0-5 V voltage output and a 4-20 mA current loop."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from sim.ports import source

from .sensing import BadReading, Measure, Sensor, SensorParams


class LM35Params(SensorParams):
    SUPPLY_RANGE_V: ClassVar = (4.0, 30.0)


class LM35(Sensor):
    """LM35 precision temperature sensor, basic circuit: 10 mV/°C on a voltage output."""
    TITLE, TITLE_ZH = "LM35 analog temperature sensor (10 mV/°C)", "LM35 模拟温度传感器"
    SUPPLY_RANGE_V, CURRENT_MA = (4.0, 30.0), 0.06
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
    Params = LoopParams
    # Class A element with transmitter: ±0.2 % of span; the probe sheath lags ~30 s.
    MEASURES = (Measure("temperature", "temperature_c", -200.0, 850.0, 0.01,
                        accuracy=0.4, noise=0.02, response_s=30.0),)
    SATURATION_MA = (3.8, 20.5)    # NE43: the output stays inside these while the sensor is healthy

    @classmethod
    def port_specs(cls, params):
        return {"loop": source("current_loop", "two-wire 4-20 mA loop")}

    def output(self, port: str) -> float:
        """Loop current, mA. An unpowered loop carries nothing."""
        if not self.powered:
            return 0.0
        lo, hi = self.p.range_low_c, self.p.range_high_c
        ma = 4.0 + 16.0 * (self.sense(0) - lo) / (hi - lo)
        return min(self.SATURATION_MA[1], max(self.SATURATION_MA[0], ma))

    def decode(self, ma: float) -> dict:
        if ma < 3.6:
            raise BadReading(f"loop current {ma:.2f} mA < 3.6 mA: broken wire or no loop power (NAMUR NE43)",
                             link=True)
        if ma > 21.0:
            raise BadReading(f"loop current {ma:.2f} mA > 21 mA: transmitter fault (NAMUR NE43)")
        lo, hi = self.p.range_low_c, self.p.range_high_c
        return {"temperature_c": round(lo + (ma - 4.0) / 16.0 * (hi - lo), 2)}
