"""8N1 UART with TX and RX FIFOs and a baud divisor (register map: ``hdl.regmap.UART``).

Bit time: DIVISOR clock cycles. TX: when the shifter is idle and the TX FIFO holds a byte, the
byte is taken and the line goes low (start bit) at that clock edge; 8 data bits LSB first and a
stop bit follow, each DIVISOR cycles. RX: the line is registered once (``rx`` is read one
clock late); a low level while idle starts a frame, the start bit is checked DIVISOR//2 cycles
later and each following bit DIVISOR cycles after the previous; a byte with a good stop bit is
pushed into the RX FIFO (dropped when it is full). RXDATA reads 0 while the RX FIFO is empty.
"""

from __future__ import annotations

from amaranth.hdl import Array, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .csr import RegisterFile, bus_signature
from .regmap import UART


class _Fifo:
    def __init__(self, depth: int, name: str):
        self.depth = depth
        self.mem = Array(Signal(8, name=f"{name}_mem{i}") for i in range(depth))
        self.head = Signal(range(depth), name=f"{name}_head")
        self.level = Signal(range(depth + 1), name=f"{name}_level")
        self.push = Signal(name=f"{name}_push")
        self.pop = Signal(name=f"{name}_pop")
        self.w_data = Signal(8, name=f"{name}_wdata")

    @property
    def empty(self):
        return self.level == 0

    @property
    def full(self):
        return self.level == self.depth

    @property
    def out(self):
        return self.mem[self.head]

    def elaborate(self, m: Module):
        do_push = self.push & ~self.full
        do_pop = self.pop & ~self.empty
        tail = (self.head + self.level)[:len(self.head)]
        with m.If(do_push):
            m.d.sync += self.mem[tail].eq(self.w_data)
        with m.If(do_pop):
            m.d.sync += self.head.eq(self.head + 1)
        with m.If(do_push & ~do_pop):
            m.d.sync += self.level.eq(self.level + 1)
        with m.Elif(do_pop & ~do_push):
            m.d.sync += self.level.eq(self.level - 1)


class Uart(wiring.Component):
    """``tx`` out (idle high), ``rx`` in, ``irq`` = (IRQ_EN.RX & RX_VALID) | (IRQ_EN.TX_IDLE & ~TX_BUSY);
    ``active``: a byte is queued, sent or received, or the registered ``rx`` is low."""

    def __init__(self):
        super().__init__({"bus": In(bus_signature()), "tx": Out(1, init=1), "rx": In(1, init=1),
                          "irq": Out(1), "active": Out(1)})

    def bit_end(self, divisor):
        """The value of the cycle counter at the last cycle of a bit."""
        return divisor - 1

    def elaborate(self, platform):
        m = Module()
        depth = UART.params["fifo_depth"]
        regs = RegisterFile(UART, self.bus)
        txf, rxf = _Fifo(depth, "txf"), _Fifo(depth, "rxf")
        divisor = regs["DIVISOR"]

        # TX
        tx_busy = Signal()
        tx_cnt = Signal(16)
        tx_bit = Signal(range(10))
        tx_shift = Signal(10, init=0x3FF)
        m.d.comb += [txf.push.eq(regs.wr["TXDATA"]), txf.w_data.eq(self.bus.w_data[:8])]
        with m.If(~tx_busy):
            with m.If(~txf.empty):
                m.d.comb += txf.pop.eq(1)
                m.d.sync += [tx_busy.eq(1), tx_cnt.eq(0), tx_bit.eq(0),
                             tx_shift.eq((txf.out << 1) | (1 << 9))]
        with m.Else():
            with m.If(tx_cnt == self.bit_end(divisor)):
                m.d.sync += [tx_cnt.eq(0), tx_shift.eq((tx_shift >> 1) | (1 << 9))]
                with m.If(tx_bit == 9):
                    m.d.sync += tx_busy.eq(0)
                with m.Else():
                    m.d.sync += tx_bit.eq(tx_bit + 1)
            with m.Else():
                m.d.sync += tx_cnt.eq(tx_cnt + 1)
        m.d.comb += self.tx.eq(~tx_busy | tx_shift[0])

        # RX
        rx_s = Signal(init=1)
        rx_busy = Signal()
        rx_cnt = Signal(16)
        rx_bit = Signal(range(10))
        rx_shift = Signal(8)
        m.d.sync += rx_s.eq(self.rx)
        m.d.comb += [rxf.pop.eq(regs.rd["RXDATA"]), rxf.w_data.eq(rx_shift)]
        with m.If(~rx_busy):
            with m.If(~rx_s):
                m.d.sync += [rx_busy.eq(1), rx_bit.eq(0), rx_cnt.eq(divisor >> 1)]
        with m.Elif(rx_cnt != 0):
            m.d.sync += rx_cnt.eq(rx_cnt - 1)
        with m.Else():
            m.d.sync += [rx_cnt.eq(divisor - 1), rx_bit.eq(rx_bit + 1)]
            with m.If(rx_bit == 0):
                with m.If(rx_s):
                    m.d.sync += rx_busy.eq(0)       # a glitch, not a start bit
            with m.Elif(rx_bit == 9):
                m.d.sync += rx_busy.eq(0)
                with m.If(rx_s):
                    m.d.comb += rxf.push.eq(1)
            with m.Else():
                m.d.sync += rx_shift.eq((rx_shift >> 1) | (rx_s << 7))

        status = regs.periph.reg("STATUS")
        flags = {"TX_BUSY": tx_busy | ~txf.empty, "RX_VALID": ~rxf.empty, "TX_FULL": txf.full,
                 "TX_EMPTY": txf.empty, "RX_FULL": rxf.full, "RX_EMPTY": rxf.empty}
        st = Signal(status.width)
        for name, value in flags.items():
            m.d.comb += st[status.field(name).lsb].eq(value)
        regs.read_value["STATUS"] = st
        regs.read_value["RXDATA"] = Mux(rxf.empty, 0, rxf.out)
        regs.elaborate(m)
        txf.elaborate(m)
        rxf.elaborate(m)
        m.d.comb += self.irq.eq((regs.field("IRQ_EN", "RX") & flags["RX_VALID"])
                                | (regs.field("IRQ_EN", "TX_IDLE") & ~flags["TX_BUSY"]))
        m.d.comb += self.active.eq(flags["TX_BUSY"] | rx_busy | ~rx_s)
        return m
