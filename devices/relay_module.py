"""A digital I/O module with relays on RS-485 (Modbus RTU): four relay outputs, four digital inputs.

Coils 0-3 (FC01 read, FC05/FC15 write) are the relays DO1-DO4: ``03 05 00 00 FF 00
8D D8`` closes DO1 of the module at address 3. Discrete inputs 0-3 (FC02) are DI1-DI4.
Holding registers 0x0002 address and 0x0003 baud code (FC06). Relays drop out when
the module loses power and come back open.
"""

from __future__ import annotations

from typing import ClassVar

from sim.device import Device, DeviceParams
from sim.fault_effects import FirmwareFaults
from sim.ports import bus, input_of, source

from .modbus import (READ_COILS, READ_DISCRETE, RegisterSlave, parse_bits_reply, read_request,
                     write_coil_request)
from .rs485_slave import ModbusSlave, SlaveSettings

OUTPUTS = 4


class RelayParams(DeviceParams, SlaveSettings):
    SUPPLY_RANGE_V: ClassVar = (7.0, 30.0)


class RelayModule(FirmwareFaults, ModbusSlave, Device):
    TRACE_FIELDS = ("do1", "do2", "do3", "do4", "address", "baud")
    """4-relay + 4-DI module, Modbus RTU: coils are the relays, discrete inputs the DIs."""
    FAMILY = "daq"
    TITLE, TITLE_ZH = "4-channel relay and DI module (Modbus RTU)", "4 路继电器/开关量模块 (Modbus RTU)"
    SUPPLY_RANGE_V, CURRENT_MA = (7.0, 30.0), 40.0
    Params = RelayParams
    COMMANDS = {"set": "output: do1..do4, on: true|false — switch a relay by hand (the module's buttons)"}

    @classmethod
    def port_specs(cls, params):
        ports = {f"do{i}": source("switched", "relay contact (NO)") for i in range(1, OUTPUTS + 1)}
        ports.update({f"di{i}": input_of("digital", doc="digital input") for i in range(1, OUTPUTS + 1)})
        ports["rs485"] = bus("rs485", "RS-485 (A/B)")
        return ports

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self.coils = [False] * OUTPUTS
        self.init_slave(params, RegisterSlave(self.read_config, self.write_config, read_coil=self._read_coil,
                                              write_coil=self._write_coil, read_discrete=self._read_input))

    # -- relays ------------------------------------------------------------------------------------
    def _read_coil(self, i: int) -> int | None:
        i = self.mapped(i)
        return int(self.coils[i]) if 0 <= i < OUTPUTS else None

    def _write_coil(self, i: int, value: int, dry: bool = False) -> str | None:
        i = self.mapped(i)
        if not 0 <= i < OUTPUTS:
            return "address"
        if not dry:
            self.switch(i, bool(value))
        return None

    def switch(self, i: int, on: bool) -> None:
        if self.coils[i] == on:
            return
        self.coils[i] = on
        self.emit("output", output=f"do{i + 1}", on=on)
        for link in self.links[f"do{i + 1}"]:
            if not link.broken:
                load, port = link.peer(self)
                load.on_supply(port, on)

    def on_wire_change(self, port: str) -> None:
        """A cut contact wire unpowers the load; a mended one passes on the contact's state."""
        if port.startswith("do"):
            on = self.coils[int(port[2:]) - 1] and self.powered
            for link in self.links[port]:
                load, load_port = link.peer(self)
                load.on_supply(load_port, False if link.broken else on)

    def set_power(self, on: bool) -> None:
        super().set_power(on)
        if not on:
            for i in range(OUTPUTS):
                self.switch(i, False)

    def command(self, name, args):
        if name != "set":
            return super().command(name, args)
        output, on = args.get("output"), args.get("on")
        names = [f"do{i}" for i in range(1, OUTPUTS + 1)]
        if output not in names or not isinstance(on, bool):
            raise ValueError(f"set needs output (one of {', '.join(names)}) and on (true or false); "
                             f"got output={output!r}, on={on!r}")
        if not self.powered:
            raise ValueError(f"{self.id} has no power; its relays cannot switch")
        self.switch(names.index(output), on)
        return {"ok": True, "output": output, "on": on}

    # -- inputs ------------------------------------------------------------------------------------
    def _read_input(self, i: int) -> int | None:
        i = self.mapped(i)
        if not 0 <= i < OUTPUTS:
            return None
        link = self.links[f"di{i + 1}"][0] if self.links[f"di{i + 1}"] else None
        if link is None or link.broken:
            return 0
        part, port = link.peer(self)
        return int(bool(part.output(port)))

    def on_edge(self, port: str, level: int) -> None:
        """Inputs are read when polled; an edge between polls is not latched (as on the real module)."""

    # -- what a gateway does with it ---------------------------------------------------------------
    def write_request(self, output: str, on: bool) -> bytes:
        names = [f"do{i}" for i in range(1, OUTPUTS + 1)]
        if output not in names:
            raise ValueError(f"{self.id} has no output {output!r}; outputs: {', '.join(names)}")
        return write_coil_request(self.address, names.index(output), on)

    def master_poll(self):
        """Read the relays (FC01) and, if anything is wired to them, the inputs (FC02)."""
        address = self.address
        polls = [(read_request(address, READ_COILS, 0, OUTPUTS),
                  lambda reply: _tag("do", parse_bits_reply(reply, address, READ_COILS, OUTPUTS)))]
        if any(self.links[f"di{i}"] for i in range(1, OUTPUTS + 1)):
            polls.append((read_request(address, READ_DISCRETE, 0, OUTPUTS),
                          lambda reply: _tag("di", parse_bits_reply(reply, address, READ_DISCRETE, OUTPUTS))))
        return polls

    def samples(self, values):
        kind, bits = values
        if kind == "do":
            return [(self.id, "rs485", {f"do{i + 1}": int(b) for i, b in enumerate(bits)})]
        out = []
        for i, bit in enumerate(bits):
            link = self.links[f"di{i + 1}"][0] if self.links[f"di{i + 1}"] else None
            if link is not None:
                part, _ = link.peer(self)
                out.append((part.id, f"{self.id}.di{i + 1}", part.decode(int(bit))))
        return out

    def served(self) -> list[str]:
        return [self.id] + [link.peer(self)[0].id for i in range(1, OUTPUTS + 1) for link in self.links[f"di{i}"]]


def _tag(kind: str, result):
    return result if isinstance(result, str) else (kind, result)
