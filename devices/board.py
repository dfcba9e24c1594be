"""A microcontroller dev board students program in Python (MicroPython-style API), behavioural model.

On the board: LEDs LED1-LED4, keys KEY1 and KEY2 (to ground, pull-up, with contact bounce), a buzzer and
a relay (its contact is the ``relay`` port, to switch a lamp or a fan). On its headers: analog inputs
A0..A3 (``a0``..``a3``), UART0 (``uart0``, the console), UART1 (``uart1``, to a module), UART2 behind an
RS-485 transceiver (``rs485``, DE/RE on pin RS485_DE; ``devices.board_uarts``) and an I2C master (``i2c``: the
sensor-room I2C parts, an LCD1602 backpack). External interrupts on the pins (rising, falling or both,
with a priority; while interrupts are disabled an event stays pending until enabled again or cleared),
timers (periodic, one-shot), PWM on a pin, a 12-bit ADC (resolution and reference voltage set per board)
and a watchdog (``machine.WDT``; and a stuck CPU, see ``devices.board_runner``).

Firmware: ``firmware:`` in the scenario (a path relative to the scenario file) or a ``flash`` inbox
message while running, which resets the board. Records: ``output`` (a pin's level, a PWM duty),
``input`` (a key press), ``firmware`` (boot, main program ended), ``crash`` (file, line, error),
``watchdog`` (why), ``state`` (reset).
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sim.buses import i2c_transfer, uart_line
from sim.device import Device, DeviceParams
from sim.fault_effects import FirmwareFaults
from sim.ports import bus, input_of, source
from sim.uart import UartPort, text_of, uart_port

from .board_hdl import FALLING, GPIO_BITS, RISING, HdlPeripherals
from .board_machine import make_modules
from .board_uarts import DE_PIN, BoardUarts
from .board_runner import BoardReset, Runner
from .board_sandbox import FirmwareRejected
from .board_timer_rtl import RtlTimers

LEDS = ("LED1", "LED2", "LED3", "LED4")
KEYS = ("KEY1", "KEY2")
PINS = LEDS + KEYS + ("BUZZER", "RELAY", "A0", "A1", "A2", "A3", "RS485_DE")
ANALOG = 4
#: A line the terminal hears with no newline in this many bytes is traced as one (``uart.heard``).
HEARD_MAX = 80
HEARD_IDLE_S = 0.05


class KeyPress(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at_s: float = Field(ge=0, description="when the key is pressed, s after the start")
    key: Literal[KEYS] = Field("KEY1", description="which key")
    hold_ms: float = Field(150.0, gt=0, le=60000, description="how long it is held down, ms")


class DevBoardParams(DeviceParams):
    firmware: str = Field("", description="firmware file to flash at start, relative to the scenario file; "
                          "empty: none", examples=["../firmware/blink.py"])
    clock_mhz: int = Field(72, ge=1, le=600, description="CPU clock, MHz (machine.freq())")
    adc_bits: Literal[8, 10, 12, 16] = Field(12, description="ADC resolution, bits")
    vref_v: float = Field(3.3, gt=0, le=5.5, description="ADC reference voltage: the reading at full scale, V")
    key_bounce_ms: float = Field(5.0, ge=0, le=50, description="how long a key's contacts bounce, ms")
    key_presses: list[KeyPress] = Field(default_factory=list, description="key presses on the timeline")
    watchdog_s: float = Field(1.0, gt=0, le=60, description="watchdog timeout of a stuck CPU, s: firmware "
                              "that runs past line_budget without sleeping resets this long after it started")
    line_budget: int = Field(200_000, ge=1000, le=10_000_000, description="firmware lines run without a sleep "
                             "before the CPU counts as stuck")
    heap_kb: int = Field(96, ge=8, le=4096, description="heap for firmware data, KB (past it: MemoryError)")
    irq_latency_us: float = Field(2.0, ge=0, le=1000, description="interrupt latency: from the edge or timer "
                                  "event to the handler's first line, µs")
    boot_ms: float = Field(50.0, ge=0, le=10000, description="time from a reset to the firmware starting, ms")
    peripherals: dict[Literal["uart0", "gpio", "timer"],
                      Literal["behavioural", "rtl", "uart_baud_bug", "gpio_irq_bug"]] = (
        Field(default_factory=dict, description="per peripheral, the model that runs it: behavioural (default, "
              "fast), rtl (the Amaranth RTL co-simulated cycle by cycle, hdl/) or an HDL exercise's variant of that "
              "peripheral (uart0: uart_baud_bug; gpio: gpio_irq_bug)", examples=[{"uart0": "rtl", "gpio": "rtl", "timer": "rtl"}]))
    timer_clock_hz: int = Field(10_000, ge=1_000, le=100_000_000, description="clock of an RTL timer, Hz (after "
                                "the bus prescaler; each clock is one co-simulated cycle, so a slower clock "
                                "runs faster; periods are whole clocks)")
    uart_clock_hz: int = Field(921_600, ge=10_000, le=600_000_000, description="clock of an RTL UART, Hz: "
                               "DIVISOR = clock / baud (921.6 kHz: 8 clocks a bit at 115200)")
    SUPPLY_RANGE_V: ClassVar = (4.5, 5.5)

    @field_validator("peripherals")
    @classmethod
    def _variant_fits(cls, value: dict) -> dict:
        for periph, model in value.items():
            fits = VARIANT_OF.get(model)
            if fits is not None and fits != periph:
                raise ValueError(f"{periph}: {model} is an exercise variant of {fits}, not of {periph} "
                                 f"(use {{{fits}: {model}}})")
        return value


#: HDL exercise variants and the board peripheral each stands in for.
VARIANT_OF = {"uart_baud_bug": "uart0", "gpio_irq_bug": "gpio"}


class DevBoard(HdlPeripherals, RtlTimers, BoardUarts, FirmwareFaults, UartPort, Device):
    """MCU dev board running student Python firmware: GPIO, keys, interrupts, timers, PWM, ADC, three UARTs (one behind
    an RS-485 transceiver), I2C."""
    FAMILY = "mcu"
    TITLE, TITLE_ZH = "MCU dev board (MicroPython-style firmware)", "单片机开发板 (MicroPython 风格固件)"
    SUPPLY_RANGE_V, CURRENT_MA = (4.5, 5.5), 80.0
    Params = DevBoardParams
    TRACE_FIELDS = ("output", "on", "pwm_duty", "line", "file", "error", "heard")
    FILE_PARAMS = ("firmware",)          # checked by the loader: relative to the scenario file
    COMMANDS = {"press": "key: KEY1 or KEY2, hold_ms: how long (default 150)",
                "reset": "press the reset button"}

    @classmethod
    def port_specs(cls, params):
        ports = {f"a{i}": input_of("analog_v", doc=f"analog input A{i}") for i in range(ANALOG)}
        ports["uart0"] = uart_port("UART0: TX, RX (3.3 V TTL), the firmware's console")
        ports["uart1"] = uart_port("UART1: TX, RX (3.3 V TTL) on the header, for a module's AT commands")
        ports["rs485"] = bus("rs485", "UART2 through the on-board MAX485: A, B (DE/RE on pin RS485_DE)")
        ports["i2c"] = bus("i2c", "I2C master (SDA, SCL)")
        ports["relay"] = source("switched", "on-board relay contact (NO)")
        return ports

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self.source, self.filename = "", ""
        self.runner: Runner | None = None
        self.rearm = False
        self._boot_gen = 0
        self._keys_rng = None
        self._clear()

    def _clear(self) -> None:
        """Everything a reset puts back: pins, interrupts, timers, PWM, UART, watchdog."""
        self.levels = {name: 0 for name in PINS}
        self.levels.update({k: 1 for k in KEYS})
        self.pin_mode: dict[str, int] = {}
        self.pin_irqs: dict = {}
        self.irq_list: list = []
        self.irq_enabled = True
        self._irq_queue: list = []
        self._irq_flush = False
        self.pwm: dict[str, float] = {}
        self._uarts_clear()
        self._rtl_timers_clear()
        self._wdt: list | None = None
        self._reset_reason = ""
        self._hdl_clear()

    # -- life cycle ---------------------------------------------------------------------------------------
    def start(self) -> None:
        self._keys_rng = self.sim.rng(f"{self.id}.keys")
        for press in self.p.key_presses:
            self.sim.env.timeout(press.at_s).callbacks.append(
                lambda _e, p=press: self.press(p.key, p.hold_ms))
        if self.p.firmware:
            base = Path(getattr(self.sim, "scenario_dir", None) or ".")
            path = base / self.p.firmware
            try:
                source = path.read_text(encoding="utf-8")
            except OSError as exc:
                self.emit("crash", file=self.p.firmware, line=None, error=f"cannot read the firmware: "
                          f"{exc.strerror or exc}")
                return
            self.source, self.filename = source, self.p.firmware
            self._boot()
        self.sim.on_close.append(self._halt)

    def flash(self, source: str, name: str = "main.py") -> dict:
        """Load new firmware and reset the board (inbox action ``flash``)."""
        if not isinstance(source, str) or len(source) > 200_000:
            raise ValueError("flash needs source: the firmware's Python text (at most 200,000 characters)")
        self.source, self.filename = source, str(name or "main.py")
        self.emit("input", action="flash", file=self.filename, bytes=len(source.encode()))
        self._reset("flash")
        return {"ok": True, "file": self.filename}

    def _halt(self) -> None:
        if self.runner is not None:
            self.runner.stop()
        self.runner = None

    def _reset(self, cause: str) -> None:
        self._halt()
        for name in LEDS + ("BUZZER", "RELAY", "RS485_DE"):
            self.pin_write(name, 0)
        for name in list(self.pwm):
            self.set_pwm(name, 0, None)
        self._clear()
        self.emit("state", state="reset", cause=cause)
        self._boot_gen += 1
        gen = self._boot_gen
        self.sim.env.timeout(self.p.boot_ms / 1000.0).callbacks.append(
            lambda _e: self._boot() if gen == self._boot_gen and self.powered else None)

    def set_power(self, on: bool) -> None:
        was = self.powered
        super().set_power(on)
        if was and not on:
            self._halt()
            self._boot_gen += 1
            if self.levels.get(DE_PIN):
                self.de_changed(0)             # the transceiver lets go of the bus
            self._clear()
        elif on and not was and self.source:
            self._reset("power on")

    def _boot(self) -> None:
        self._halt()
        if not self.source:
            return
        try:
            runner = Runner(self, self.source, self.filename)
        except FirmwareRejected as exc:
            file, _, rest = str(exc).partition(":")
            line, _, error = rest.partition(": ")
            self.emit("crash", file=file, line=int(line) if line.isdigit() else None, error=error)
            return
        self.runner = runner
        self.emit("firmware", event="boot", file=self.filename)
        self.sim.env.process(self._run(runner))

    def firmware_api(self, runner):
        return _Api(self, make_modules(self, runner))

    def _run(self, runner):
        reply = runner.start()
        while self.runner is runner:
            if reply[0] == "sleep":
                yield self.sim.env.timeout(reply[1])
                while runner.irq_end > self.sim.env.now + 1e-12:     # a handler's bus waits outlast the sleep
                    yield self.sim.env.timeout(runner.irq_end - self.sim.env.now)
                if self.runner is not runner or not runner.alive:
                    return
                reply = runner.handoff(("resume",))
                continue
            if reply[0] == "done":
                self.emit("firmware", event="main_done", file=self.filename)
            else:
                self._terminal(runner, reply)
            return

    def _terminal(self, runner, reply) -> None:
        """What a firmware run ending (or an interrupt handler failing) means for the board."""
        kind = reply[0]
        if kind == "irq_crash":
            self.irq_crash(reply)
        elif kind == "crash":
            _, file, line, error = reply
            self.emit("crash", file=file, line=line, error=error, where="main")
            self.uart_write(f"Traceback (most recent call last):\r\n  File \"{file}\", line {line}, in <module>"
                            f"\r\n{error}\r\n".encode())
            self._halt()
        elif kind == "watchdog":
            self._halt()
            gen = self._boot_gen = self._boot_gen + 1
            reason = reply[1]

            def bite(_e):
                if gen == self._boot_gen:
                    self.emit("watchdog", reason=reason, file=self.filename)
                    self._reset("watchdog")
            self.sim.env.timeout(self.p.watchdog_s).callbacks.append(bite)
        elif kind == "stopped" and self.runner is runner and self._reset_reason:
            self._reset(self._reset_reason)

    def irq_crash(self, reply) -> None:
        _, file, line, error = reply
        self.emit("crash", file=file, line=line, error=error, where="irq")

    def request_reset(self, why: str) -> None:
        """``machine.reset()`` from the firmware thread: unwind it; the simulation side resets the board."""
        self._reset_reason = why
        raise BoardReset()

    def command(self, name, args):
        if name == "press":
            key = args.get("key", "KEY1")
            hold = args.get("hold_ms", 150.0)
            if key not in KEYS or not isinstance(hold, (int, float)) or not 0 < hold <= 60000:
                raise ValueError(f"press needs key (one of {', '.join(KEYS)}) and hold_ms (0-60000)")
            self.press(key, float(hold))
            return {"ok": True}
        if name == "reset":
            self._reset("reset button")
            return {"ok": True}
        return super().command(name, args)

    # -- keys and interrupts -----------------------------------------------------------------------------
    def press(self, key: str, hold_ms: float) -> None:
        """A press: the contacts close with bounce, stay closed ``hold_ms``, and open with bounce."""
        self.emit("input", action="press", key=key, hold_ms=hold_ms)
        env, bounce = self.sim.env, self.p.key_bounce_ms / 1000.0
        for start, final in ((0.0, 0), (hold_ms / 1000.0, 1)):
            times = [start]
            if bounce > 0:
                n = int(self._keys_rng.integers(1, 4)) * 2
                times += sorted(start + float(x) for x in self._keys_rng.uniform(0, bounce, n))
            level = final
            for i, t in enumerate(times):
                level = final if i % 2 == 0 else 1 - final
                env.timeout(t).callbacks.append(lambda _e, lv=level: self._key_level(key, lv))

    def _key_level(self, key: str, level: int) -> None:
        if level == self.levels[key] or not self.powered:
            return
        self.levels[key] = level
        if self.gpio_key():                    # the RTL GPIO sees the edge and raises the interrupt
            return
        irq = self.pin_irqs.get(key)
        edge = RISING if level else FALLING
        if irq is not None and irq.trig & edge:
            irq.last_flags = edge
            self.raise_irq(irq)

    def raise_irq(self, irq) -> None:
        """An interrupt source fired: run its handler (in priority order with others at this instant), or
        leave it pending while interrupts are disabled."""
        if self.runner is None or not self.runner.alive or irq.handler is None:
            return
        if not self.irq_enabled:
            irq.pending_flag = True
            return
        self._irq_queue.append(irq)
        if not self._irq_flush:
            self._irq_flush = True
            self.sim.env.timeout(self.p.irq_latency_us / 1e6).callbacks.append(self._flush_irqs)

    def _flush_irqs(self, _event) -> None:
        self._irq_flush = False
        queue, self._irq_queue = sorted(self._irq_queue, key=lambda i: i.priority), []
        for irq in queue:
            runner = self.runner
            if runner is None or not runner.alive:
                return
            if not self.irq_enabled:
                irq.pending_flag = True
                continue
            reply = runner.handoff(("irq", irq.handler, irq.source))
            if reply[0] != "irq_done":
                if reply[0] == "irq_crash" and irq in self.irq_list:
                    self.irq_list.remove(irq)
                    irq.handler = None
                self._terminal(runner, reply)
        if self.runner is not None and self.runner.alive:
            self.gpio_service()                # an RTL GPIO whose irq is still high runs them again

    def start_timer(self, timer, gen: int, period_s: float, periodic: bool) -> None:
        self.irq_list[:] = [i for i in self.irq_list if getattr(i.source, "key", None) != timer.key]
        self.irq_list.append(timer.irq_entry)
        if self._timer_on_rtl():
            self.rtl_timer_start(timer, gen, period_s, periodic, self.runner)
        else:
            self.sim.env.process(self._timer(timer, gen, period_s, periodic, self.runner))

    def stop_timer(self, timer) -> None:
        """``Timer.deinit`` (the timer's generation has moved on: its process ends at its next wake)."""
        if self._timer_on_rtl():
            self.rtl_timer_stop(timer)

    def _timer(self, timer, gen, period_s, periodic, runner):
        env, t0, k = self.sim.env, self.sim.env.now, 1
        while True:
            yield env.timeout(max(0.0, t0 + k * period_s - env.now))
            if timer.generation != gen or self.runner is not runner:
                return
            self.raise_irq(timer.irq_entry)
            if not periodic:
                return
            k += 1

    # -- pins ----------------------------------------------------------------------------------------------
    def pin_name(self, pin) -> str:
        if isinstance(pin, int) and not isinstance(pin, bool) and 0 <= pin < len(PINS):
            return PINS[pin]
        if isinstance(pin, str) and pin.upper() in PINS:
            return pin.upper()
        raise ValueError(f"no pin {pin!r}; pins: {', '.join(PINS)} (or 0-{len(PINS) - 1})")

    def pin_read(self, name: str) -> int:
        rtl = self.gpio_read(name) if name in GPIO_BITS else None
        return self.levels[name] if rtl is None else rtl

    def pin_write(self, name: str, level: int) -> None:
        if name in KEYS or name.startswith("A"):
            return
        rtl = self.gpio_write(name, level) if name in GPIO_BITS else None
        level = level if rtl is None else rtl
        if self.levels[name] == level:
            return
        if name == DE_PIN:
            self.de_changed(level)
        self.levels[name] = level
        self.emit("output", output=name, on=bool(level))
        if name == "RELAY":
            for link in self.links["relay"]:
                if not link.broken:
                    load, port = link.peer(self)
                    load.on_supply(port, bool(level))

    def set_pwm(self, name: str, freq: int, duty: float | None) -> None:
        if duty is None:
            if self.pwm.pop(name, None) is not None:
                self.emit("output", output=name, pwm_duty=None)
            return
        if self._timer_on_rtl():
            duty, freq = self.rtl_pwm(name, freq, duty)
            freq = round(freq, 3)
        duty = round(duty, 4)
        if self.pwm.get(name) != duty:
            self.pwm[name] = duty
            self.emit("output", output=name, pwm_duty=duty, freq_hz=freq)

    # -- ADC, UART, I2C, watchdog ----------------------------------------------------------------------
    def adc_channel(self, pin) -> int:
        name = pin if isinstance(pin, str) else f"A{pin}"
        if isinstance(name, str) and name.upper() in ("A0", "A1", "A2", "A3"):
            return int(name[1])
        raise ValueError(f"no ADC channel {pin!r}; channels: A0-A3 (or 0-3)")

    def adc_read(self, channel: int) -> int:
        end = self.peer(f"a{channel}")
        volts = 0.0
        if end is not None and self.powered:
            part, port = end
            volts = float(part.output(port)) if hasattr(part, "output") else 0.0
        full = 1 << self.p.adc_bits
        return max(0, min(full - 1, int(volts / self.p.vref_v * full)))

    def _uart_deliver(self, port: str, data: bytes, tx: tuple[int, str], configured: tuple[int, str]) -> None:
        super()._uart_deliver(port, data, tx, configured)
        if port == "uart0" and self.powered:
            self._hear(uart_line(data, tx[0], tx[1], configured[0], configured[1])[0])

    def _hear(self, heard: bytes) -> None:
        """What a terminal at UART0's configured baud decodes, one ``uart.heard`` record a line (``heard``: the
        line without its CR LF). Bytes with no newline after them are a line too once the line has been quiet
        HEARD_IDLE_S, or HEARD_MAX of them have come (garbage seldom holds a newline)."""
        buf = self.__dict__.setdefault("_heard", bytearray())
        for byte in heard:
            if byte == 10 or len(buf) >= HEARD_MAX:
                self._heard_line()
                if byte == 10:
                    continue
            buf.append(byte)
        self._heard_gen = gen = getattr(self, "_heard_gen", 0) + 1
        if buf:
            self.sim.env.timeout(HEARD_IDLE_S).callbacks.append(
                lambda _e: gen == self._heard_gen and self._heard and self._heard_line())

    def _heard_line(self) -> None:
        self.emit("uart.heard", port="uart0", heard=text_of(bytes(self._heard).rstrip(b"\r")))
        self._heard.clear()

    def uart_write(self, data: bytes) -> None:
        if self._model_of("uart0") == "behavioural" or not data:
            self.uart_send("uart0", data)
        else:
            with self.runner.native() if self.runner is not None else nullcontext():
                self._uart_rtl(data)

    def i2c(self, address: int, write: bytes, read: int) -> bytes | None:
        runner = self.runner
        lag = runner.irq_busy_s if runner is not None and runner.in_irq else 0.0
        return i2c_transfer(self, "i2c", int(address), write, read, lag)

    def i2c_scan(self) -> list[int]:
        net = self.nets.get("i2c")
        found = {dev.i2c_address for dev, _ in (net.reachable(self) if net else [])
                 if dev.powered and getattr(dev, "i2c_address", None) is not None}
        return sorted(found)

    def wdt_start(self, timeout_s: float) -> None:
        if self._wdt is None:
            self._wdt = [timeout_s, self.sim.env.now]
            self.sim.env.process(self._watch(self._wdt, self.runner))

    def wdt_feed(self) -> None:
        if self._wdt is not None:
            self._wdt[1] = self.sim.env.now

    def _watch(self, wdt, runner):
        env = self.sim.env
        while True:
            yield env.timeout(max(1e-6, wdt[1] + wdt[0] - env.now))
            if self._wdt is not wdt or self.runner is not runner:
                return
            if env.now >= wdt[1] + wdt[0] - 1e-12:
                self.emit("watchdog", reason="WDT not fed", file=self.filename)
                self._reset("watchdog")
                return


class _Api:
    """What the sandbox hands the firmware: its print (to UART0) and its import."""

    def __init__(self, board: DevBoard, modules: dict) -> None:
        self.board, self.modules = board, modules

    def print(self, *args, sep=" ", end="\n", **_kwargs) -> None:
        text = str(sep).join(str(a) for a in args) + str(end)
        self.board.uart_write(text.replace("\r\n", "\n").replace("\n", "\r\n").encode())

    def import_(self, name, globals=None, locals=None, fromlist=(), level=0):
        module = self.modules.get(name)
        if module is None or level:
            raise ImportError(f"no module named '{name}'")
        return module
