"""Fast behavioural models of the HDL peripherals, in plain Python (no amaranth).

Each model reads its register map from ``hdl.regmap`` and follows the RTL cycle for cycle:
``read(addr)`` is what ``r_data`` shows this cycle, ``clock(...)`` is one rising clock edge with
the bus and input pins as they are during the cycle, ``outputs()`` is the output pins,
``irq`` and ``active`` (0: clocking with a quiet bus and steady input pins changes nothing, so
``Port.run`` skips the stretch). The parity tests in tests/test_hdl.py
drive the RTL and these models with the same random sequences and compare every cycle.
"""

from __future__ import annotations

from .regmap import GPIO, TIMER, UART, Peripheral


class Model:
    periph: Peripheral

    def __init__(self):
        self.regs = {r.name: r.reset for r in self.periph.registers if r.access in ("rw", "w1c")}

    def read_value(self, name: str) -> int:
        return self.regs[name]

    def read(self, addr: int) -> int:
        r = self.periph.at(addr)
        if r is None or r.access == "wo":
            return 0
        return self.read_value(r.name)

    def _writes(self, addr, w_data, w_stb):
        """The plain rw writes of this edge, and the register written (or None)."""
        r = self.periph.at(addr) if w_stb else None
        if r is not None and r.access == "rw":
            self.regs[r.name] = w_data & r.mask
        return r.name if r is not None else None

    def write_data(self, name, addr, w_data, w_stb):
        return w_data if w_stb and self.periph.at(addr) is not None and self.periph.at(addr).name == name else 0


class GpioModel(Model):
    periph = GPIO

    def __init__(self):
        super().__init__()
        self.n = GPIO.params["pins"]
        self.sampled = 0
        self.prev = 0

    def read_value(self, name):
        return self.sampled if name == "IN" else self.regs[name]

    def clock(self, addr=0, w_data=0, w_stb=0, r_stb=0, pins_i=0):
        mask = (1 << self.n) - 1
        rise = self.sampled & ~self.prev & self.regs["IRQ_RISE"]
        fall = ~self.sampled & self.prev & self.regs["IRQ_FALL"]
        clear = self.write_data("IRQ_PEND", addr, w_data, w_stb)
        pend = ((self.regs["IRQ_PEND"] & ~clear) | rise | fall) & mask
        self._writes(addr, w_data, w_stb)
        self.regs["IRQ_PEND"] = pend
        self.prev, self.sampled = self.sampled, pins_i & mask

    def outputs(self):
        return {"pins_o": self.regs["OUT"], "pins_oe": self.regs["DIR"],
                "irq": int(bool(self.regs["IRQ_PEND"] & self.regs["IRQ_EN"])),
                "active": int(self.sampled != self.prev)}


class TimerModel(Model):
    periph = TIMER
    EN, ONESHOT, PWM, IRQ_EN = 1, 2, 4, 8

    def __init__(self):
        super().__init__()
        self.presc = 0

    def clock(self, addr=0, w_data=0, w_stb=0, r_stb=0):
        r = self.regs
        ctrl, count, presc = r["CTRL"], r["COUNT"], self.presc
        wrap = 0
        if ctrl & self.EN:
            if presc == r["PRESCALE"]:
                presc = 0
                if count == r["PERIOD"]:
                    wrap, count = 1, 0
                    if ctrl & self.ONESHOT:
                        ctrl &= ~self.EN
                else:
                    count = (count + 1) & 0xFFFF
            else:
                presc = (presc + 1) & 0xFFFF
        clear = self.write_data("PEND", addr, w_data, w_stb) & 1
        pend = (r["PEND"] & ~clear) | wrap
        r["CTRL"], r["COUNT"], self.presc = ctrl, count, presc
        written = self._writes(addr, w_data, w_stb)
        if written == "COUNT":
            self.presc = 0
        r["PEND"] = pend & 1

    def outputs(self):
        r = self.regs
        en = r["CTRL"] & self.EN
        return {"pwm": int(bool(en and r["CTRL"] & self.PWM and r["COUNT"] < r["COMPARE"])),
                "irq": int(bool(r["PEND"] and r["CTRL"] & self.IRQ_EN)),
                "active": int(bool(en))}


class _Fifo:
    def __init__(self, depth):
        self.depth, self.mem, self.head, self.level = depth, [0] * depth, 0, 0

    def step(self, push, w_data, pop):
        do_push = push and self.level < self.depth
        do_pop = pop and self.level > 0
        if do_push:
            self.mem[(self.head + self.level) % self.depth] = w_data & 0xFF
        if do_pop:
            self.head = (self.head + 1) % self.depth
        self.level += int(do_push) - int(do_pop)

    @property
    def out(self):
        return self.mem[self.head]


class UartModel(Model):
    periph = UART

    def __init__(self):
        super().__init__()
        depth = UART.params["fifo_depth"]
        self.txf, self.rxf = _Fifo(depth), _Fifo(depth)
        self.tx_busy, self.tx_cnt, self.tx_bit, self.tx_shift = 0, 0, 0, 0x3FF
        self.rx_s, self.rx_busy, self.rx_cnt, self.rx_bit, self.rx_shift = 1, 0, 0, 0, 0

    def bit_end(self, divisor):
        return (divisor - 1) % (1 << 17)

    def flags(self):
        t, rx = self.txf, self.rxf
        return {"TX_BUSY": int(self.tx_busy or t.level > 0), "RX_VALID": int(rx.level > 0),
                "TX_FULL": int(t.level == t.depth), "TX_EMPTY": int(t.level == 0),
                "RX_FULL": int(rx.level == rx.depth), "RX_EMPTY": int(rx.level == 0)}

    def read_value(self, name):
        if name == "STATUS":
            st = UART.reg("STATUS")
            return sum(v << st.field(k).lsb for k, v in self.flags().items())
        if name == "RXDATA":
            return self.rxf.out if self.rxf.level else 0
        return self.regs[name]

    def clock(self, addr=0, w_data=0, w_stb=0, r_stb=0, rx=1):
        div = self.regs["DIVISOR"]
        reg = UART.at(addr)
        name = reg.name if reg else None
        # TX
        tx_pop = 0
        if not self.tx_busy:
            if self.txf.level:
                tx_pop = 1
                self.tx_busy, self.tx_cnt, self.tx_bit = 1, 0, 0
                self.tx_shift = (self.txf.out << 1) | (1 << 9)
        elif self.tx_cnt == self.bit_end(div):
            self.tx_cnt, self.tx_shift = 0, (self.tx_shift >> 1) | (1 << 9)
            if self.tx_bit == 9:
                self.tx_busy = 0
            else:
                self.tx_bit += 1
        else:
            self.tx_cnt = (self.tx_cnt + 1) & 0xFFFF
        # RX
        rx_push, rx_s = 0, self.rx_s
        if not self.rx_busy:
            if not rx_s:
                self.rx_busy, self.rx_bit, self.rx_cnt = 1, 0, div >> 1
        elif self.rx_cnt:
            self.rx_cnt -= 1
        else:
            bit = self.rx_bit
            self.rx_cnt, self.rx_bit = (div - 1) & 0xFFFF, (bit + 1) % 16
            if bit == 0:
                if rx_s:
                    self.rx_busy = 0
            elif bit == 9:
                self.rx_busy = 0
                rx_push = rx_s
            else:
                self.rx_shift = (self.rx_shift >> 1) | (rx_s << 7)
        self.txf.step(w_stb and name == "TXDATA", w_data, tx_pop)
        self.rxf.step(rx_push, self.rx_shift, r_stb and name == "RXDATA")
        self._writes(addr, w_data, w_stb)
        self.rx_s = rx & 1

    def outputs(self):
        f = self.flags()
        en = self.regs["IRQ_EN"]
        return {"tx": int(not self.tx_busy or self.tx_shift & 1),
                "irq": int(bool((en & 1 and f["RX_VALID"]) or (en & 2 and not f["TX_BUSY"]))),
                "active": int(bool(f["TX_BUSY"] or self.rx_busy or not self.rx_s))}


MODELS = {"gpio": GpioModel, "timer": TimerModel, "uart": UartModel}
INPUTS = {"gpio": {"pins_i": 0}, "timer": {}, "uart": {"rx": 1}}


class Port:
    """The interface a board uses, whichever model runs the peripheral (``open_port``).

    ``write(addr, data)`` and ``read(addr)`` are one bus cycle each (``read`` with ``r_stb``,
    so RXDATA pops); ``set(pin, value)`` changes an input pin; ``run(cycles)`` clocks with a
    quiet bus and stops clocking as soon as the peripheral is not ``active`` (the rest of the
    stretch costs nothing). ``cycle`` counts clock cycles; ``changes()`` hands over the output
    changes since the last call as ``(cycle, output, value)``, the value being what the pin
    shows during that cycle; ``outputs`` is the last sample.
    """

    def __init__(self, name: str):
        self.name = name
        self.cycle = 0
        self.clocked = 0                # cycles really clocked (the rest were skipped idle)
        self.inputs = dict(INPUTS[name])
        self.outputs: dict | None = None
        self._changes: list = []
        self._force = 0

    def _cycle(self, op: dict) -> tuple[int, dict]:
        raise NotImplementedError

    def _step(self, addr=0, w_data=0, w_stb=0, r_stb=0) -> int:
        r_data, outs = self._cycle({"addr": addr, "w_data": w_data, "w_stb": w_stb, "r_stb": r_stb,
                                    **self.inputs})
        last = self.outputs
        self._changes.extend((self.cycle, k, v) for k, v in outs.items()
                             if k != "active" and (last is None or last[k] != v))
        self.outputs = outs
        self.cycle += 1
        self.clocked += 1
        self._force = max(0, self._force - 1)
        return r_data

    def write(self, addr: int, data: int) -> None:
        self._step(addr=addr, w_data=data, w_stb=1)

    def read(self, addr: int) -> int:
        return self._step(addr=addr, r_stb=1)

    def set(self, pin: str, value: int) -> None:
        if self.inputs[pin] != value:
            self.inputs[pin] = value
            self._force = 2             # through the input register before ``active`` tells

    def run(self, cycles: int) -> None:
        end = self.cycle + cycles
        while self.cycle < end:
            self._step()
            if not self.outputs["active"] and not self._force:
                self.cycle = end

    def run_until(self, output: str, value: int, cycles: int) -> bool:
        """Clock with a quiet bus until ``output`` shows ``value`` (True: it shows it during cycle
        ``self.cycle - 1``), or ``cycles`` have passed, or the peripheral goes idle (False; the rest of
        the stretch is skipped as in ``run``)."""
        end = self.cycle + cycles
        while self.cycle < end:
            self._step()
            if self.outputs[output] == value:
                return True
            if not self.outputs["active"] and not self._force:
                self.cycle = end
        return False

    def changes(self) -> list:
        out, self._changes = self._changes, []
        return out


class ModelPort(Port):
    """A behavioural model behind the ``Port`` interface."""

    def __init__(self, name: str):
        super().__init__(name)
        self.model = MODELS[name]()

    def _cycle(self, op):
        outs = self.model.outputs()
        r_data = self.model.read(op["addr"])
        self.model.clock(**op)
        return r_data, outs


#: Variants of a peripheral that exist only as RTL (the exercises), and the peripheral they stand in for.
VARIANTS = {"uart_baud_bug": "uart", "gpio_irq_bug": "gpio"}
#: Register maps by peripheral name, for boards that drive a ``Port`` (addresses, field bits).
REGMAPS = {"gpio": GPIO, "timer": TIMER, "uart": UART}


def open_port(name: str, model: str = "behavioural") -> Port:
    """A board's peripheral: ``model: behavioural`` (default, fast) or ``model: rtl`` (co-simulated).
    ``name`` may be a variant (``VARIANTS``, e.g. ``uart_baud_bug``): RTL only, behind its peripheral's port."""
    if model == "behavioural":
        if name in VARIANTS:
            raise ValueError(f"{name} exists only as RTL: open it with model rtl")
        return ModelPort(name)
    if model == "rtl":
        from importlib import import_module
        return import_module("hdl.bridge").RtlPort(name)
    raise ValueError(f"model {model!r}: behavioural or rtl")
