"""What every Modbus RTU slave on RS-485 shares: its serial settings, its address, and the faults of both.

A slave keeps its address and baud rate in non-volatile memory: changed over the bus
(FC06 to its configuration registers), the new value takes effect after the reply and
survives a power cycle. Faults that show the bench symptoms a student learns to read:
``baud_mismatch`` (it hears garbage, never answers), ``address_conflict`` (two parts
answer together, the replies collide), ``wrong_register_map`` (a different model
variant: every register is somewhere else), plus the RS-485 wire faults.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from sim import FaultParams, FaultSpec
from sim.buses import RS485Port, silence_s

from .modbus import RegisterSlave

#: Baud-rate codes of the configuration register: code = index.
BAUD_CODES = (2400, 4800, 9600, 19200, 38400, 57600, 115200)
Baud = Literal[BAUD_CODES]
Parity = Literal["N", "E", "O"]


class SlaveSettings(BaseModel):
    """Serial settings of a slave, as set on its DIP switches or in its memory."""
    address: int = Field(1, ge=1, le=247, description="Modbus slave address")
    baud: Baud = Field(9600, description="bus speed, bit/s (baud code register: 0=2400 .. 6=115200)")
    parity: Parity = Field("N", description="parity: N(one), E(ven), O(dd); 8 data bits, 1 stop bit")
    turnaround_ms: float = Field(15.0, ge=0, le=1000, description="how long the part takes to start its "
                                 "reply after a request, ms (at least the 3.5-character silence)")


class BaudMismatch(FaultParams):
    baud: Baud = Field(description="the speed the part's UART is (wrongly) set to, bit/s")
    parity: Parity = Field("N", description="the parity it is set to")


class AddressConflict(FaultParams):
    address: int = Field(ge=1, le=247, description="the address it now answers to (another part's)")


class WrongMap(FaultParams):
    shift: int = Field(1, ge=-16, le=16, description="how many registers the map is shifted by (not 0)")


class ModbusSlave(RS485Port):
    """Mixin for a device that answers Modbus RTU on its ``rs485`` port.

    The device calls ``init_slave(params, RegisterSlave(...))`` with read/write functions of its
    own registers; ``CONFIG_REGISTERS`` says where the address and baud code live (None: fixed).
    """
    FAULTS = {
        "baud_mismatch": FaultSpec("baud_mismatch", "its serial port is set to another speed or parity: it hears "
                                   "garbage (framing and CRC errors) and never answers, so polls time out",
                                   BaudMismatch),
        "address_conflict": FaultSpec("address_conflict", "it has been given another part's address: when that "
                                      "address is polled both answer and the replies collide; its own "
                                      "address times out", AddressConflict),
        "wrong_register_map": FaultSpec("wrong_register_map", "a different model variant: every register sits "
                                        "somewhere else, so readings are plausible-looking nonsense or "
                                        "exception 02", WrongMap),
    }
    CONFIG_REGISTERS: ClassVar[dict[str, int | None]] = {"address": 0x0002, "baud": 0x0003}

    def init_slave(self, params: SlaveSettings, slave: RegisterSlave) -> None:
        self.address, self.baud, self.parity = params.address, params.baud, params.parity
        self.turnaround_s = params.turnaround_ms / 1000.0
        self._slave = slave
        self._pending: dict[str, int] = {}

    @classmethod
    def fault_problem(cls, spec, params):
        if spec.name == "wrong_register_map" and params.shift == 0:
            return "shift 0 is the right map; give a shift such as 1 or -1"
        return super().fault_problem(spec, params)

    def fault_conflict(self, spec, params):
        if spec.name == "baud_mismatch" and (params.baud, params.parity) == (self.baud, self.parity):
            return (f"{self.id} is already at {self.baud} bit/s 8{self.parity}1; give another speed or parity "
                    "(e.g. baud: 19200)")
        if spec.name == "address_conflict" and params.address == self.address:
            return f"{self.id} already answers to {self.address}; give another part's address"
        return super().fault_conflict(spec, params)

    # -- the bus side ------------------------------------------------------------------------
    @property
    def bus_address(self) -> int:
        conflict = self.faults.get(("address_conflict", None))
        return conflict.address if conflict is not None else self.address

    def uart(self, port: str) -> tuple[int, str]:
        wrong = self.faults.get(("baud_mismatch", None))
        return (wrong.baud, wrong.parity) if wrong is not None else (self.baud, self.parity)

    def rs485_addressed(self, frame: bytes) -> bool:
        return bool(frame) and frame[0] == self.bus_address

    def rs485_receive(self, port: str, heard: bytes):
        """(turnaround_s, reply) or None: silent on a bad CRC, another address or a broadcast."""
        if not heard or heard[0] not in (self.bus_address, 0):
            return None
        reply = self._slave.answer(self.bus_address, heard)
        if reply is not None or heard[0] == 0:
            self.emit("frame.rx", port=port, bus="rs485", data=heard.hex(" ").upper())
        self.apply_pending()
        if reply is None:
            return None
        return max(self.turnaround_s, silence_s(self.baud, self.parity)), reply

    def apply_pending(self) -> None:
        """A new address or baud rate takes effect once the reply to the request that set it is out."""
        if self._pending:
            changes, self._pending = self._pending, {}
            for key, value in changes.items():
                setattr(self, key, value)
            self.emit("state", state="config", **changes)

    # -- registers the part's read/write functions delegate to --------------------------------------
    def mapped(self, register: int) -> int:
        """The register a request names, as this part's (possibly wrong) map places it."""
        wrong = self.faults.get(("wrong_register_map", None))
        return register + wrong.shift if wrong is not None else register

    def read_config(self, register: int) -> int | None:
        if register == self.CONFIG_REGISTERS.get("address"):
            return self.address
        if register == self.CONFIG_REGISTERS.get("baud"):
            return BAUD_CODES.index(self.baud)
        return None

    def write_config(self, register: int, value: int, dry: bool = False) -> str | None:
        """None: accepted (applies after the reply); "value": out of range; "address": not a config
        register. ``dry``: only check."""
        if register == self.CONFIG_REGISTERS.get("address"):
            if not 1 <= value <= 247:
                return "value"
            if not dry:
                self._pending["address"] = value
            return None
        if register == self.CONFIG_REGISTERS.get("baud"):
            if value >= len(BAUD_CODES):
                return "value"
            if not dry:
                self._pending["baud"] = BAUD_CODES[value]
            return None
        return "address"
