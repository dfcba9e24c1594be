"""Single-wire (one data pin) temperature-humidity sensors: DHT11 and DHT22 / AM2302.

After the host's start signal the sensor answers with 40 bits: humidity (2 bytes), temperature
(2 bytes), and a checksum (the low byte of the sum of the four). A read sooner than the part's
minimum interval gets the previous conversion again.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from sim import FaultParams, FaultSpec
from sim.ports import source

from .sensing import BadReading, Measure, Sensor, SensorParams
from .single_wire import waveform


class NoPullup(FaultParams):
    rise_us: float = Field(35.0, gt=0, le=80, description="time a slow rising edge takes from a high pulse, µs "
                           "(±25 % from pulse to pulse)")


class DHTSensor(Sensor):
    """What the DHT family shares: the read cycle, the minimum interval and the checksum."""
    MIN_INTERVAL_S: ClassVar[float] = 2.0
    FAULTS = {"no_pullup": FaultSpec("no_pullup", "the DATA line's pull-up resistor is missing: it rises so "
                                     "slowly that 1 bits read as 0 bits, so frames fail their checksum",
                                     NoPullup)}

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self._frame: bytes | None = None
        self._converted_at = -1e9
        self._edge_rng = None

    @classmethod
    def port_specs(cls, params):
        return {"data": source("single_wire", "DATA (needs a pull-up)")}

    def read_frame(self) -> bytes | None:
        """The 5 bytes the sensor sends after the host's start signal; None if it does not answer."""
        if not self.powered:
            return None
        t = self.sim.env.now
        if self._frame is None or t - self._converted_at >= self.MIN_INTERVAL_S:
            raw = self.payload(self.reading(0), self.reading(1))
            self._frame = bytes(raw + [sum(raw) & 0xFF])
            self._converted_at = t
        return self._frame

    def read_waveform(self) -> list[tuple[int, float]] | None:
        """The DATA line after the host's start signal, as (level, µs) pulses; None if it stays high."""
        frame = self.read_frame()
        if frame is None:
            return None
        slow = self.faults.get(("no_pullup", None))
        if slow is None:
            return waveform(frame)
        if self._edge_rng is None:
            self._edge_rng = self.sim.rng(self.id + ".pullup")
        return waveform(frame, slow.rise_us, self._edge_rng)

    def decode(self, frame: bytes) -> dict:
        if len(frame) != 5 or (sum(frame[:4]) & 0xFF) != frame[4]:
            raise BadReading(f"{type(self).__name__} checksum error in {frame.hex(' ').upper()}")
        return self.values(frame)

    def payload(self, humidity: float, temperature: float) -> list[int]:
        """The four data bytes for a conversion."""
        raise NotImplementedError

    def values(self, frame: bytes) -> dict:
        """Readings from a frame whose checksum is good."""
        raise NotImplementedError


class DHT22Params(SensorParams):
    SUPPLY_RANGE_V: ClassVar = (3.3, 6.0)


class DHT22(DHTSensor):
    """DHT22 / AM2302 temperature-humidity sensor on a single-wire bus: values ×10 in 16 bits, the
    temperature's top bit its sign. It converts at most once every 2 s."""
    TITLE, TITLE_ZH = "DHT22 temperature-humidity sensor (single-wire)", "DHT22 温湿度传感器 (单总线)"
    SUPPLY_RANGE_V, CURRENT_MA = (3.3, 6.0), 1.5
    Params = DHT22Params
    MEASURES = (
        Measure("humidity", "humidity_rh", 0.0, 99.9, 0.1, accuracy=2.0, noise=0.3, response_s=6.0),
        Measure("temperature", "temperature_c", -40.0, 80.0, 0.1, accuracy=0.5, noise=0.1, response_s=10.0),
    )
    MIN_INTERVAL_S = 2.0

    def payload(self, humidity, temperature):
        hum, temp = round(humidity * 10), round(temperature * 10)
        return [hum >> 8, hum & 0xFF, (abs(temp) >> 8) | (0x80 if temp < 0 else 0), abs(temp) & 0xFF]

    def values(self, frame):
        temp = ((frame[2] & 0x7F) << 8 | frame[3]) / 10.0
        return {"humidity_rh": (frame[0] << 8 | frame[1]) / 10.0,
                "temperature_c": -temp if frame[2] & 0x80 else temp}


class DHT11Params(SensorParams):
    SUPPLY_RANGE_V: ClassVar = (3.0, 5.5)


class DHT11(DHTSensor):
    """DHT11 temperature-humidity sensor on a single-wire bus: whole numbers, each in its integer byte
    with a zero decimal byte; 20-90 %RH and 0-50 °C (outside, it reads its limit). It converts at most
    once a second."""
    TITLE, TITLE_ZH = "DHT11 temperature-humidity sensor (single-wire)", "DHT11 温湿度传感器 (单总线)"
    SUPPLY_RANGE_V, CURRENT_MA = (3.0, 5.5), 1.0
    Params = DHT11Params
    MEASURES = (
        Measure("humidity", "humidity_rh", 20.0, 90.0, 1.0, accuracy=5.0, noise=0.5, response_s=10.0),
        Measure("temperature", "temperature_c", 0.0, 50.0, 1.0, accuracy=2.0, noise=0.2, response_s=20.0),
    )
    MIN_INTERVAL_S = 1.0

    def payload(self, humidity, temperature):
        return [round(humidity), 0, round(temperature), 0]

    def values(self, frame):
        return {"humidity_rh": float(frame[0]), "temperature_c": float(frame[2])}
