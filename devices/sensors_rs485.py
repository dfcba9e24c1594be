"""RS-485 transmitters that answer Modbus RTU: temperature-humidity, illuminance, CO2.

Each is a sensor whose register map is data: ``(register, reading, scale, kind)``
with kind ``s16`` (signed), ``u16``, or ``u32hi``/``u32lo`` (a 32-bit value over two
registers, high word first). FC03 and FC04 read the same map; FC06 writes the
configuration registers (address, baud code).
"""

from __future__ import annotations

from typing import ClassVar

from .modbus import RegisterSlave, parse_registers_reply, read_request, to_signed
from .rs485_slave import BAUD_CODES, ModbusSlave, SlaveSettings
from .sensing import Measure, Sensor, SensorParams

from sim.ports import bus

__all__ = ["BAUD_CODES", "ModbusTransmitter", "RS485TH", "RS485Lux", "RS485CO2"]


class TransmitterParams(SensorParams, SlaveSettings):
    SUPPLY_RANGE_V: ClassVar = (10.0, 30.0)


class ModbusTransmitter(ModbusSlave, Sensor):
    """A sensor with an RS-485 port and a register map (see the module docstring)."""
    SUPPLY_RANGE_V, CURRENT_MA = (10.0, 30.0), 10.0
    Params = TransmitterParams
    TRACE_FIELDS = ("address", "baud")
    #: (register, index into MEASURES, scale, kind)
    REGISTERS: ClassVar[tuple[tuple[int, int, float, str], ...]] = ()
    #: What a gateway reads: (function, first register, count).
    POLL: ClassVar[tuple[int, int, int]] = (0x03, 0x0000, 1)

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self._map = {reg: (i, scale, kind) for reg, i, scale, kind in self.REGISTERS}
        self.init_slave(params, RegisterSlave(self._read_register, self._write_register))

    @classmethod
    def port_specs(cls, params):
        return {"rs485": bus("rs485", "A/B terminals")}

    def _read_register(self, register: int) -> int | None:
        register = self.mapped(register)
        entry = self._map.get(register)
        if entry is None:
            return self.read_config(register)
        i, scale, kind = entry
        raw = round(self.reading(i) * scale)
        if kind == "u32hi":
            return (raw >> 16) & 0xFFFF
        return raw & 0xFFFF

    def _write_register(self, register: int, value: int, dry: bool = False) -> str | None:
        return self.write_config(self.mapped(register), value, dry)

    def master_poll(self):
        """How a gateway polls this part: (request frame, parse(reply) -> registers or a reason)."""
        function, start, count = self.POLL
        address = self.address
        return (read_request(address, function, start, count),
                lambda reply: parse_registers_reply(reply, address, function, count))

    def decode(self, registers: list[int]) -> dict:
        function, start, _ = self.POLL
        out, hi = {}, {}
        for offset, value in enumerate(registers):
            entry = self._map.get(start + offset)
            if entry is None:
                continue
            i, scale, kind = entry
            if kind == "u32hi":
                hi[i] = value
                continue
            if kind == "u32lo":
                value = hi.get(i, 0) << 16 | value
            elif kind == "s16":
                value = to_signed(value)
            m = self.MEASURES[i]
            out[m.field] = round(value / scale, m.digits)
        return out


class RS485TH(ModbusTransmitter):
    """Wall-mount temperature-humidity transmitter, Modbus RTU over RS-485.

    Holding/input registers (FC03/FC04): 0x0000 humidity ×10 (%RH), 0x0001 temperature ×10 (°C,
    signed), 0x0002 slave address (FC06 to change), 0x0003 baud code.
    """
    TITLE, TITLE_ZH = "RS-485 temperature-humidity transmitter (Modbus RTU)", "RS-485 温湿度变送器 (Modbus RTU)"
    MEASURES = (
        Measure("humidity", "humidity_rh", 0.0, 100.0, 0.1, accuracy=3.0, noise=0.2, response_s=8.0),
        Measure("temperature", "temperature_c", -40.0, 80.0, 0.1, accuracy=0.5, noise=0.05, response_s=20.0),
    )
    REGISTERS = ((0x0000, 0, 10.0, "u16"), (0x0001, 1, 10.0, "s16"))
    POLL = (0x03, 0x0000, 2)


class RS485Lux(ModbusTransmitter):
    """RS-485 illuminance transmitter (0-200 000 lx), Modbus RTU.

    Registers: 0x0002 address, 0x0003 baud code, 0x0006/0x0007 illuminance in lux as a 32-bit
    value, high word first (below 65 536 lx, register 0x0007 alone holds it: ``02 03 00 07 00 01``).
    """
    TITLE, TITLE_ZH = "RS-485 illuminance transmitter (Modbus RTU)", "RS-485 光照度变送器 (Modbus RTU)"
    MEASURES = (Measure("illuminance", "illuminance_lux", 0.0, 200000.0, 1.0, gain_error=0.07, noise=1.0,
                        response_s=0.5),)
    REGISTERS = ((0x0006, 0, 1.0, "u32hi"), (0x0007, 0, 1.0, "u32lo"))
    POLL = (0x03, 0x0006, 2)


class RS485CO2(ModbusTransmitter):
    """NDIR carbon-dioxide transmitter (400-5000 ppm), Modbus RTU.

    Registers: 0x0000 CO2 in ppm, 0x0002 address, 0x0003 baud code. Accuracy ±(50 ppm + 3 %),
    T90 about two minutes (diffusion into the optical cell).
    """
    TITLE, TITLE_ZH = "RS-485 CO2 transmitter (NDIR, Modbus RTU)", "RS-485 二氧化碳变送器 (Modbus RTU)"
    CURRENT_MA = 60.0
    MEASURES = (Measure("co2", "co2_ppm", 0.0, 5000.0, 1.0, accuracy=50.0, gain_error=0.03, noise=5.0,
                        response_s=50.0),)
    REGISTERS = ((0x0000, 0, 1.0, "u16"),)
    POLL = (0x03, 0x0000, 1)
