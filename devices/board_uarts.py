"""A dev board's three UARTs and its RS-485 transceiver.

``machine.UART(0)`` is UART0, the console (``uart0``: ``print`` goes there); ``UART(1)`` is the TTL
header ``uart1`` (a Wi-Fi or radio module's AT commands); ``UART(2)`` sits behind the on-board MAX485
transceiver on the ``rs485`` port, its driver enable and receiver enable (DE and /RE, tied together)
on pin ``RS485_DE``, as on the common boards:

- DE high: the transceiver drives the bus (and its receiver is off); a write goes out, at the UART's
  baud, and a slave's reply that arrives while DE is still high is lost (``frame.lost``, reason
  ``receiver off``): firmware must drop DE once the last byte is out (``UART.flush()`` waits for it);
- DE low: the receiver listens and the driver is off: a write reaches nobody (``frame.lost``, reason
  ``driver off``); dropping DE while a frame is still going out cuts it after the last whole byte.

Replies land in UART2's receive buffer (``UART.read``). The bus itself (turnaround, collisions,
termination, swapped A/B) is ``sim.buses.rs485_transaction``.
"""

from __future__ import annotations

from sim.buses import RS485Port, frame_time_s, rs485_transaction

UARTS = {0: "uart0", 1: "uart1", 2: "rs485"}
RX_BUFFER = 1024
DE_PIN = "RS485_DE"
DRIVER_OFF = "driver off: RS485_DE is low, so the transceiver does not drive the bus"


class BoardUarts(RS485Port):
    """Mixin for ``devices.board.DevBoard``."""

    def _uarts_clear(self) -> None:
        self.uart_cfg = {p: (115200, "N") for p in UARTS.values()}
        self.uart_cfg["rs485"] = (9600, "N")
        self.uart_rx = {p: bytearray() for p in UARTS.values()}
        self._rs485_busy = 0.0
        if not hasattr(self, "_de"):                # kept across resets: a frame in flight still needs it
            self._de = [(0.0, 0)]                   # (time, level) changes of RS485_DE

    @property
    def baud(self) -> int:
        return self.uart_cfg["uart0"][0]

    def uart_port_of(self, uart_id) -> str:
        if uart_id not in UARTS:
            raise ValueError(f"UART({uart_id!r}) does not exist; this board has UART0 (console), UART1 (TTL "
                             "header) and UART2 (RS-485, DE on pin RS485_DE)")
        return UARTS[uart_id]

    def uart(self, port: str) -> tuple[int, str]:
        return self.uart_cfg.get(port, (115200, "N"))

    def uart_config(self, port: str, baud: int, parity: str) -> None:
        if port == "uart0" and parity != "N" and self._model_of("uart0") != "behavioural":
            raise ValueError("UART0 runs on the RTL UART (hdl/uart.py), which has no parity: 8N1 only")
        if not 300 <= baud <= 4_000_000:
            raise ValueError(f"UART baudrate {baud}: 300-4000000")
        self.uart_cfg[port] = (baud, parity)

    def uart_receive(self, port: str, data: bytes) -> None:
        rx = self.uart_rx[port]
        rx += data
        del rx[:-RX_BUFFER]

    def uart_out(self, port: str, data: bytes) -> None:
        """``UART(n).write``: UART0 as ``print`` does, UART1 onto its line, UART2 through the transceiver."""
        if port == "uart0":
            self.uart_write(data)
        elif port == "uart1":
            self.uart_send("uart1", data)
        elif data:
            self._rs485_write(data)

    def uart_done_at(self, port: str) -> float:
        """When the last byte written to ``port`` has left the UART (``UART.flush``, ``UART.txdone``)."""
        return self._rs485_busy if port == "rs485" else self.uart_idle_at(port)

    # -- RS-485 ----------------------------------------------------------------------------------------------
    def de_changed(self, level: int) -> None:
        self._de.append((self.sim.env.now, level))
        del self._de[:-64]

    def _de_at(self, t: float) -> int:
        """RS485_DE at ``t`` (after every change made at ``t``)."""
        level = 0
        for when, lv in self._de:
            if when > t:
                break
            level = lv
        return level

    def _rs485_write(self, data: bytes) -> None:
        env = self.sim.env
        if not self._de_at(env.now):
            self.emit("frame.lost", port="rs485", bus="rs485", reason=DRIVER_OFF, data=data.hex(" ").upper())
            return
        baud, parity = self.uart_cfg["rs485"]
        start = max(env.now, self._rs485_busy)
        self._rs485_busy = start + frame_time_s(len(data), baud, parity)
        env.process(self._rs485_frame(data, start, baud, parity, self._boot_gen))

    def _cut(self, data: bytes, start: float, baud: int, parity: str) -> bytes:
        """What of a frame that started at ``start`` (with DE high) went out: all of it, unless DE dropped
        (or the power went) before its last byte was out."""
        char = frame_time_s(1, baud, parity)
        end = start + len(data) * char - 1e-12
        drop = next((t for t, lv in self._de if lv == 0 and start < t < end), None)
        if drop is None:
            return data
        whole = int((drop - start) / char + 1e-9)
        self.emit("frame.lost", port="rs485", bus="rs485", reason=f"cut: RS485_DE dropped after {whole} of "
                  f"{len(data)} bytes", data=data[:whole].hex(" ").upper())         # what did go out
        return data[:whole]

    def _rs485_frame(self, data: bytes, start: float, baud: int, parity: str, gen: int):
        env = self.sim.env
        queued = start > env.now
        if queued:
            yield env.timeout(start - env.now)
        if not self.powered or gen != self._boot_gen:
            why = "the board reset or lost power before the frame went out"
        elif self._de_at(start):
            why = None
        elif queued:
            why = DRIVER_OFF                        # DE was low by the time the frame's turn came
        else:                                       # high at the write, dropped in the same instant
            why = f"cut: RS485_DE dropped after 0 of {len(data)} bytes"
        if why:
            self.emit("frame.lost", port="rs485", bus="rs485", reason=why, data=data.hex(" ").upper())
            return
        reply = yield from rs485_transaction(self.sim, self, "rs485", data, baud, parity, None,
                                             cut=lambda frame: self._cut(frame, start, baud, parity),
                                             deaf=lambda begun, end: self._deaf(begun, end, gen))
        if reply is not None:
            self.uart_receive("rs485", reply)

    def _deaf(self, begun: float, end: float, gen: int) -> str | None:
        """Why the board did not take a reply on the bus from ``begun`` to ``end``, or None."""
        if gen != self._boot_gen or not self.powered:
            return "the board reset (or lost power) before the reply came"
        if self._de_at(begun) or any(lv for t, lv in self._de if begun < t <= end):
            return "receiver off: RS485_DE was high while the reply came (DE and /RE are tied)"
        return None
