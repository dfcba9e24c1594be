"""Sensors with digital outputs: DHT22 (single-wire) and BH1750 (I2C)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from sim.ports import bus, source

from .sensing import BadReading, Measure, Sensor, SensorParams


class DHT22Params(SensorParams):
    SUPPLY_RANGE_V: ClassVar = (3.3, 6.0)


class DHT22(Sensor):
    """DHT22 / AM2302 temperature-humidity sensor on a single-wire bus: 40-bit frames with a checksum.

    It converts at most once every 2 s; a faster read gets the previous frame again.
    """
    TITLE, TITLE_ZH = "DHT22 temperature-humidity sensor (single-wire)", "DHT22 温湿度传感器 (单总线)"
    SUPPLY_RANGE_V, CURRENT_MA = (3.3, 6.0), 1.5
    Params = DHT22Params
    MEASURES = (
        Measure("humidity", "humidity_rh", 0.0, 99.9, 0.1, accuracy=2.0, noise=0.3, response_s=6.0),
        Measure("temperature", "temperature_c", -40.0, 80.0, 0.1, accuracy=0.5, noise=0.1, response_s=10.0),
    )
    MIN_INTERVAL_S = 2.0

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self._frame: bytes | None = None
        self._converted_at = -1e9

    @classmethod
    def port_specs(cls, params):
        return {"data": source("single_wire", "DATA (needs a pull-up)")}

    def read_frame(self) -> bytes | None:
        """The 5 bytes the sensor sends after the host's start signal; None if it does not answer."""
        if not self.powered:
            return None
        t = self.sim.env.now
        if self._frame is None or t - self._converted_at >= self.MIN_INTERVAL_S:
            hum = round(self.reading(0) * 10)
            temp = round(self.reading(1) * 10)
            raw = [hum >> 8, hum & 0xFF, (abs(temp) >> 8) | (0x80 if temp < 0 else 0), abs(temp) & 0xFF]
            self._frame = bytes(raw + [sum(raw) & 0xFF])
            self._converted_at = t
        return self._frame

    def decode(self, frame: bytes) -> dict:
        if len(frame) != 5 or (sum(frame[:4]) & 0xFF) != frame[4]:
            raise BadReading(f"DHT22 checksum error in {frame.hex(' ').upper()}")
        temp = ((frame[2] & 0x7F) << 8 | frame[3]) / 10.0
        return {"humidity_rh": (frame[0] << 8 | frame[1]) / 10.0,
                "temperature_c": -temp if frame[2] & 0x80 else temp}


class BH1750Params(SensorParams):
    addr_high: bool = Field(False, description="ADDR pin tied high: I2C address 0x5C instead of 0x23")
    SUPPLY_RANGE_V: ClassVar = (2.4, 3.6)


class BH1750(Sensor):
    """BH1750FVI ambient light sensor on I2C: opcode commands, 16-bit result, lux = count / 1.2."""
    TITLE, TITLE_ZH = "BH1750 light sensor (I2C)", "BH1750 光照传感器 (I2C)"
    SUPPLY_RANGE_V, CURRENT_MA = (2.4, 3.6), 0.12
    Params = BH1750Params
    MEASURES = (Measure("illuminance", "illuminance_lux", 0.0, 54612.5, 1.0, gain_error=0.2, noise=0.5),)
    # opcode -> (lux per count, resolution in lux, conversion time s, one-shot). Datasheet: lux =
    # count / 1.2 in H and L modes (L steps by 4 lx), count / 2.4 in H-resolution mode 2.
    MODES = {0x10: (1 / 1.2, 1.0, 0.120, False), 0x11: (1 / 2.4, 0.5, 0.120, False),
             0x13: (1 / 1.2, 4.0, 0.016, False), 0x20: (1 / 1.2, 1.0, 0.120, True),
             0x21: (1 / 2.4, 0.5, 0.120, True), 0x23: (1 / 1.2, 4.0, 0.016, True)}
    DRIVER_MODE = 0x10               # what a gateway's driver sets: continuous high resolution
    INIT = (b"\x01", bytes([DRIVER_MODE]))      # power on, then the mode

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self._reset_state()

    def _reset_state(self) -> None:
        self._on, self._mode, self._mode_t, self._data = False, None, 0.0, 0

    @property
    def i2c_address(self) -> int:
        return 0x5C if self.p.addr_high else 0x23

    @classmethod
    def port_specs(cls, params):
        return {"i2c": bus("i2c", "SDA/SCL")}

    def set_power(self, on: bool) -> None:
        super().set_power(on)
        self._reset_state()             # power-on state: powered down, data register 0

    def i2c_transfer(self, write: bytes, read: int) -> bytes:
        t = self.sim.env.now
        for op in write:
            if op == 0x00:
                self._on, self._mode = False, None
            elif op == 0x01:
                self._on = True
            elif op == 0x07 and self._on:
                self._data = 0
            elif op in self.MODES and self._on:
                self._mode, self._mode_t = op, t
        if read:
            self._update(t)
        return self._data.to_bytes(2, "big")[:read]

    def _update(self, t: float) -> None:
        if self._mode is None:
            return
        lux_per_count, step_lux, conv_s, one_shot = self.MODES[self._mode]
        if t - self._mode_t >= conv_s:
            lux = round(self.sense(0) / step_lux) * step_lux
            self._data = min(0xFFFF, round(lux / lux_per_count))
            if one_shot:
                self._on, self._mode = False, None

    def decode(self, data: bytes) -> dict:
        """The driver's conversion for the mode it set (DRIVER_MODE)."""
        lux_per_count = self.MODES[self.DRIVER_MODE][0]
        return {"illuminance_lux": round(int.from_bytes(data, "big") * lux_per_count, 1)}
