"""DS18B20 digital thermometer on a 1-Wire bus: ROM code, scratchpad, conversions, CRC."""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import Field, field_validator

from sim import FaultParams, FaultSpec
from sim.ports import bus

from .crc import crc8_maxim
from .onewire import CONVERT_T, READ_SCRATCHPAD, rom_code
from .sensing import BadReading, Measure, Sensor, SensorParams

FAMILY_DS18B20 = 0x28
WRITE_SCRATCHPAD, COPY_SCRATCHPAD, RECALL_E2, READ_POWER = 0x4E, 0x48, 0xB8, 0xB4


class DS18B20Params(SensorParams):
    serial: str | None = Field(None,
                               description="48-bit serial number, 12 hex digits as Linux shows it after '28-' "
                                           "(e.g. 0000072a3b5c); unset: drawn from the device's random stream",
                               examples=["0000072a3b5c"])
    resolution_bits: Literal[9, 10, 11, 12] = Field(12, description="resolution stored in the part's EEPROM: "
                                                                     "9-12 bits, 0.5-0.0625 °C")
    alarm_high_c: int = Field(75, ge=-55, le=125, description="TH alarm byte stored in EEPROM, °C")
    alarm_low_c: int = Field(70, ge=-55, le=125, description="TL alarm byte stored in EEPROM, °C")
    SUPPLY_RANGE_V: ClassVar = (3.0, 5.5)

    @field_validator("serial", mode="before")
    @classmethod
    def _hex48(cls, value):
        if isinstance(value, int) and not isinstance(value, bool):
            value = f"{value:012d}"          # YAML reads an all-decimal serial as a number
        if value is not None and not (isinstance(value, str) and re.fullmatch(r"[0-9A-Fa-f]{12}", value)):
            raise ValueError(f"serial {value!r} is not 12 hex digits; give the 48-bit serial as Linux shows it "
                             "after '28-', e.g. 0000072a3b5c")
        return value


class BitErrors(FaultParams):
    probability: float = Field(0.3, gt=0, le=1, description="chance that a scratchpad read has a bit flipped")


class DS18B20(Sensor):
    """Maxim DS18B20 programmable-resolution 1-Wire thermometer (externally powered), -55..125 °C,
    ±0.5 °C from -10 to 85 °C.

    ROM: family 0x28, 48-bit serial, CRC-8. Function commands: Convert T 0x44 (93.75/187.5/375/750 ms
    at 9/10/11/12 bits; read slots give 0 until it is done), Read Scratchpad 0xBE (9 bytes: temperature
    LSB/MSB in 1/16 °C, TH, TL, config, reserved, CRC-8), Write Scratchpad 0x4E (TH, TL, config),
    Copy Scratchpad 0x48, Recall E2 0xB8, Read Power Supply 0xB4. Read before its first conversion,
    the scratchpad holds the power-on value 85 °C (0x0550)."""
    TITLE, TITLE_ZH = "DS18B20 digital thermometer (1-Wire)", "DS18B20 数字温度传感器 (单总线 1-Wire)"
    SUPPLY_RANGE_V, CURRENT_MA = (3.0, 5.5), 1.5
    Params = DS18B20Params
    MEASURES = (Measure("temperature", "temperature_c", -55.0, 125.0, 0.0625,
                        accuracy=0.5, noise=0.03, response_s=30.0),)
    CONVERSION_S = {9: 0.09375, 10: 0.1875, 11: 0.375, 12: 0.75}
    POWER_ON_RAW = 0x0550
    FAULTS = {
        "brownout": FaultSpec("brownout", "the supply sags when a conversion starts (parasite power without a "
                              "strong pull-up, a long thin cable): the part resets and reads 85 °C"),
        "bit_errors": FaultSpec("bit_errors", "a weak pull-up or a long star-wired bus corrupts bits: scratchpad "
                                "reads fail their CRC", BitErrors),
    }

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        rng = sim.rng(device_id + ".rom")
        serial = int(params.serial, 16) if params.serial else int(rng.integers(0, 1 << 48))
        self.onewire_rom = rom_code(FAMILY_DS18B20, serial)
        self._bus_rng = sim.rng(device_id + ".bus")
        config = 0x1F | (params.resolution_bits - 9) << 5
        self._eeprom = [params.alarm_high_c & 0xFF, params.alarm_low_c & 0xFF, config]
        self._power_on()

    def _power_on(self) -> None:
        self._pad = [self.POWER_ON_RAW & 0xFF, self.POWER_ON_RAW >> 8] + self._eeprom + [0xFF, 0x0C, 0x10]
        self._conversion: tuple[float, int] | None = None      # (done at, raw value)

    @property
    def resolution_bits(self) -> int:
        return 9 + (self._pad[4] >> 5 & 3)

    @classmethod
    def port_specs(cls, params):
        return {"dq": bus("onewire", "DQ (4.7 kΩ pull-up at the master)")}

    def set_power(self, on: bool) -> None:
        super().set_power(on)
        self._power_on()

    def _finish_conversion(self) -> None:
        if self._conversion is not None and self.sim.env.now >= self._conversion[0]:
            raw = self._conversion[1]
            self._pad[0:2] = [raw & 0xFF, raw >> 8 & 0xFF]
            self._pad[6] = 0x10 - (raw & 0x0F)
            self._conversion = None

    def scratchpad(self) -> bytes:
        self._finish_conversion()
        return bytes(self._pad) + bytes([crc8_maxim(bytes(self._pad))])

    def onewire_function(self, command: int, write: bytes, read: int) -> bytes:
        """The bytes this part drives in the read slots after ``command`` and ``write``."""
        self._finish_conversion()
        if command == CONVERT_T:
            if self.has_fault("brownout"):
                self._power_on()
                return b""
            if self._conversion is None:
                step = 1 << (12 - self.resolution_bits)
                raw = round(self.sense(0) * 16 / step) * step
                self._conversion = (self.sim.env.now + self.CONVERSION_S[self.resolution_bits], raw & 0xFFFF)
            return bytes([0x00] * read)                      # busy: read slots give 0 until done
        if command == READ_SCRATCHPAD:
            return self._corrupt(self.scratchpad())[:read]
        if command == WRITE_SCRATCHPAD and len(write) == 3:
            self._pad[2:5] = [write[0], write[1], (write[2] & 0x60) | 0x1F]
        elif command == COPY_SCRATCHPAD:
            self._eeprom = self._pad[2:5]
        elif command == RECALL_E2:
            self._pad[2:5] = self._eeprom
        elif command == READ_POWER:
            return bytes([0xFF] * read)                      # externally powered: read slots give 1
        return b""

    def _corrupt(self, data: bytes) -> bytes:
        fault = self.faults.get(("bit_errors", None))
        if fault is None:
            return data
        draw, position = self._bus_rng.random(2).tolist()
        if draw >= fault.probability:
            return data
        bit = int(position * len(data) * 8)
        flipped = bytearray(data)
        flipped[bit // 8] ^= 1 << (bit % 8)
        return bytes(flipped)

    def decode(self, data: bytes) -> dict:
        if len(data) != 9 or crc8_maxim(data[:8]) != data[8]:
            raise BadReading(f"DS18B20 scratchpad CRC error in {data.hex(' ').upper()}")
        bits = 9 + (data[4] >> 5 & 3)
        raw = int.from_bytes(data[0:2], "little", signed=True) & ~((1 << (12 - bits)) - 1)
        return {"temperature_c": raw / 16.0}
