"""A dev board's peripherals on the HDL models (``peripherals:`` in its parameters; docs/hdl.md).

``uart0: rtl`` (or an exercise's variant) sends and receives UART0's bytes through the Amaranth UART
co-simulated cycle by cycle; ``gpio: rtl`` runs the LEDs, keys, buzzer and relay pins and the keys'
edge interrupts through the Amaranth GPIO. The board talks to them as its MCU runtime would, through
``hdl.driver`` and a ``Port`` opened with ``hdl.models.open_port`` (both loaded by name: ``devices``
never imports amaranth). A reset drops the ports (a fresh peripheral after each reset).

GPIO: the pins are bits 0-7 of the peripheral (``GPIO_BITS``); DIR is set for the outputs when the port
opens; ``Pin.irq`` sets the pin's IRQ_RISE/IRQ_FALL/IRQ_EN bits; a key edge is driven onto ``pins_i``
and clocked through the input register and edge detector; while ``irq`` is high the runtime reads
IRQ_PEND, writes the bits back to clear them and runs their handlers. A pending bit that is still set
after its handler ran sends the runtime straight back into the interrupt: after ``STORM`` entries in a
row the CPU counts as stuck (``watchdog_s`` later, a ``watchdog`` record and a reset).
"""

from __future__ import annotations

from contextlib import nullcontext
from importlib import import_module

GPIO_BITS = {"LED1": 0, "LED2": 1, "LED3": 2, "LED4": 3, "KEY1": 4, "KEY2": 5, "BUZZER": 6, "RELAY": 7}
GPIO_OUTPUTS = ("LED1", "LED2", "LED3", "LED4", "BUZZER", "RELAY")
STORM = 100
RISING, FALLING = 1, 2


class HdlPeripherals:
    """Mixin for ``devices.board.DevBoard``: UART0 and GPIO on the RTL when the parameters say so (and
    ``_model_of``, which the timers and UARTs ask too)."""

    def _hdl_clear(self) -> None:
        self._uport, self._udiv, self._gport, self._storm = None, 0, None, 0

    def _model_of(self, peripheral: str) -> str:
        return self.p.peripherals.get(peripheral, "behavioural")

    def _open(self, peripheral: str, kind: str):
        model = self._model_of(peripheral)
        return import_module("hdl.models").open_port(kind if model == "rtl" else model, "rtl")

    # -- UART0 --------------------------------------------------------------------------------------------
    def _hdl_uart(self):
        """The RTL UART behind UART0 (opened on first use), with DIVISOR = uart_clock_hz / baud."""
        if self._model_of("uart0") == "behavioural":
            return None
        drv = import_module("hdl.driver")
        if self._uport is None:
            self._uport = self._open("uart0", "uart")
        divisor = max(2, min(0xFFFF, round(self.p.uart_clock_hz / self.baud)))
        if divisor != self._udiv:
            drv.uart_divisor(self._uport, divisor)
            self._udiv = divisor
        return self._uport

    def _uart_rtl(self, data: bytes) -> None:
        """Bytes out through the RTL UART: pushed into its TX FIFO, the TX line decoded at the bit time the
        peripheral really keeps; they go on the wire at that rate (a receiver at the nominal baud hears what a
        wrong bit time does to them)."""
        port, drv = self._hdl_uart(), import_module("hdl.driver")
        try:
            edges = drv.uart_send(port, data, self._udiv)
        except drv.Stuck as exc:
            self.peripheral_stuck("UART0", exc)
            return
        bit = drv.bit_cycles(edges, len(data), port.cycle)
        if bit:
            self.uart_send("uart0", drv.decode_8n1(edges, bit), line=(self.p.uart_clock_hz / bit, "N"))

    def uart_line_in(self, port: str, data: bytes, tx: tuple[int, str]) -> bytes | None:
        """UART0 on an RTL model receives through the RTL: the frames driven onto its RX pin at the sender's
        bit time (in peripheral clocks), the RX FIFO drained after each frame. None: the behavioural line."""
        if port != "uart0" or self._model_of("uart0") == "behavioural":
            return None
        if not self.powered or self.runner is None or not self.runner.alive:
            return b""                         # no firmware running: nobody drains the RX FIFO
        uport = self._hdl_uart()
        bit = max(1, round(self.p.uart_clock_hz / tx[0]))
        drv = import_module("hdl.driver")
        try:
            return drv.uart_receive(uport, data, bit, tx[1])
        except drv.Stuck as exc:
            self.peripheral_stuck("UART0", exc)
            return b""

    def peripheral_stuck(self, name: str, exc: Exception) -> None:
        """The runtime polls a flag that never changes: the CPU hangs (a watchdog reset, as for a loop that
        never sleeps). From the firmware's own call it unwinds the firmware; from the simulation side (a
        frame arriving) the firmware is stopped and the watchdog bites ``watchdog_s`` later."""
        reason = f"stuck polling {name}: {exc}"
        runner = self.runner
        if runner is None:
            return
        if runner.in_firmware_thread():
            runner.stuck(reason)
        self._terminal(runner, ("watchdog", reason))

    # -- GPIO ----------------------------------------------------------------------------------------------
    def _gpio(self):
        """The RTL GPIO (opened on first use: DIR set for the output pins, the keys' levels on pins_i)."""
        if self._model_of("gpio") == "behavioural":
            return None
        if self._gport is None:
            port = self._gport = self._open("gpio", "gpio")
            self._gregs = import_module("hdl.models").REGMAPS["gpio"]
            port.write(self._gaddr("DIR"), sum(1 << GPIO_BITS[n] for n in GPIO_OUTPUTS))
            port.set("pins_i", self._gpio_inputs())
            port.run(3)
        return self._gport

    def _gaddr(self, reg: str) -> int:
        return self._gregs.reg(reg).addr

    def _gpio_inputs(self) -> int:
        return sum(self.levels[k] << GPIO_BITS[k] for k in ("KEY1", "KEY2"))

    def _native(self):
        """Board code run on the firmware's behalf (``Runner.native``): untraced, outside the wall bound."""
        return self.runner.native() if self.runner is not None else nullcontext()

    def gpio_write(self, name: str, level: int) -> int | None:
        """Set an output pin through OUT (read, modify, write); the level the pin then shows (None: no RTL)."""
        if self._model_of("gpio") == "behavioural":
            return None
        with self._native():
            port = self._gpio()
            bit = 1 << GPIO_BITS[name]
            out = port.read(self._gaddr("OUT"))
            port.write(self._gaddr("OUT"), out | bit if level else out & ~bit)
            port.run(1)
            o = port.outputs
        return int(bool(o["pins_o"] & o["pins_oe"] & bit))

    def gpio_read(self, name: str) -> int | None:
        if self._model_of("gpio") == "behavioural":
            return None
        with self._native():
            port = self._gpio()
            if name in GPIO_OUTPUTS:
                return int(bool(port.read(self._gaddr("OUT")) >> GPIO_BITS[name] & 1))
            return port.read(self._gaddr("IN")) >> GPIO_BITS[name] & 1

    def gpio_irq_config(self, name: str, trigger: int) -> None:
        """``Pin.irq``: the pin's IRQ_RISE / IRQ_FALL bits from ``trigger`` and IRQ_EN (0: disabled)."""
        if self._model_of("gpio") == "behavioural" or name not in GPIO_BITS:
            return
        with self._native():
            port = self._gpio()
            bit = 1 << GPIO_BITS[name]
            for reg, on in (("IRQ_RISE", trigger & RISING), ("IRQ_FALL", trigger & FALLING), ("IRQ_EN", trigger)):
                value = port.read(self._gaddr(reg))
                port.write(self._gaddr(reg), value | bit if on else value & ~bit)

    def gpio_key(self) -> bool:
        """A key changed level: drive pins_i, clock the edge through, service the interrupt. False: no RTL."""
        port = self._gpio()
        if port is None:
            return False
        port.set("pins_i", self._gpio_inputs())
        port.run(3)
        self._storm = 0
        self.gpio_service()
        return True

    def gpio_service(self) -> None:
        """While ``irq`` is high: read IRQ_PEND, write it back (clear), run the pending pins' handlers. Called
        again after the handlers ran (``_flush_irqs``), so a bit that will not clear keeps coming back."""
        port = self._gport
        if port is None or not port.outputs or not port.outputs["irq"]:
            self._storm = 0
            return
        self._storm += 1
        if self._storm > STORM:
            pend = port.read(self._gaddr("IRQ_PEND"))
            pins = ", ".join(n for n, b in GPIO_BITS.items() if pend >> b & 1)
            self._storm = 0
            self._terminal(self.runner, ("watchdog", f"interrupt storm: {pins} still pending after its handler "
                                         f"ran {STORM} times in a row; the CPU never leaves the interrupt"))
            return
        pend = port.read(self._gaddr("IRQ_PEND")) & port.read(self._gaddr("IRQ_EN"))
        port.write(self._gaddr("IRQ_PEND"), pend)
        port.run(1)
        for name, b in GPIO_BITS.items():
            irq = self.pin_irqs.get(name) if pend >> b & 1 else None
            if irq is not None:
                irq.last_flags = RISING if self.levels[name] else FALLING
                self.raise_irq(irq)
