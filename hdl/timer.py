"""Timer/PWM (register map: ``hdl.regmap.TIMER``)."""

from __future__ import annotations

from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .csr import RegisterFile, bus_signature
from .regmap import TIMER


class Timer(wiring.Component):
    """Counter 0..PERIOD stepping every PRESCALE+1 clocks; ``pwm`` = EN & PWM & (COUNT < COMPARE); ``active`` = EN."""

    def __init__(self):
        super().__init__({"bus": In(bus_signature()), "pwm": Out(1), "irq": Out(1), "active": Out(1)})

    def elaborate(self, platform):
        m = Module()
        regs = RegisterFile(TIMER, self.bus)
        regs.elaborate(m)
        presc = Signal(16)
        count, pend = regs["COUNT"], regs["PEND"]
        en = regs.field("CTRL", "EN")
        wrap = Signal()

        with m.If(en):
            with m.If(presc == regs["PRESCALE"]):
                m.d.sync += presc.eq(0)
                with m.If(count == regs["PERIOD"]):
                    m.d.comb += wrap.eq(1)
                    m.d.sync += count.eq(0)
                    with m.If(regs.field("CTRL", "ONESHOT")):
                        m.d.sync += en.eq(0)
                with m.Else():
                    m.d.sync += count.eq(count + 1)
            with m.Else():
                m.d.sync += presc.eq(presc + 1)
        # bus writes win over the counter (assigned later)
        with m.If(regs.wr["COUNT"]):
            m.d.sync += [count.eq(self.bus.w_data[:16]), presc.eq(0)]
        with m.If(regs.wr["CTRL"]):
            m.d.sync += regs["CTRL"].eq(self.bus.w_data[:4])
        clear = Signal()
        with m.If(regs.wr["PEND"]):
            m.d.comb += clear.eq(self.bus.w_data[0])
        m.d.sync += pend.eq((pend & ~clear) | wrap)

        m.d.comb += [
            self.pwm.eq(en & regs.field("CTRL", "PWM") & (count < regs["COMPARE"])),
            self.irq.eq(pend & regs.field("CTRL", "IRQ_EN")),
            self.active.eq(en),
        ]
        return m
