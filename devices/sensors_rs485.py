"""RS-485 sensors that answer Modbus RTU."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from sim.ports import bus

from .modbus import RegisterSlave, to_signed
from .sensing import Measure, Sensor, SensorParams

BAUD_CODES = (2400, 4800, 9600, 19200, 38400)


class THParams(SensorParams):
    address: int = Field(1, ge=1, le=247, description="Modbus slave address (register 0x0002)")
    baud: Literal[BAUD_CODES] = Field(9600, description="bus speed, bit/s (register 0x0003: 0=2400 .. 4=38400)")
    parity: Literal["N", "E", "O"] = Field("N", description="parity: N(one), E(ven), O(dd); 8 data bits, 1 stop bit")
    SUPPLY_RANGE_V: ClassVar = (10.0, 30.0)


class RS485TH(Sensor):
    """Wall-mount temperature-humidity transmitter, Modbus RTU over RS-485.

    Holding/input registers (FC03/FC04): 0x0000 humidity ×10 (%RH), 0x0001 temperature ×10 (°C,
    signed), 0x0002 slave address (FC06 to change), 0x0003 baud code. Address and baud are kept
    in non-volatile memory: a change takes effect after the reply, and survives power loss.
    """
    TITLE, TITLE_ZH = "RS-485 temperature-humidity transmitter (Modbus RTU)", "RS-485 温湿度变送器 (Modbus RTU)"
    SUPPLY_RANGE_V, CURRENT_MA = (10.0, 30.0), 10.0
    Params = THParams
    MEASURES = (
        Measure("humidity", "humidity_rh", 0.0, 100.0, 0.1, accuracy=3.0, noise=0.2, response_s=8.0),
        Measure("temperature", "temperature_c", -40.0, 80.0, 0.1, accuracy=0.5, noise=0.05, response_s=20.0),
    )
    TURNAROUND_S = 0.015

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self.address, self.baud, self.parity = params.address, params.baud, params.parity
        self._slave = RegisterSlave(self._read_register, self._write_register)
        self._pending: dict[str, int] = {}

    @classmethod
    def port_specs(cls, params):
        return {"rs485": bus("rs485", "A/B terminals")}

    def _read_register(self, register: int) -> int | None:
        if register == 0:
            return round(self.reading(0) * 10)
        if register == 1:
            return round(self.reading(1) * 10) & 0xFFFF
        if register == 2:
            return self.address
        if register == 3:
            return BAUD_CODES.index(self.baud)
        return None

    def _write_register(self, register: int, value: int) -> str | None:
        if register == 2:
            if not 1 <= value <= 247:
                return "value"
            self._pending["address"] = value
            return None
        if register == 3:
            if value >= len(BAUD_CODES):
                return "value"
            self._pending["baud"] = BAUD_CODES[value]
            return None
        return "address"

    def rs485_receive(self, port: str, frame: bytes, baud: int, parity: str):
        """(turnaround_s, reply) or None: silent on another speed, a bad CRC or another address."""
        if baud != self.baud or parity != self.parity:
            return None
        reply = self._slave.answer(self.address, frame)
        if reply is None:
            return None
        self.emit("frame.rx", port=port, bus="rs485", data=frame.hex(" ").upper())
        if self._pending:
            changes, self._pending = self._pending, {}
            for key, value in changes.items():
                setattr(self, key, value)
            self.emit("state", state="config", **changes)
        return self.TURNAROUND_S, reply

    def modbus_poll(self) -> tuple[int, int, int, int]:
        """What a master reads from this part: (address, function, start, count)."""
        return self.address, 0x03, 0x0000, 2

    def decode(self, registers: list[int]) -> dict:
        return {"humidity_rh": registers[0] / 10.0, "temperature_c": to_signed(registers[1]) / 10.0}
