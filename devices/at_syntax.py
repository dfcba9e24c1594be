"""AT command syntax: the dialect a family of modules frames its talk in, the replies a handler
gives, the command forms and how a command line is parsed into a ``Call`` (see ``devices.at``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

FORMS = ("exec", "query", "set", "test")


class ATError(Exception):
    """Ends a command with the module's error reply. ``kind``: unknown (no such command), syntax
    (a malformed line or form), args (wrong argument count), range (a value out of range or of the
    wrong type), state (not allowed now), busy, noise (bytes that are no text), overlong."""

    def __init__(self, kind: str = "syntax", text: str | None = None) -> None:
        super().__init__(text or kind)
        self.kind, self.text = kind, text


@dataclass(frozen=True)
class Dialect:
    """How one family of modules frames its talk (see the module doc)."""
    name: str
    terminator: str = "crlf"               # "crlf", "cr" or "none"
    syntax: str = "v25"                    # "v25" (AT+X=a,b) or "suffix" (AT+Xab, HM-10 and HC-06)
    info: str = "{}\r\n"                   # an information line
    info_lead: str = ""                    # before a command's first information line (Quectel: CR LF)
    final: str = "\r\n{}\r\n"              # the final result
    urc: str = "\r\n{}\r\n"                # an unsolicited line
    ok: str = "OK"
    error: str = "ERROR"                   # "": the module answers nothing to a bad line
    errors: dict[str, str] = field(default_factory=dict)   # kind -> reply, overriding ``error``
    echo: bool = True                      # echo on after a reset
    max_line: int = 256                    # longest command line, bytes (terminator excluded)
    gap_s: float = 0.05                    # "none": silence that ends a command
    busy: str | None = None                # reply to a line while a command runs (None: it waits)
    case_insensitive: bool = True          # command names in either case
    prompt: str = "> "

    def error_for(self, kind: str) -> str:
        return self.errors.get(kind, self.error)


@dataclass
class Reply:
    """Information lines and a final result (None: no final line)."""
    lines: Iterable[str] = ()
    final: str | None = "OK"


#: A handler's return value meaning "nothing more to say".
SILENT = Reply((), None)


@dataclass
class CommandEntry:
    name: str
    handlers: dict[str, Callable] = field(default_factory=dict)


def at_command(name: str, *forms: str):
    """Declare a method as the handler of ``name`` (``"+CWMODE"``, ``"E"``, ``"&W"``, ``""`` for bare
    ``AT``) in the given forms (default: all four)."""
    forms = forms or FORMS
    bad = [f for f in forms if f not in FORMS]
    if bad:
        raise ValueError(f"unknown AT form(s) {bad}; forms: {FORMS}")

    def mark(fn):
        fn.__dict__.setdefault("_at", []).append((name, forms))
        return fn
    return mark


class Call:
    """One parsed command line, with checks that raise ``ATError`` before anything changes."""

    def __init__(self, name: str, form: str, args: list[str], quoted: list[bool], line: str) -> None:
        self.name, self.form, self.args, self.quoted, self.line = name, form, args, quoted, line

    def __repr__(self) -> str:
        return f"Call({self.line!r})"

    def count(self, lo: int, hi: int | None = None) -> int:
        hi = lo if hi is None else hi
        if not lo <= len(self.args) <= hi:
            raise ATError("args")
        return len(self.args)

    def has(self, i: int) -> bool:
        return i < len(self.args) and self.args[i] != ""

    def int(self, i: int, lo: int | None = None, hi: int | None = None, default: int | None = None,
            allowed: Iterable[int] | None = None, base: int = 10) -> int:
        if not self.has(i):
            if default is not None:
                return default
            raise ATError("args")
        text = self.args[i]
        if self.quoted[i]:
            raise ATError("range")
        try:
            value = int(text, base)
        except ValueError:
            raise ATError("range") from None
        if text.strip() != text or (base == 10 and not text.lstrip("-").isdigit()):
            raise ATError("range")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ATError("range")
        if allowed is not None and value not in set(allowed):
            raise ATError("range")
        return value

    def str(self, i: int, max_len: int | None = None, min_len: int = 0, quoted: bool | None = None,
            default: str | None = None) -> str:
        if i >= len(self.args) or (self.args[i] == "" and not self.quoted[i]):
            if default is not None:
                return default
            raise ATError("args")
        if quoted is not None and self.quoted[i] != quoted:
            raise ATError("syntax")
        value = self.args[i]
        if len(value) < min_len or (max_len is not None and len(value) > max_len):
            raise ATError("range")
        return value

    def choice(self, i: int, options: Iterable[str], default: str | None = None) -> str:
        value = self.str(i, default=default)
        options = list(options)
        if value not in options:
            upper = {o.upper(): o for o in options}
            if value.upper() in upper:
                return upper[value.upper()]
            raise ATError("range")
        return value


def split_args(text: str) -> tuple[list[str], list[bool]] | None:
    """Comma-separated arguments; quoted ones unquoted (``\\"``, ``\\,`` and ``\\\\`` escape, as in
    ESP-AT). None if a quote is left open or text follows a closing quote."""
    args: list[str] = []
    quoted: list[bool] = []
    i, n = 0, len(text)
    while True:
        if i < n and text[i] == '"':
            i += 1
            buf = []
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                buf.append(text[i])
                i += 1
            if i >= n:
                return None
            i += 1
            args.append("".join(buf))
            quoted.append(True)
            if i < n and text[i] != ",":
                return None
        else:
            j = text.find(",", i)
            j = n if j < 0 else j
            piece = text[i:j]
            if '"' in piece:
                return None
            args.append(piece.strip())
            quoted.append(False)
            i = j
        if i >= n:
            return args, quoted
        i += 1          # the comma
        if i >= n:
            args.append("")
            quoted.append(False)
            return args, quoted



def parse_command(text: str, dialect: Dialect, names: Iterable[str]) -> Call:
    """The ``Call`` a command line stands for in ``dialect``; ``names`` are the module's command names
    (the suffix syntax needs them to find where a name ends). Raises ``ATError`` if it is malformed."""
    if text[:2].upper() != "AT":
        raise ATError("syntax")
    rest = text[2:]
    if dialect.syntax == "suffix":
        return _parse_suffix(text, rest, names)
    if rest == "":
        return Call("", "exec", [], [], text)
    if rest[0] in "+%$^":
        i = 1
        while i < len(rest) and (rest[i].isalnum() or rest[i] in "_"):
            i += 1
        name, tail = rest[:i], rest[i:]
        if dialect.case_insensitive:
            name = name.upper()
        if tail == "":
            return Call(name, "exec", [], [], text)
        if tail == "?":
            return Call(name, "query", [], [], text)
        if tail == "=?":
            return Call(name, "test", [], [], text)
        if tail.startswith("="):
            parsed = split_args(tail[1:])
            if parsed is None:
                raise ATError("syntax")
            return Call(name, "set", parsed[0], parsed[1], text)
        raise ATError("syntax")
    name = rest[:2] if rest[0] == "&" else rest[0]
    if dialect.case_insensitive:
        name = name.upper()
    tail = rest[len(name):]
    if tail.endswith("?"):
        return Call(name, "query", [], [], text)
    return Call(name, "exec", [tail] if tail else [], [False] if tail else [], text)


def _parse_suffix(text: str, rest: str, names: Iterable[str]) -> Call:
    if rest == "":
        return Call("", "exec", [], [], text)
    found = sorted((n for n in names if n and rest.startswith(n)), key=len, reverse=True)
    if not found:
        raise ATError("unknown")
    name = found[0]
    tail = rest[len(name):]
    if tail == "":
        return Call(name, "exec", [], [], text)
    if tail == "?":
        return Call(name, "query", [], [], text)
    return Call(name, "set", [tail], [False], text)
