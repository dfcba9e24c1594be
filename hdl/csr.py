"""A tiny register bus on ``amaranth.lib.wiring`` and the register file built from a regmap.

``bus_signature()`` is the initiator's view (addr, w_data, w_stb, r_stb out; r_data in); a
peripheral takes ``In(bus_signature())``. ``RegisterFile`` creates one storage signal per
``rw``/``w1c`` register of a :class:`hdl.regmap.Peripheral` (width and reset from the map), the
read multiplexer, plain ``rw`` write logic and per-register write/read strobes. A peripheral adds
its own behaviour after it (later assignments win in Amaranth, so a peripheral may override).
"""

from __future__ import annotations

from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .regmap import ADDR_WIDTH, DATA_WIDTH, Peripheral


def bus_signature(addr_width: int = ADDR_WIDTH, data_width: int = DATA_WIDTH) -> wiring.Signature:
    return wiring.Signature({
        "addr": Out(addr_width),
        "w_data": Out(data_width),
        "w_stb": Out(1),
        "r_stb": Out(1),
        "r_data": In(data_width),
    })


class RegisterFile:
    """Storage, strobes and the read mux of one peripheral's registers."""

    def __init__(self, periph: Peripheral, bus):
        self.periph = periph
        self.bus = bus
        self.storage = {r.name: Signal(r.width, init=r.reset, name=f"reg_{r.name.lower()}")
                        for r in periph.registers if r.access in ("rw", "w1c")}
        self.wr = {r.name: Signal(name=f"wr_{r.name.lower()}") for r in periph.registers}
        self.rd = {r.name: Signal(name=f"rd_{r.name.lower()}") for r in periph.registers}
        self.read_value = dict(self.storage)      # ro registers: the peripheral fills these in

    def __getitem__(self, name):
        return self.storage[name]

    def field(self, reg: str, name: str):
        f = self.periph.reg(reg).field(name)
        return self.storage[reg][f.lsb:f.lsb + f.width]

    def elaborate(self, m: Module):
        bus = self.bus
        for r in self.periph.registers:
            hit = bus.addr == r.addr
            m.d.comb += [self.wr[r.name].eq(bus.w_stb & hit), self.rd[r.name].eq(bus.r_stb & hit)]
            if r.access == "rw":
                with m.If(self.wr[r.name]):
                    m.d.sync += self.storage[r.name].eq(bus.w_data[:r.width])
        with m.Switch(bus.addr):
            for r in self.periph.registers:
                if r.access == "wo":
                    continue
                with m.Case(r.addr):
                    m.d.comb += bus.r_data.eq(self.read_value[r.name])
