"""GPIO with edge-detect interrupts (register map: ``hdl.regmap.GPIO``)."""

from __future__ import annotations

from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .csr import RegisterFile, bus_signature
from .regmap import GPIO


class Gpio(wiring.Component):
    """``pins_i`` in, ``pins_o``/``pins_oe`` out (OUT and DIR), ``irq`` = any(PEND & EN);
    ``active``: an edge is in the detector (with a quiet bus and steady pins, nothing else changes)."""

    def __init__(self):
        n = GPIO.params["pins"]
        super().__init__({
            "bus": In(bus_signature()),
            "pins_i": In(n),
            "pins_o": Out(n),
            "pins_oe": Out(n),
            "irq": Out(1),
            "active": Out(1),
        })

    def next_pending(self, pend, clear, edges):
        """IRQ_PEND at the next edge: write 1 to clear a bit; an edge in the same cycle sets it again."""
        return (pend & ~clear) | edges

    def elaborate(self, platform):
        m = Module()
        regs = RegisterFile(GPIO, self.bus)
        n = GPIO.params["pins"]
        sampled = Signal(n)          # IN: the pins one clock late
        prev = Signal(n)
        m.d.sync += [sampled.eq(self.pins_i), prev.eq(sampled)]
        regs.read_value["IN"] = sampled
        regs.elaborate(m)

        rise = sampled & ~prev & regs["IRQ_RISE"]
        fall = ~sampled & prev & regs["IRQ_FALL"]
        pend = regs["IRQ_PEND"]
        clear = Signal(n)
        with m.If(regs.wr["IRQ_PEND"]):
            m.d.comb += clear.eq(self.bus.w_data[:n])
        m.d.sync += pend.eq(self.next_pending(pend, clear, rise | fall))

        m.d.comb += [
            self.pins_o.eq(regs["OUT"]),
            self.pins_oe.eq(regs["DIR"]),
            self.irq.eq((pend & regs["IRQ_EN"]).any()),
            self.active.eq(sampled != prev),
        ]
        return m
