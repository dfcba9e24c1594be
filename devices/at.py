"""AT-command modules: line discipline, echo, command forms, replies, prompts, URCs, saved settings.

A module is a device that mixes in ``ATModule`` (before ``Device``), sets ``DIALECT`` and
declares its commands with ``@at_command``::

    class Esp(ATModule, Device):
        DIALECT = Dialect("esp-at", terminator="crlf", busy="busy p...")

        @at_command("+CWMODE", "query")
        def _mode(self, call):
            return f"+CWMODE:{self.nv['mode']}"          # an info line, then OK

        @at_command("+CWMODE", "set")
        def _set_mode(self, call):
            call.count(1, 2)
            mode = call.int(0, 1, 3)                     # out of range: the module's error reply
            self.nv["mode"] = mode                       # state changes only after every check

Line discipline (``Dialect.terminator``): ``"crlf"`` (a line ends at LF; without the CR before it
the line is malformed), ``"cr"`` (ends at CR; an LF after it is ignored, V.250), ``"none"`` (HM-10:
a command is whatever arrived before the line went quiet for ``gap_s``). Echo (``ATE0``/``ATE1``,
built in) repeats command-mode bytes as they arrive. A line not starting with ``AT``, holding
bytes outside printable ASCII, or longer than ``max_line`` gets the error reply of its kind and
changes nothing. Forms: ``AT+X`` exec, ``AT+X?`` query, ``AT+X=...`` set, ``AT+X=?`` test; basic
commands (``ATE0``, ``AT&W``) have their digits as the argument; ``syntax="suffix"`` reads
HM-10 style ``AT+NAMEabc`` (set ``abc``) and ``AT+NAME?``.

A handler gets a ``Call`` and returns None (final ``OK``), an info line or a list of them
(then ``OK``), a ``Reply`` (lines and a final result of its choice, or none), or a generator:
then it runs as a SimPy process (the module is busy: further command lines get
``Dialect.busy`` or wait their turn) and may ``yield`` timeouts, ``self.at.read_data(...)`` for a
``>`` prompt, or ``self.at.transparent(...)`` for a pass-through mode left with ``+++``; its
return value is treated as above. ``raise ATError(kind)`` (or ``ATError(kind, "exact text")``)
answers with the dialect's error for that kind. ``self.at.urc(line)`` sends an unsolicited
line at any time.

Saved settings: ``self.nv`` is the working configuration, ``self.flash`` what survives a power
cycle; ``self.save()`` copies the working values into flash (``AT&W``, ``AT+FLASH``, ``AT+S``, or
every set on modules that write through), ``self.factory()`` restores the defaults
(``AT+RENEW``, ``AT+ORGL``, ``AT+RESTORE``). A module gives its defaults in ``nv_defaults()``.

The parts: ``at_syntax`` (dialects, replies, command forms, parsing), ``at_engine`` (the line
discipline and running commands), ``at_modes`` (``>`` prompts, transparent mode); this module is
the mixin a device takes and the names a module imports.
"""

from __future__ import annotations

from typing import Any, ClassVar, Iterable

from sim.uart import UartPort

from .at_engine import ATEngine
from .at_syntax import FORMS, SILENT, ATError, Call, CommandEntry, Dialect, Reply, at_command, split_args

__all__ = ["FORMS", "SILENT", "ATEngine", "ATError", "ATModule", "Call", "Dialect", "Reply", "at_command",
           "split_args"]


class ATModule(UartPort):
    """A device whose UART port ``AT_PORT`` speaks AT commands (mixed in before ``Device``)."""
    DIALECT: ClassVar[Dialect] = Dialect("v25")
    AT_PORT: ClassVar[str] = "uart"
    AT_TABLE: ClassVar[dict[str, CommandEntry]] = {}

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        table: dict[str, CommandEntry] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                for cmd, forms in getattr(value, "_at", ()):
                    entry = table.setdefault(cmd, CommandEntry(cmd))
                    for form in forms:
                        entry.handlers[form] = name
        cls.AT_TABLE = table

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.flash: dict[str, Any] = dict(self.nv_defaults())
        self.nv: dict[str, Any] = dict(self.flash)
        self.at = ATEngine(self, self.AT_PORT, self.DIALECT)

    # -- what a module provides ----------------------------------------------------------------------
    def nv_defaults(self) -> dict[str, Any]:
        """Factory settings (``echo`` and ``baud`` are read by the framework)."""
        return {"echo": self.DIALECT.echo, "baud": int(getattr(self.p, "baud", 115200))}

    def boot(self):
        """Generator run at power-on (after ``nv`` is reloaded from flash): a banner, say. The module
        takes commands once it returns."""
        return
        yield

    # -- settings ------------------------------------------------------------------------------------
    def save(self, keys: Iterable[str] | None = None) -> None:
        for key in (self.nv if keys is None else keys):
            self.flash[key] = self.nv[key]

    def factory(self) -> None:
        self.flash = dict(self.nv_defaults())
        self.nv = dict(self.flash)

    def int_setting(self, call: Call, key: str, lo: int, hi: int, save: bool = False) -> str | None:
        """The query and set forms of a command that is one integer setting ``nv[key]``: ``AT+NAME?``
        answers ``+NAME:<value>``, ``AT+NAME=<n>`` takes ``lo``..``hi`` (kept in flash too if ``save``)."""
        if call.form == "query":
            return f"{call.name}:{self.nv[key]}"
        call.count(1)
        self.nv[key] = call.int(0, lo, hi)
        if save:
            self.save([key])
        return None

    # -- the UART ----------------------------------------------------------------------------------------
    def uart(self, port: str) -> tuple[int, str]:
        if port == self.AT_PORT:
            return int(self.nv.get("baud", 115200)), str(self.nv.get("parity", "N"))
        return super().uart(port)

    def uart_receive(self, port: str, data: bytes) -> None:
        if port == self.AT_PORT:
            self.at.feed(data)
        else:
            super().uart_receive(port, data)

    # -- life cycle ------------------------------------------------------------------------------------
    def start(self) -> None:
        super().start()
        self.at.power_on()

    def set_power(self, on: bool) -> None:
        was = self.powered
        super().set_power(on)
        if was and not on:
            self.at.power_off()
            self.power_lost()
        elif on and not was:
            self.nv = dict(self.flash)
            self.at.power_on()

    def power_lost(self) -> None:
        """Drop what a power cut takes away (links, sessions); called after the engine stopped."""

    def reboot(self, delay_s: float = 0.0):
        """Restart as at power-on (``AT+RST``): volatile state goes, ``nv`` comes back from flash."""
        env = self.sim.env
        self.at.power_off()
        self.power_lost()

        def again():
            if delay_s > 0:
                yield env.timeout(delay_s)
            if self.powered:
                self.nv = dict(self.flash)
                self.at.power_on()
        env.process(again())

    def restart(self, reply: str, delay_s: float, factory: bool = False) -> Reply:
        """The end of a reset command: ``reply`` goes out at the speed in use, then (``factory``: with the
        defaults restored) the module restarts after ``delay_s``. Returns what the handler returns."""
        self.at.final(reply)
        if factory:
            self.factory()
        self.reboot(delay_s)
        return SILENT

    # -- built-in commands ------------------------------------------------------------------------------
    @at_command("", "exec")
    def _at(self, call):
        return None

    @at_command("E", "exec")
    def _echo(self, call):
        value = call.int(0, 0, 1, default=0)
        self.nv["echo"] = bool(value)
