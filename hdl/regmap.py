"""Register maps of the HDL peripherals: plain data, the single source both models read.

The Amaranth RTL (``hdl.gpio``, ``hdl.timer``, ``hdl.uart``) and the behavioural models
(``hdl.models``) build their registers, addresses, reset values and access rules from these
tables; the parity tests hold the two together. No amaranth import here: a board (in
``devices``) may read this module without loading the HDL toolchain.

Bus (see ``hdl.csr``): word addresses, 32-bit data. ``r_data`` shows the addressed register in
the same cycle (combinational); ``r_stb`` marks a read that has a side effect (RXDATA pops its
FIFO at that clock edge); ``w_stb`` writes ``w_data`` at the clock edge.

Access: ``rw`` read/write; ``ro`` read-only (writes ignored); ``wo`` write-only (reads 0);
``w1c`` read, write 1 to clear a bit (a hardware set in the same cycle wins over the clear).
"""

from __future__ import annotations

from dataclasses import dataclass, field

ADDR_WIDTH = 4
DATA_WIDTH = 32


@dataclass(frozen=True)
class Field:
    name: str
    lsb: int
    width: int = 1
    doc: str = ""

    @property
    def mask(self) -> int:
        return ((1 << self.width) - 1) << self.lsb


@dataclass(frozen=True)
class Register:
    name: str
    addr: int
    width: int
    access: str                      # rw | ro | wo | w1c
    reset: int = 0
    doc: str = ""
    fields: tuple[Field, ...] = ()
    side_effect: str = ""            # "push" (write), "pop" (read)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")

    @property
    def mask(self) -> int:
        return (1 << self.width) - 1


@dataclass(frozen=True)
class Peripheral:
    name: str
    doc: str
    registers: tuple[Register, ...]
    params: dict = field(default_factory=dict)

    def reg(self, name: str) -> Register:
        for r in self.registers:
            if r.name == name:
                return r
        raise KeyError(f"{self.name} has no register {name!r}")

    def at(self, addr: int) -> Register | None:
        for r in self.registers:
            if r.addr == addr:
                return r
        return None

    def table(self) -> str:
        """The register map as text (``iotlab hdl list -v`` and docs/hdl.md)."""
        lines = [f"{self.name}: {self.doc}"]
        for r in self.registers:
            lines.append(f"  0x{r.addr:X} {r.name:<9} {r.access:<3} {r.width:>2} bit reset 0x{r.reset:X}  {r.doc}")
            for f in r.fields:
                bits = f"[{f.lsb + f.width - 1}:{f.lsb}]" if f.width > 1 else f"[{f.lsb}]"
                lines.append(f"        {bits:<7} {f.name:<9} {f.doc}")
        return "\n".join(lines)


GPIO_PINS = 8

GPIO = Peripheral("gpio", f"{GPIO_PINS} general-purpose pins with edge-detect interrupts", (
    Register("OUT", 0x0, GPIO_PINS, "rw", 0, "output data, one bit a pin"),
    Register("IN", 0x1, GPIO_PINS, "ro", 0, "input data (pins sampled each clock, one cycle late)"),
    Register("DIR", 0x2, GPIO_PINS, "rw", 0, "direction, 1 = output (drives OUT on the pin)"),
    Register("IRQ_EN", 0x3, GPIO_PINS, "rw", 0, "interrupt enable, one bit a pin"),
    Register("IRQ_RISE", 0x4, GPIO_PINS, "rw", 0, "a rising edge sets the pin's pending bit"),
    Register("IRQ_FALL", 0x5, GPIO_PINS, "rw", 0, "a falling edge sets the pin's pending bit"),
    Register("IRQ_PEND", 0x6, GPIO_PINS, "w1c", 0, "edge seen; write 1 to clear; irq = any(PEND & EN)"),
), {"pins": GPIO_PINS})

TIMER = Peripheral("timer", "16-bit timer: periodic, one-shot, PWM on a pin", (
    Register("PRESCALE", 0x0, 16, "rw", 0, "the counter steps every PRESCALE+1 clocks"),
    Register("PERIOD", 0x1, 16, "rw", 0xFFFF, "the counter runs 0..PERIOD, then wraps and sets PEND"),
    Register("COMPARE", 0x2, 16, "rw", 0, "PWM: the pin is high while COUNT < COMPARE"),
    Register("CTRL", 0x3, 4, "rw", 0, "control", (
        Field("EN", 0, 1, "run"),
        Field("ONESHOT", 1, 1, "clear EN when the counter wraps"),
        Field("PWM", 2, 1, "drive the pwm pin"),
        Field("IRQ_EN", 3, 1, "raise irq while PEND is set"),
    )),
    Register("COUNT", 0x4, 16, "rw", 0, "the counter; a write loads it and restarts the prescaler"),
    Register("PEND", 0x5, 1, "w1c", 0, "the counter wrapped; write 1 to clear"),
))

UART_FIFO_DEPTH = 4

UART = Peripheral("uart", f"8N1 UART with {UART_FIFO_DEPTH}-byte TX and RX FIFOs", (
    Register("TXDATA", 0x0, 8, "wo", 0, "a write pushes a byte into the TX FIFO (dropped when full)",
             side_effect="push"),
    Register("RXDATA", 0x1, 8, "ro", 0, "the oldest received byte; a read (r_stb) pops it", side_effect="pop"),
    Register("STATUS", 0x2, 6, "ro", 0b101000, "flags", (
        Field("TX_BUSY", 0, 1, "a byte is on the wire or waiting in the TX FIFO"),
        Field("RX_VALID", 1, 1, "the RX FIFO holds a byte"),
        Field("TX_FULL", 2, 1, "the TX FIFO is full"),
        Field("TX_EMPTY", 3, 1, "the TX FIFO is empty"),
        Field("RX_FULL", 4, 1, "the RX FIFO is full"),
        Field("RX_EMPTY", 5, 1, "the RX FIFO is empty"),
    )),
    Register("DIVISOR", 0x3, 16, "rw", 16, "clock cycles a bit (baud = f_clk / DIVISOR), >= 2"),
    Register("IRQ_EN", 0x4, 2, "rw", 0, "interrupt enable", (
        Field("RX", 0, 1, "irq while RX_VALID"),
        Field("TX_IDLE", 1, 1, "irq while not TX_BUSY"),
    )),
), {"fifo_depth": UART_FIFO_DEPTH})

PERIPHERALS = {p.name: p for p in (GPIO, TIMER, UART)}
