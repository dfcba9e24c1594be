"""The command interpreter of one AT port: output, power, the line discipline, running commands and
their replies (see ``devices.at``)."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, Callable

import simpy

from sim.uart import text_of

from .at_modes import DataModes
from .at_syntax import ATError, Call, Dialect, Reply, parse_command

if TYPE_CHECKING:
    from .at import ATModule


class ATEngine(DataModes):
    """The command interpreter of one AT port (see the module doc)."""

    def __init__(self, device: ATModule, port: str, dialect: Dialect) -> None:
        self.dev, self.port, self.d = device, port, dialect
        self.buf = bytearray()
        self.overflow = False
        self.mode = "off"              # off, booting, command, data, transparent
        self.busy = False
        self.queued: list[bytes] = []
        self._proc: simpy.Process | None = None
        self._boot: simpy.Process | None = None
        self._last_rx = -1e9
        self._gap_token = 0
        self._data: dict[str, Any] | None = None
        self._trans: dict[str, Any] | None = None
        self._prev_cr = False
        self.last_cmd = ""
        self._background: list[simpy.Process] = []
        self._held = bytearray()

    # -- output -------------------------------------------------------------------------------------
    def send(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode("latin-1", "replace")
        if self.mode != "off" and data:
            self.dev.uart_send(self.port, data)

    def info(self, *lines: str) -> None:
        if lines:
            self.send(self.d.info_lead + "".join(self.d.info.format(line) for line in lines))

    def final(self, text: str | None) -> None:
        if text:
            self.send(self.d.final.format(text))

    def urc(self, line: str) -> None:
        self.send(self.d.urc.format(line))

    def error(self, kind: str = "syntax", text: str | None = None) -> str:
        reply = text if text is not None else self.d.error_for(kind)
        self.final(reply)
        return reply

    # -- power ---------------------------------------------------------------------------------------
    def power_on(self) -> None:
        self._reset_state()
        self.mode = "booting"
        boot = self.dev.boot()
        if inspect.isgenerator(boot):
            self._boot = self.dev.sim.env.process(self._guard(boot, self._booted))
        else:
            self._booted(None)

    def _booted(self, _value) -> None:
        if self.mode == "booting":
            self.mode = "command"

    def power_off(self) -> None:
        for proc in (self._proc, self._boot, *self._background):
            if proc is not None and proc.is_alive:
                proc.interrupt("power")
        self._background = []
        self._reset_state()
        self.mode = "off"

    def _reset_state(self) -> None:
        self.buf.clear()
        self.overflow = False
        self.busy = False
        self.queued.clear()
        self._proc = self._boot = None
        self._data = self._trans = None
        self._gap_token += 1
        self._prev_cr = False
        self._held = bytearray()

    # -- input ----------------------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        now = self.dev.sim.env.now
        gap = now - self._last_rx
        self._last_rx = now
        if self.mode in ("off", "booting"):
            return
        if self.mode == "data":
            self._feed_data(data)
            return
        if self.mode == "transparent":
            self._feed_transparent(data, gap)
            return
        if self.dev.nv.get("echo"):
            self.send(data)
        if self.d.terminator == "none":
            self._feed_gap(data)
            return
        for byte in data:
            self._feed_byte(byte)

    def _feed_byte(self, byte: int) -> None:
        d = self.d
        if d.terminator == "cr":
            if byte == 0x0A and self._prev_cr:
                self._prev_cr = False
                return
            self._prev_cr = byte == 0x0D
            if byte == 0x0D:
                self._line_done(bytes(self.buf), False)
                return
        elif byte == 0x0A:
            malformed = not (self.buf and self.buf[-1] == 0x0D)
            line = bytes(self.buf[:-1] if not malformed else self.buf)
            self._line_done(line, malformed)
            return
        if len(self.buf) >= d.max_line + (1 if d.terminator == "crlf" else 0):
            self.overflow = True
            return
        self.buf.append(byte)

    def _feed_gap(self, data: bytes) -> None:
        room = self.d.max_line - len(self.buf)
        if len(data) > room:
            self.overflow = True
        self.buf += data[:max(0, room)]
        self._gap_token += 1
        token = self._gap_token
        event = self.dev.sim.env.timeout(self.d.gap_s)
        event.callbacks.append(lambda _e: self._gap_over(token))

    def _gap_over(self, token: int) -> None:
        if token == self._gap_token and self.mode == "command":
            self._line_done(bytes(self.buf), False)

    def _line_done(self, line: bytes, malformed: bool) -> None:
        overflow, self.overflow = self.overflow, False
        self.buf.clear()
        if not line and not overflow and not malformed:
            return                                    # an empty line: V.250 ignores it
        if self.busy:
            if self.d.busy is not None:
                self.send(self.d.info.format(self.d.busy))
            else:
                self.queued.append(line)
            return
        if overflow:
            self._finish(text_of(line[:40]) + "...", self.error("overlong"))
        elif malformed:
            self._finish(text_of(line), self.error("syntax"))
        else:
            self.execute(line)

    # -- commands ---------------------------------------------------------------------------------------
    def execute(self, line: bytes) -> None:
        cmd = text_of(line)
        if any(b < 0x20 or b > 0x7E for b in line):
            self._finish(cmd, self.error("noise"))
            return
        text = line.decode("ascii")
        try:
            call = parse_command(text, self.d, self.dev.AT_TABLE)
            handler = self._handler(call)
        except ATError as exc:
            self._finish(cmd, self.error(exc.kind, exc.text))
            return
        self.last_cmd = cmd
        self._run(cmd, handler, call)

    def _handler(self, call: Call) -> Callable:
        entry = self.dev.AT_TABLE.get(call.name)
        if entry is None:
            raise ATError("unknown")
        method = entry.handlers.get(call.form)
        if method is None:
            raise ATError("unknown" if not entry.handlers else "syntax")
        return getattr(self.dev, method)

    def _run(self, cmd: str, handler: Callable, call: Call) -> None:
        try:
            result = handler(call)
        except ATError as exc:
            self._finish(cmd, self.error(exc.kind, exc.text))
            return
        except Exception as exc:   # a model bug must not take the lab down: the module says ERROR
            self._model_bug(cmd, exc)
            self._finish(cmd, self.error("syntax"))
            return
        if inspect.isgenerator(result):
            self.busy = True
            self._proc = self.dev.sim.env.process(self._guard(result, lambda value: self._done(cmd, value)))
            return
        self._done(cmd, result)

    def _guard(self, gen, then: Callable[[Any], None]):
        """Run a handler's generator; ATError ends it with the error reply, a power cut silently."""
        try:
            value = yield from gen
        except simpy.Interrupt:
            return
        except ATError as exc:
            self._abort(exc.kind, exc.text)
            return
        except Exception as exc:   # as in _run
            self._model_bug(self.last_cmd, exc)
            self._abort("syntax")
            return
        then(value)

    def _abort(self, kind: str, text: str | None = None) -> None:
        """End the running command with an error reply (unless the power is off)."""
        if self.mode != "off":
            self._leave_modes()
            self.busy = False
            self._finish(self.last_cmd, self.error(kind, text))
            self._drain_queue()

    def _model_bug(self, cmd: str, exc: Exception) -> None:
        self.dev.emit("at.error", port=self.port, cmd=cmd, error=f"{type(exc).__name__}: {exc}")

    def _leave_modes(self) -> None:
        if self.mode in ("data", "transparent"):
            self.mode = "command"
        self._data = self._trans = None

    def _done(self, cmd: str, result: Any) -> None:
        self.busy = False
        self._proc = None
        if result is None:
            reply = Reply()
        elif isinstance(result, str):
            reply = Reply([result])
        elif isinstance(result, Reply):
            reply = result
        else:
            reply = Reply(list(result))
        self.info(*reply.lines)
        self.final(reply.final)
        self._finish(cmd, reply.final)
        self._drain_queue()
        if self._held and self.mode == "command" and not self.busy:
            held, self._held = bytes(self._held), bytearray()
            self.feed(held)

    def _finish(self, cmd: str, result: str | None) -> None:
        self.dev.emit("at.cmd", port=self.port, cmd=cmd, result=result or "")

    def _drain_queue(self) -> None:
        while self.queued and not self.busy and self.mode == "command":
            self.execute(self.queued.pop(0))

    def spawn(self, gen) -> None:
        """Run ``gen`` (a generator) in the background, the module free for commands meanwhile: for work a
        command goes on with after its final result (a URC later). A model error there is traced."""
        if self.mode == "off":
            return

        def guarded():
            try:
                yield from gen
            except simpy.Interrupt:
                return
            except Exception as exc:   # a model bug must not take the lab down
                self._model_bug(self.last_cmd, exc)
        proc = self.dev.sim.env.process(guarded())
        self._background.append(proc)
        self._background = [p for p in self._background if p.is_alive]

