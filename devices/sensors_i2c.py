"""Sensors on the I2C bus: BH1750 light and SHT3x temperature-humidity."""

from __future__ import annotations

import math
from typing import ClassVar

from pydantic import Field

from sim.ports import bus

from .crc import crc8_sensirion
from .i2c import I2CRead
from .sensing import BadReading, Measure, Sensor, SensorParams


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
    # Power on, then the mode; the part then converts on its own and each poll reads 2 bytes.
    I2C_READ = I2CRead(init=(b"\x01", bytes([DRIVER_MODE])), length=2)

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


class SHT3xParams(SensorParams):
    addr_high: bool = Field(False, description="ADDR pin tied high: I2C address 0x45 instead of 0x44")
    SUPPLY_RANGE_V: ClassVar = (2.15, 5.5)


def sht_word(value: int) -> bytes:
    """A 16-bit word as the SHT3x sends it: big-endian, then its CRC-8."""
    data = value.to_bytes(2, "big")
    return data + bytes([crc8_sensirion(data)])


def magnus_psat(celsius: float) -> float:
    """Saturation vapour pressure, hPa (Magnus formula, Sensirion's constants over water)."""
    return 6.112 * math.exp(17.62 * celsius / (243.12 + celsius))


class SHT3x(Sensor):
    """Sensirion SHT30/SHT31 digital temperature-humidity sensor on I2C.

    Single-shot commands start a measurement: 0x2400/0x240B/0x2416 (high/medium/low repeatability,
    no clock stretching: reading before it is done gets a NACK) and 0x2C06/0x2C0D/0x2C10 (clock
    stretching: the read waits). The result is 6 bytes, T and RH words each followed by a CRC-8
    (polynomial 0x31, init 0xFF); T = -45 + 175·S/65535 °C, RH = 100·S/65535 %. Also soft reset 0x30A2,
    heater 0x306D/0x3066, status 0xF32D (2 bytes + CRC) and clear status 0x3041. Periodic acquisition
    is not modelled: its commands, like any unknown one, set status bit 1 (not processed).
    """
    TITLE, TITLE_ZH = "SHT30/SHT31 temperature-humidity sensor (I2C)", "SHT30/SHT31 温湿度传感器 (I2C)"
    SUPPLY_RANGE_V, CURRENT_MA = (2.15, 5.5), 0.8
    Params = SHT3xParams
    # ±0.2 °C (0-65 °C) and ±2 %RH typical; repeatability (3σ) high: 0.04 °C / 0.08 %RH;
    # τ63 8 s for RH, a few seconds for T on a breakout board.
    MEASURES = (
        Measure("temperature", "temperature_c", -40.0, 125.0, 0.01, accuracy=0.2, noise=0.013, response_s=5.0),
        Measure("humidity", "humidity_rh", 0.0, 100.0, 0.01, accuracy=2.0, noise=0.027, response_s=8.0),
    )
    # command -> (extra noise T, extra noise RH over the high-repeatability figures, duration s, stretch)
    SINGLE_SHOT = {0x2400: (0.0, 0.0, 0.0155, False), 0x240B: (0.026, 0.045, 0.0065, False),
                   0x2416: (0.05, 0.07, 0.0045, False), 0x2C06: (0.0, 0.0, 0.0155, True),
                   0x2C0D: (0.026, 0.045, 0.0065, True), 0x2C10: (0.05, 0.07, 0.0045, True)}
    HEATER_RISE_C = 3.0
    RESET_STATUS = 0x8010            # alert pending, system reset detected
    I2C_READ = I2CRead(init=(b"\x30\xA2",), command=b"\x24\x00", wait_s=0.0155, length=6)

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self._reset()

    def _reset(self) -> None:
        self._status, self._heater = self.RESET_STATUS, False
        self._pending: tuple | None = None     # (command entry, ready at)
        self._out: bytes | None = None         # status bytes waiting to be read

    @property
    def i2c_address(self) -> int:
        return 0x45 if self.p.addr_high else 0x44

    @classmethod
    def port_specs(cls, params):
        return {"i2c": bus("i2c", "SDA/SCL")}

    def set_power(self, on: bool) -> None:
        super().set_power(on)
        self._reset()

    def i2c_transfer(self, write: bytes, read: int) -> bytes | None:
        if write:
            self._command(int.from_bytes(write, "big") if len(write) == 2 else -1)
        return self._read(read) if read else b""

    def _command(self, cmd: int) -> None:
        ok = True
        if cmd in self.SINGLE_SHOT:
            self._pending, self._out = (self.SINGLE_SHOT[cmd], self.sim.env.now + self.SINGLE_SHOT[cmd][2]), None
        elif cmd == 0x30A2:
            self._reset()
        elif cmd == 0xF32D:
            self._out = sht_word(self._status)
        elif cmd == 0x3041:
            self._status &= ~0x8C10
        elif cmd in (0x306D, 0x3066):
            self._heater = cmd == 0x306D
            self._status = self._status | 0x2000 if self._heater else self._status & ~0x2000
        else:
            ok = False
        self._status = self._status & ~0x0002 if ok else self._status | 0x0002

    def _read(self, n: int) -> bytes | None:
        if self._out is not None:
            out, self._out = self._out, None
            return out[:n]
        if self._pending is None:
            return None                       # nothing to read: NACK
        (extra_t, extra_rh, _, stretch), ready = self._pending
        if self.sim.env.now < ready and not stretch:
            return None                       # still measuring: NACK
        self._pending = None
        celsius = self.sense(0) + extra_t * next(self._noise)
        rh = self.sense(1) + extra_rh * next(self._noise)
        if self._heater:                      # the warmer die sees a lower relative humidity
            rh *= magnus_psat(celsius) / magnus_psat(celsius + self.HEATER_RISE_C)
            celsius += self.HEATER_RISE_C
        s_t = min(0xFFFF, max(0, round((celsius + 45.0) * 65535.0 / 175.0)))
        s_rh = min(0xFFFF, max(0, round(rh * 65535.0 / 100.0)))
        return (sht_word(s_t) + sht_word(s_rh))[:n]

    def decode(self, data: bytes) -> dict:
        if len(data) != 6 or crc8_sensirion(data[0:2]) != data[2] or crc8_sensirion(data[3:5]) != data[5]:
            raise BadReading(f"SHT3x CRC error in {data.hex(' ').upper()}")
        s_t, s_rh = int.from_bytes(data[0:2], "big"), int.from_bytes(data[3:5], "big")
        return {"temperature_c": round(-45.0 + 175.0 * s_t / 65535.0, 2),
                "humidity_rh": round(100.0 * s_rh / 65535.0, 2)}
