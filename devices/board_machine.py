"""The MicroPython-style API a dev board's firmware sees: ``machine`` (Pin, Timer, PWM, ADC, UART, I2C,
WDT, disable_irq/enable_irq, reset), ``time``/``utime`` (sleep, sleep_ms, sleep_us, ticks_ms, ticks_us,
ticks_diff, ticks_add), ``micropython.const``, ``lcd_i2c`` (an LCD1602 driver over a PCF8574 backpack,
written against ``machine.I2C`` the way the common MicroPython driver is), ``framebuf`` and ``ssd1306``
(MicroPython's frame buffer and OLED driver, ``devices.board_framebuf``).

Each board gets its own module objects, built by ``make_modules(board, runner)``; every call runs in the
firmware thread while the simulation waits (see ``devices.board_runner``).
"""

from __future__ import annotations

import math
import types

from . import board_framebuf, board_lcdlib


def _pwm_freq(value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 <= value <= 40_000_000:
        raise ValueError(f"PWM freq {value!r}: 1-40000000 Hz")
    return int(value)


def make_modules(board, runner) -> dict[str, types.ModuleType]:
    machine = types.ModuleType("machine")
    utime = types.ModuleType("time")

    def now_us() -> int:
        return int(round(board.sim.env.now * 1_000_000))

    def tick() -> None:
        if board.rearm:
            board.rearm = False
            runner._arm()

    # -- time ------------------------------------------------------------------------------------
    def sleep_ms(ms):
        runner.sleep(float(ms) / 1000.0)

    utime.sleep_ms = sleep_ms
    utime.sleep = lambda s: runner.sleep(float(s))
    utime.sleep_us = lambda us: runner.sleep(float(us) / 1e6)
    utime.ticks_ms = lambda: (now_us() // 1000) & 0x3FFFFFFF
    utime.ticks_us = lambda: now_us() & 0x3FFFFFFF
    utime.ticks_add = lambda t, d: (t + d) & 0x3FFFFFFF
    utime.ticks_diff = lambda a, b: ((a - b + 0x20000000) & 0x3FFFFFFF) - 0x20000000
    utime.time = lambda: now_us() // 1_000_000

    # -- interrupts --------------------------------------------------------------------------------
    class IRQ:
        BOARD_API = True

        def __init__(self, source, handler, trigger, priority):
            self.source, self.handler, self.trig, self.priority = source, handler, trigger, priority
            self.pending_flag, self.last_flags = False, 0

        def trigger(self, value=None):
            if value is not None:
                self.trig = value
            return self.trig

        def flags(self):
            return self.last_flags

        def pending(self):
            """True while the event waits for interrupts to be enabled again."""
            return self.pending_flag

        def clear(self):
            """Drop a pending event (it will not run when interrupts are enabled)."""
            self.pending_flag = False

    def disable_irq():
        tick()
        state, board.irq_enabled = board.irq_enabled, False
        return state

    def enable_irq(state=True):
        tick()
        board.irq_enabled = bool(state)
        if board.irq_enabled:
            for irq in sorted((i for i in board.irq_list if i.pending_flag), key=lambda i: i.priority):
                irq.pending_flag = False
                reply = runner.run_handler(irq.handler, irq.source)
                if reply[0] == "irq_crash":
                    board.irq_crash(reply)

    machine.disable_irq, machine.enable_irq = disable_irq, enable_irq
    machine.reset = lambda: board.request_reset("machine.reset()")
    machine.freq = lambda *a: board.p.clock_mhz * 1_000_000

    # -- GPIO ----------------------------------------------------------------------------------------
    class Pin:
        BOARD_API = True
        IN, OUT, OPEN_DRAIN = 0, 1, 2
        PULL_UP, PULL_DOWN = 1, 2
        IRQ_RISING, IRQ_FALLING = 1, 2

        def __init__(self, id, mode=-1, pull=-1, value=None):
            self.name = board.pin_name(id)
            self.init(mode, pull, value)

        def init(self, mode=-1, pull=-1, value=None):
            if mode != -1:
                board.pin_mode[self.name] = mode
            if value is not None:
                self.value(value)

        def value(self, x=None):
            tick()
            if x is None:
                return board.pin_read(self.name)
            board.pin_write(self.name, 1 if x else 0)
            return None

        __call__ = value

        def on(self):
            self.value(1)

        def off(self):
            self.value(0)

        def toggle(self):
            self.value(0 if board.pin_read(self.name) else 1)

        def irq(self, handler=None, trigger=3, priority=1, wake=None, hard=False):
            board.irq_list[:] = [i for i in board.irq_list if i.source is not self and
                                 getattr(i.source, "name", None) != self.name]
            entry = IRQ(self, handler, trigger, priority)
            if handler is not None:
                board.irq_list.append(entry)
            board.pin_irqs[self.name] = entry if handler is not None else None
            board.gpio_irq_config(self.name, trigger if handler is not None else 0)
            return entry

        def __repr__(self):
            return f"Pin({self.name})"

    machine.Pin = Pin

    # -- timers and PWM ------------------------------------------------------------------------------
    generations: dict = {}          # per hardware timer id: Timer(2) made twice is the same timer

    class Timer:
        BOARD_API = True
        ONE_SHOT, PERIODIC = 0, 1

        def __init__(self, id=-1, **kwargs):
            if not isinstance(id, int) or isinstance(id, bool) or not -1 <= id <= 15:
                raise ValueError(f"Timer({id!r}): ids are 0-15, or -1 for a virtual timer")
            self.id, self.irq_entry = id, None
            self.key = id if id >= 0 else f"virtual-{len(generations)}-{object.__repr__(self)}"
            generations.setdefault(self.key, 0)
            if kwargs:
                self.init(**kwargs)

        @property
        def generation(self):
            return generations[self.key]

        @generation.setter
        def generation(self, value):
            generations[self.key] = value

        def init(self, mode=1, period=-1, freq=-1, callback=None, priority=2):
            tick()
            if freq is not None and freq > 0:
                period_s = 1.0 / freq
            elif period is not None and period > 0:
                period_s = period / 1000.0
            else:
                raise ValueError("Timer.init needs period (ms) or freq (Hz)")
            self.generation += 1
            self.irq_entry = IRQ(self, callback, 0, priority)
            board.start_timer(self, self.generation, period_s, mode == self.PERIODIC)

        def deinit(self):
            tick()
            self.generation += 1
            board.stop_timer(self)

    class PWM:
        BOARD_API = True

        def __init__(self, pin, freq=1000, duty_u16=0, duty=None):
            self.name = pin.name if isinstance(pin, Pin) else board.pin_name(pin)
            self._freq, self._duty = _pwm_freq(freq), 0
            self.duty_u16(duty_u16 if duty is None else duty * 64)

        def freq(self, value=None):
            if value is None:
                return self._freq
            self._freq = _pwm_freq(value)
            board.set_pwm(self.name, self._freq, self._duty / 65535)

        def duty_u16(self, value=None):
            tick()
            if value is None:
                return self._duty
            self._duty = max(0, min(65535, int(value)))
            board.set_pwm(self.name, self._freq, self._duty / 65535)

        def duty(self, value=None):
            if value is None:
                return self._duty // 64
            self.duty_u16(int(value) * 64)

        def deinit(self):
            board.set_pwm(self.name, self._freq, None)

    machine.Timer, machine.PWM = Timer, PWM

    # -- ADC -------------------------------------------------------------------------------------------
    class ADC:
        BOARD_API = True

        def __init__(self, pin):
            self.channel = board.adc_channel(pin.name if isinstance(pin, Pin) else pin)

        def read(self):
            tick()
            return board.adc_read(self.channel)

        def read_u16(self):
            bits = board.p.adc_bits
            raw = self.read()
            return (raw << (16 - bits)) | (raw >> (2 * bits - 16)) if bits < 16 else raw >> (bits - 16)

        def read_uv(self):
            return int(round(self.read() * board.p.vref_v * 1e6 / (1 << board.p.adc_bits)))

    machine.ADC = ADC

    # -- UART --------------------------------------------------------------------------------------------
    class UART:
        BOARD_API = True

        def __init__(self, id=0, baudrate=115200, bits=8, parity=None, stop=1, **kwargs):
            self.port = board.uart_port_of(id)
            self.init(baudrate, bits, parity, stop)

        def init(self, baudrate=115200, bits=8, parity=None, stop=1, **kwargs):
            board.uart_config(self.port, int(baudrate), {None: "N", 0: "E", 1: "O"}.get(parity, "N"))

        def write(self, buf):
            tick()
            data = buf.encode() if isinstance(buf, str) else bytes(buf)
            board.uart_out(self.port, data)
            return len(data)

        def flush(self):
            """Wait until the last byte written has left the UART."""
            tick()
            left = board.uart_done_at(self.port) - board.sim.env.now
            if left > 0:
                runner.sleep(left)

        def txdone(self):
            return board.uart_done_at(self.port) <= board.sim.env.now

        def any(self):
            return len(board.uart_rx[self.port])

        def read(self, n=None):
            rx = board.uart_rx[self.port]
            if not rx:
                return None
            n = len(rx) if n is None else n
            out = bytes(rx[:n])
            del rx[:n]
            return out

        def readline(self):
            rx = board.uart_rx[self.port]
            end = rx.find(b"\n")
            return self.read(end + 1) if end >= 0 else self.read()

    machine.UART = UART

    # -- I2C ---------------------------------------------------------------------------------------------
    class I2C:
        """I2C master. Each transfer takes its bus time at ``freq`` (9 clocks a byte with its ACK, the
        address byte included, plus start and stop) as the CPU waits for it. An interrupt handler cannot
        hand time over: there the wait runs on the handler's own clock (``runner.irq_busy_s``), which the
        devices on the bus see (``sim.buses.i2c_transfer``'s ``lag_s``) while the rest of the lab does not."""
        BOARD_API = True

        def __init__(self, id=0, scl=None, sda=None, freq=400000):
            if isinstance(freq, bool) or not isinstance(freq, (int, float)) or not 10_000 <= freq <= 1_000_000:
                raise ValueError(f"I2C freq {freq!r}: 10000-1000000 Hz")
            self.freq = int(freq)

        def _bus(self, *segments):
            """Wait the bus time of ``segments`` (bytes in each start..stop or repeated-start segment)."""
            clocks = sum(1 + 9 * (1 + n) for n in segments) + 1
            if runner.in_irq:
                runner.irq_busy_s += clocks / self.freq
            else:
                runner.sleep(clocks / self.freq)

        def scan(self):
            tick()
            found = board.i2c_scan()
            self._bus(*([0] * 112))
            return found

        def writeto(self, addr, buf, stop=True):
            tick()
            data = bytes(buf)
            ok = board.i2c(addr, data, 0) is not None
            self._bus(len(data) if ok else 0)
            if not ok:
                raise OSError(19, "ENODEV")
            return len(data)

        def readfrom(self, addr, nbytes, stop=True):
            tick()
            data = board.i2c(addr, b"", int(nbytes))
            self._bus(int(nbytes) if data is not None else 0)
            if data is None:
                raise OSError(19, "ENODEV")
            return bytes(data)

        def readfrom_into(self, addr, buf, stop=True):
            buf[:] = self.readfrom(addr, len(buf))

        def writeto_mem(self, addr, memaddr, buf, addrsize=8):
            self.writeto(addr, bytes([memaddr]) + bytes(buf))

        def readfrom_mem(self, addr, memaddr, nbytes, addrsize=8):
            tick()
            data = board.i2c(addr, bytes([memaddr]), int(nbytes))
            self._bus(1, int(nbytes)) if data is not None else self._bus(0)
            if data is None:
                raise OSError(19, "ENODEV")
            return bytes(data)

    machine.I2C = machine.SoftI2C = I2C

    # -- watchdog ------------------------------------------------------------------------------------------
    class WDT:
        BOARD_API = True

        def __init__(self, id=0, timeout=5000):
            board.wdt_start(timeout / 1000.0)

        def feed(self):
            tick()
            board.wdt_feed()

    machine.WDT = WDT

    micropython = types.ModuleType("micropython")
    micropython.const = lambda x: x
    micropython.alloc_emergency_exception_buf = lambda n: None
    lcd = types.ModuleType("lcd_i2c")

    class I2cLcd(board_lcdlib.I2cLcd):
        BOARD_API = True

        def sleep_ms(self, ms):
            if runner.in_irq:
                runner.irq_busy_s += ms / 1000.0          # a busy wait on the handler's clock
            else:
                sleep_ms(ms)

    lcd.I2cLcd = I2cLcd
    framebuf = types.ModuleType("framebuf")
    for name in ("FrameBuffer", "MONO_VLSB", "MVLSB", "MONO_HLSB", "MONO_HMSB"):
        setattr(framebuf, name, getattr(board_framebuf, name))
    ssd1306 = types.ModuleType("ssd1306")
    ssd1306.SSD1306_I2C = board_framebuf.SSD1306_I2C
    return {"machine": machine, "time": utime, "utime": utime, "micropython": micropython, "math": math,
            "lcd_i2c": lcd, "framebuf": framebuf, "ssd1306": ssd1306}
