"""Testbenches of the HDL peripherals, shared by tests/test_hdl.py and ``iotlab hdl test``.

``parity(name, seed, cycles)`` drives the RTL (Amaranth simulator) and the behavioural model
(``hdl.models``) with the same random register sequence and input pins, and compares, every
cycle, the register read, the output pins and the interrupt. ``uart_bit_timing(cls, divisor)``
sends one byte from an RTL UART and measures its bit time on the TX line.
Each returns a :class:`Result` (``ok`` and a message that says what went wrong).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from importlib import import_module

from amaranth.sim import Simulator

from .models import MODELS
from .regmap import PERIPHERALS

CLOCK_PERIOD = 1e-6

COMPONENTS = {"gpio": "hdl.gpio:Gpio", "timer": "hdl.timer:Timer", "uart": "hdl.uart:Uart",
              "uart_baud_bug": "hdl.exercises.uart_baud_bug:Uart", "gpio_irq_bug": "hdl.exercises.gpio_irq_bug:Gpio"}


def component(name: str):
    module, cls = COMPONENTS[name].split(":")
    return getattr(import_module(module), cls)


@dataclass
class Result:
    ok: bool
    message: str


# Values that keep a random sequence busy: short periods, small divisors.
_RANGES = {("timer", "PRESCALE"): (0, 3), ("timer", "PERIOD"): (0, 15), ("timer", "COMPARE"): (0, 16),
           ("timer", "COUNT"): (0, 20), ("uart", "DIVISOR"): (2, 8)}


def random_sequence(name: str, seed: int, cycles: int) -> list[dict]:
    """One dict a cycle: the bus signals and the input pins."""
    rng = random.Random(seed)
    periph = PERIPHERALS[name]
    seq = []
    pins, rx_bits = 0, []
    divisor = periph.reg("DIVISOR").reset if name == "uart" else 0
    for _ in range(cycles):
        op = {"addr": 0, "w_data": 0, "w_stb": 0, "r_stb": 0}
        roll = rng.random()
        if roll < 0.25:
            reg = rng.choice(periph.registers)
            lo, hi = _RANGES.get((name, reg.name), (0, (1 << reg.width) - 1))
            if name == "uart" and reg.name == "DIVISOR" and rng.random() < 0.8:
                reg = periph.reg("TXDATA")           # keep the divisor mostly steady
                lo, hi = 0, 255
            op.update(addr=reg.addr, w_data=rng.randint(lo, hi), w_stb=1)
            if reg.name == "DIVISOR":
                divisor = op["w_data"]
        elif roll < 0.5:
            op.update(addr=rng.randrange(1 << 4), r_stb=1)
        else:
            op["addr"] = rng.randrange(1 << 4)
        if name == "gpio":
            if rng.random() < 0.2:
                pins ^= 1 << rng.randrange(8)
            op["pins_i"] = pins
        elif name == "uart":
            if not rx_bits:
                if rng.random() < 0.05:              # a frame at the current divisor, or a glitch
                    byte = rng.randrange(256)
                    frame = [0] + [(byte >> i) & 1 for i in range(8)] + [1]
                    rx_bits = [b for b in frame for _ in range(divisor)] if rng.random() < 0.9 else [0]
            op["rx"] = rx_bits.pop(0) if rx_bits else 1
        seq.append(op)
    return seq


def _outputs_of(name):
    return {"gpio": ("pins_o", "pins_oe", "irq", "active"), "timer": ("pwm", "irq", "active"),
            "uart": ("tx", "irq", "active")}[name]


def run_rtl(dut, name: str, seq: list[dict], vcd: str | None = None) -> list[tuple]:
    """Drive the sequence into the RTL; per cycle (r_data, outputs...) before the clock edge."""
    outs = _outputs_of(name)
    got = []

    async def bench(ctx):
        for op in seq:
            for key, value in op.items():
                port = getattr(dut.bus, key) if key in ("addr", "w_data", "w_stb", "r_stb") else getattr(dut, key)
                ctx.set(port, value)
            got.append((ctx.get(dut.bus.r_data),) + tuple(ctx.get(getattr(dut, o)) for o in outs))
            await ctx.tick()

    _simulate(dut, bench, vcd)
    return got


def run_model(model, name: str, seq: list[dict]) -> list[tuple]:
    outs = _outputs_of(name)
    got = []
    for op in seq:
        o = model.outputs()
        got.append((model.read(op["addr"]),) + tuple(o[k] for k in outs))
        model.clock(**op)
    return got


def _simulate(dut, bench, vcd):
    sim = Simulator(dut)
    sim.add_clock(CLOCK_PERIOD)
    sim.add_testbench(bench)
    if vcd:
        with sim.write_vcd(vcd):
            sim.run()
    else:
        sim.run()


def parity(name: str, seed: int = 1, cycles: int = 2000, vcd: str | None = None, dut=None) -> Result:
    seq = random_sequence(name, seed, cycles)
    rtl = run_rtl(dut if dut is not None else component(name)(), name, seq, vcd)
    beh = run_model(MODELS[name](), name, seq)
    fields = ("r_data",) + _outputs_of(name)
    for cycle, (a, b) in enumerate(zip(rtl, beh)):
        if a != b:
            diff = ", ".join(f"{f}: rtl {x:#x} model {y:#x}" for f, x, y in zip(fields, a, b) if x != y)
            return Result(False, f"{name} seed {seed}: RTL and model differ at cycle {cycle} "
                          f"(bus {seq[cycle]}): {diff}")
    return Result(True, f"{name} seed {seed}: RTL and model agree on {cycles} cycles "
                  f"(register reads, {', '.join(_outputs_of(name))})")


def sample_tx(dut, divisor: int, byte: int, vcd: str | None = None) -> list[int]:
    """Set DIVISOR, write one byte to TXDATA, and return the TX line, one sample a clock."""
    from .regmap import UART
    line = []
    cycles = 14 * (divisor + 2)

    async def bench(ctx):
        for reg, value in (("DIVISOR", divisor), ("TXDATA", byte)):
            ctx.set(dut.bus.addr, UART.reg(reg).addr)
            ctx.set(dut.bus.w_data, value)
            ctx.set(dut.bus.w_stb, 1)
            await ctx.tick()
        ctx.set(dut.bus.w_stb, 0)
        for _ in range(cycles):
            line.append(ctx.get(dut.tx))
            await ctx.tick()

    _simulate(dut, bench, vcd)
    return line


def uart_bit_timing(name: str = "uart", divisor: int = 16, byte: int = 0x55, vcd: str | None = None) -> Result:
    """The byte 0x55 toggles the line at every bit: the edges give the bit time."""
    line = sample_tx(component(name)(), divisor, byte, vcd)
    if 0 not in line:
        return Result(False, f"{name}: the TX line never left idle (no start bit) after a write to TXDATA")
    start = line.index(0)
    edges = [i for i in range(start + 1, len(line)) if line[i] != line[i - 1]]
    # a receiver at the nominal baud samples the middle of each bit
    bits = [line[start + int((i + 0.5) * divisor)] if start + int((i + 0.5) * divisor) < len(line) else 1
            for i in range(10)]
    got = sum(b << i for i, b in enumerate(bits[1:9]))
    if len(edges) < 9:
        return Result(False, f"{name}: {len(edges)} edges on the TX line after the start bit, expected 9 for 0x{byte:02X}")
    measured = (edges[8] - start) / 9                 # start bit + 8 data bits
    baud_err = (divisor / measured - 1) * 100
    if abs(measured - divisor) > 1e-9 or got != byte or bits[0] != 0 or bits[9] != 1:
        return Result(False, f"{name}: bit time measured {measured:g} clock cycles, expected {divisor} "
                      f"(DIVISOR={divisor}): the baud rate is {abs(baud_err):.1f}% "
                      f"{'slow' if baud_err < 0 else 'fast'}; a receiver at the nominal baud, sampling mid-bit, "
                      + (f"reads 0x{got:02X} instead of 0x{byte:02X}" if got != byte else f"reads 0x{byte:02X}")
                      + ("" if bits[9] == 1 else f" {'and' if got != byte else 'but'} a framing error "
                         "(the stop bit is sampled low)"))
    return Result(True, f"{name}: bit time {measured:g} clock cycles at DIVISOR={divisor}; "
                  f"0x{byte:02X} read back mid-bit with a good stop bit")


def gpio_irq_clear(name: str = "gpio", pin: int = 4, vcd: str | None = None) -> Result:
    """A falling edge on ``pin`` with its interrupt enabled raises ``irq``; writing 1 to its IRQ_PEND bit,
    as an interrupt handler's runtime does, must clear it (and ``irq``) at the next edge, and the next
    edge must set it again."""
    from .regmap import GPIO
    dut = component(name)()
    bit = 1 << pin
    trace: list[tuple[str, int, int]] = []          # (step, IRQ_PEND, irq) before each clock edge

    async def bench(ctx):
        async def cycle(step, pins, reg=None, value=0):
            ctx.set(dut.pins_i, pins)
            ctx.set(dut.bus.addr, GPIO.reg(reg).addr if reg else GPIO.reg("IRQ_PEND").addr)
            ctx.set(dut.bus.w_data, value)
            ctx.set(dut.bus.w_stb, 1 if reg else 0)
            trace.append((step, ctx.get(dut.bus.r_data), ctx.get(dut.irq)))
            await ctx.tick()

        high = 0xFF
        for reg in ("IRQ_FALL", "IRQ_EN"):
            await cycle("setup", high, reg, bit)
        for _ in range(3):
            await cycle("idle", high)
        for _ in range(3):
            await cycle("pressed", high & ~bit)
        await cycle("clear", high & ~bit, "IRQ_PEND", bit)
        for _ in range(2):
            await cycle("cleared", high & ~bit)
        for _ in range(3):
            await cycle("released", high)
        for _ in range(3):
            await cycle("pressed again", high & ~bit)

    _simulate(dut, bench, vcd)
    last = {step: (pend, irq) for step, pend, irq in trace}
    if last["pressed"] != (bit, 1):
        return Result(False, f"{name}: after a falling edge on pin {pin} (IRQ_FALL and IRQ_EN set) IRQ_PEND reads "
                      f"0x{last['pressed'][0]:02X} and irq is {last['pressed'][1]}: expected 0x{bit:02X} and 1")
    if last["cleared"] != (0, 0):
        return Result(False, f"{name}: IRQ_PEND still reads 0x{last['cleared'][0]:02X} (irq {last['cleared'][1]}) "
                      f"after writing 0x{bit:02X} to it: the interrupt never clears, so the handler runs again and "
                      "again (IRQ_PEND is write-1-to-clear)")
    if last["pressed again"] != (bit, 1):
        return Result(False, f"{name}: a second falling edge after the clear left IRQ_PEND at "
                      f"0x{last['pressed again'][0]:02X}: expected 0x{bit:02X}")
    return Result(True, f"{name}: a falling edge on pin {pin} sets IRQ_PEND and irq; writing 1 clears them; "
                  "the next edge sets them again")


def testbench(name: str, vcd: str | None = None) -> list[Result]:
    """What ``iotlab hdl test NAME`` runs."""
    if name == "uart_baud_bug":
        return [uart_bit_timing("uart_baud_bug", vcd=vcd)]
    if name == "gpio_irq_bug":
        return [gpio_irq_clear("gpio_irq_bug", vcd=vcd)]
    results = [parity(name, seed, vcd=vcd if seed == 1 else None) for seed in (1, 2, 3)]
    if name == "uart":
        results += [uart_bit_timing("uart", d) for d in (2, 5, 16)]
    if name == "gpio":
        results.append(gpio_irq_clear("gpio"))
    return results
