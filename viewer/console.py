"""A serial console in the dock: a USB-TTL adapter on one UART of a device, with a scrolling screen
of what the module sends and a line to type into it (one tab per UART, several at once).

The console reaches the lab only through its inbox, as a pseudo-terminal or a TCP terminal does:
opening posts ``uart.open`` (the simulation plugs an adapter into the port, following the port's
speed, and hands it back in the reply), every line or key sent posts ``uart.input`` with its bytes,
closing posts ``uart.close``. The viewer advances the clock from this same thread, so it could call
the adapter directly between two advances; it does not: the console's bytes then enter the lab
exactly as a terminal's do (at the simulated time the inbox is applied, traced as ``frame.rx``
with ``via: viewer``, a refusal answered rather than raised into the viewer), and the viewer
keeps to the scene, the trace and the inbox (it never holds a device).

What the module sends reaches the adapter's callback inside the simulation; the callback only
appends the bytes to a bounded queue and cannot raise, and the viewer decodes them when it draws
(latin-1; CR, LF and CR LF end a line; other control bytes and C1 codes show as ``\\xNN``). An
adapter that only listens adds no record, no random draw and no event, so a run with a console
open and nothing typed has the same trace as one without.
"""

from __future__ import annotations

import collections
from typing import Callable

import pygame

from sim.uart import CLOSE, INPUT, OPEN

from . import dock, style
from .widgets import TextField, button, fit_button

#: Line endings Enter can add: (name, bytes, label). HM-10 modules take commands with none.
EOLS = (("crlf", b"\r\n", "CR LF"), ("cr", b"\r", "CR"), ("lf", b"\n", "LF"), ("none", b"", ""))
CTRL_Z, ESC = b"\x1a", b"\x1b"
MAX_LINES = 2000            # lines kept on the screen
MAX_LINE = 4000             # characters before a line that never ends is broken
MAX_CHUNKS = 8192           # chunks heard and not yet drawn (a viewer that stopped drawing loses the oldest)
MAX_TYPED = 1024
HISTORY = 50
SCREEN = (28, 31, 38)
SCREEN_TEXT = (222, 226, 232)
SCREEN_DIM = (130, 138, 150)


def uart_ports(dev) -> list[str]:
    """The UART ports of a scene device (``form: uart``)."""
    return [port for port, form in dev.ports.items() if form == "uart"]


def shown(data: bytes) -> str:
    """Bytes as the screen shows them, without line ends: latin-1, tab as spaces, other control
    bytes and C1 codes as ``\\xNN``."""
    out = []
    for b in data:
        if 32 <= b < 127 or b >= 0xA0:
            out.append(chr(b))
        elif b == 9:
            out.append("    ")
        else:
            out.append(f"\\x{b:02x}")
    return "".join(out)


def encode(text: str) -> bytes:
    """Typed text as bytes for the line: latin-1 where it fits (what the screen decodes), UTF-8 else."""
    return b"".join(bytes((ord(c),)) if ord(c) < 256 else c.encode("utf-8") for c in text)


class Console:
    """One terminal on ``device.port``. ``finished()`` says the run has ended (nothing more can be sent);
    ``note(text)`` shows a refusal in the viewer's status line; ``words`` are the viewer's."""

    def __init__(self, sim, device: str, port: str, label: str, finished: Callable[[], bool],
                 note: Callable[[str], None], words: Callable[[str], str] = str) -> None:
        self.sim, self.device, self.port, self.label = sim, device, port, label
        self.key = f"{device}.{port}"
        self.finished, self.note, self.words = finished, note, words
        self.lines: collections.deque[str] = collections.deque(maxlen=MAX_LINES)
        self.partial = ""
        self._after_cr = False
        self._heard: collections.deque[bytes] = collections.deque(maxlen=MAX_CHUNKS)
        self.adapter = None
        self.pending = bytearray()           # typed before the lab had plugged the adapter in
        self.error = ""
        self.closed = False
        self.eol = "crlf"
        self.scroll = 0                      # lines scrolled back from the newest
        self.history: list[str] = []
        self.bytes_in = self.bytes_out = 0
        self.field = ConsoleInput(self)
        sim.post(device, OPEN, {"port": port, "on_output": self._hear, "via": "viewer"}, reply=self._opened)

    # -- in the simulation's callbacks: never raise ----------------------------------------------------
    def _hear(self, data: bytes) -> None:
        try:
            if not self.closed:
                self._heard.append(bytes(data))
        except Exception:
            pass

    def _opened(self, result) -> None:
        try:
            adapter = result.get("adapter") if isinstance(result, dict) else None
            if adapter is None:
                self.error = str(result.get("error") if isinstance(result, dict) else result) or "refused"
                return
            if self.closed:                  # the tab was closed before the lab plugged it in
                self.sim.post(self.device, CLOSE, {"adapter": adapter})
                return
            self.adapter = adapter
            if self.pending:
                data, self.pending = bytes(self.pending), bytearray()
                self._post(data)
        except Exception:
            pass

    def _answered(self, result) -> None:
        try:
            if isinstance(result, dict) and not result.get("ok", True):
                self.error = str(result.get("error") or "refused")
        except Exception:
            pass

    # -- sending ------------------------------------------------------------------------------------------
    @property
    def eol_bytes(self) -> bytes:
        return next(data for name, data, _ in EOLS if name == self.eol)

    @property
    def eol_label(self) -> str:
        return next(label for name, _, label in EOLS if name == self.eol)

    def cycle_eol(self) -> None:
        names = [name for name, _, _ in EOLS]
        self.eol = names[(names.index(self.eol) + 1) % len(names)]

    def send(self, data: bytes) -> bool:
        """Put ``data`` on the module's RX (through the inbox); False if it cannot go."""
        if self.closed or not data:
            return False
        if self.finished():
            self.note(f"{self.label}: {self.words('run_ended')}")
            return False
        if self.adapter is None:
            if self.error:
                self.note(f"{self.label}: {self.error}")
                return False
            self.pending += data
            return True
        self._post(bytes(data))
        return True

    def _post(self, data: bytes) -> None:
        self.bytes_out += len(data)
        self.scroll = 0
        self.sim.post(self.device, INPUT, {"adapter": self.adapter, "data": data}, reply=self._answered)

    def line(self, text: str) -> bool:
        """Enter: the typed line and the chosen line ending."""
        if text and (not self.history or self.history[-1] != text):
            self.history.append(text)
            del self.history[:-HISTORY]
        return self.send(encode(text) + self.eol_bytes)

    def now(self, text: str, byte: bytes) -> bool:
        """Ctrl+Z or Esc: what is typed and the key's byte, at once (the end or the cancel of a ``>`` prompt)."""
        return self.send(encode(text) + byte)

    def close(self) -> None:
        """Unplug (through the inbox); the screen takes nothing more."""
        if self.closed:
            return
        self.closed = True
        self._heard.clear()
        if self.adapter is not None:
            self.sim.post(self.device, CLOSE, {"adapter": self.adapter})
            self.adapter = None

    # -- the screen -----------------------------------------------------------------------------------------
    def take(self) -> None:
        """Decode what arrived since the last call."""
        heard = self._heard
        while heard:
            self.feed(heard.popleft())

    def feed(self, data: bytes) -> None:
        self.bytes_in += len(data)
        start = 0
        for i, b in enumerate(data):
            if b != 0x0D and b != 0x0A:
                continue
            self._add(data[start:i])
            start = i + 1
            if b == 0x0D:
                self._break()
                self._after_cr = True
            else:
                if not self._after_cr:           # LF alone ends a line; after CR it completes CR LF
                    self._break()
                self._after_cr = False
        self._add(data[start:])

    def _add(self, chunk: bytes) -> None:
        if not chunk:
            return
        self._after_cr = False
        self.partial += shown(chunk)
        while len(self.partial) > MAX_LINE:
            self.lines.append(self.partial[:MAX_LINE])
            self.partial = self.partial[MAX_LINE:]
            if self.scroll:
                self.scroll += 1

    def _break(self) -> None:
        self.lines.append(self.partial)
        self.partial = ""
        if self.scroll:
            self.scroll += 1                      # scrolled back: the text stays where it is

    def text(self) -> str:
        """Everything on the screen, one line per line (for tests and scripts)."""
        self.take()
        return "\n".join([*self.lines, self.partial])

    def clear(self) -> None:
        self.take()
        self.lines.clear()
        self.partial = ""
        self.scroll = 0

    def scroll_by(self, lines: int) -> None:
        total = len(self.lines) + (1 if self.partial else 0)
        self.scroll = max(0, min(self.scroll + lines, total - 1))

    def rows(self, columns: int, count: int) -> list[str]:
        """The last ``count`` screen rows (lines wrapped at ``columns``) above the scroll position."""
        columns = max(8, columns)
        lines = list(self.lines)
        if self.partial:
            lines.append(self.partial)
        end = len(lines) - self.scroll
        out: list[str] = []
        i = end - 1
        while i >= 0 and len(out) < count:
            text = lines[i]
            pieces = [text[j:j + columns] for j in range(0, len(text), columns)] or [""]
            out[:0] = pieces
            i -= 1
        return out[-count:] if count > 0 else []


class ConsoleInput(TextField):
    """The console's line: it keeps the keyboard after Enter (a click elsewhere gives it back)."""

    def __init__(self, console: Console) -> None:
        super().__init__(f"console:{console.key}", "", console.line)
        self.console = console
        self._recall: int | None = None

    def key(self, event) -> bool:
        con, k = self.console, event.key
        ctrl = bool(getattr(event, "mod", 0) & pygame.KMOD_CTRL)
        if k in (pygame.K_RETURN, pygame.K_KP_ENTER):
            if con.line(self.text):
                self.text = ""
            self._recall = None
        elif k == pygame.K_ESCAPE or getattr(event, "unicode", "") == "\x1b":
            if con.now(self.text, ESC):
                self.text = ""
        elif (k == pygame.K_z and ctrl) or getattr(event, "unicode", "") == "\x1a":
            if con.now(self.text, CTRL_Z):
                self.text = ""
        elif k == pygame.K_BACKSPACE:
            self.text = self.text[:-1]
        elif k in (pygame.K_UP, pygame.K_DOWN) and con.history:
            last = len(con.history)
            at = last if self._recall is None else self._recall
            at = max(0, at - 1) if k == pygame.K_UP else min(last, at + 1)
            self._recall = at
            self.text = con.history[at] if at < last else ""
        elif k == pygame.K_PAGEUP:
            con.scroll_by(5)
        elif k == pygame.K_PAGEDOWN:
            con.scroll_by(-5)
        return False

    def type(self, text: str) -> None:
        self.text = (self.text + text)[:MAX_TYPED]


# -- the dock tab ------------------------------------------------------------------------------------------------
def draw(v, rect: pygame.Rect) -> None:
    target, fonts, words, spots = v.surface, v.fonts, v.words, v.hotspots
    con = v.consoles.get(v.dock_tab.partition(":")[2])
    target.fill(style.PANEL, rect)
    pygame.draw.line(target, style.PANEL_EDGE, rect.topleft, rect.topright)
    x = dock.tabs(v, rect)
    if con is None:
        return
    con.take()
    line = fonts.line_height("small") + 2
    y = rect.y + 5
    eol = con.eol_label or words("none")
    text = f"{words('line_end')}: {eol}"
    x = button(target, fonts, spots, fit_button(fonts, text, x, y, line, pad=6), text, f"console.eol:{con.key}",
               con.cycle_eol).right + 4
    x = button(target, fonts, spots, fit_button(fonts, words("clear"), x, y, line, pad=6), words("clear"),
               f"console.clear:{con.key}", con.clear).right + 10
    status, colour = "", style.TEXT_DIM
    if con.error:
        status, colour = f"{words('console_error')}: {con.error}", style.FAULT
    elif v.controls.finished:
        status = words("run_ended")
    elif con.scroll:
        status = f"-{con.scroll}"
    if status:
        image = fonts.text(status, "small", colour, bold=True)
        target.blit(image, (x, y + 1), (0, 0, max(0, rect.right - x - 8), line))

    mono_h = fonts.line_height("mono")
    char_w = max(1, fonts.size("M", "mono")[0])
    input_h = mono_h + 8
    top = y + line + 6
    area = pygame.Rect(rect.x + 6, top, rect.width - 12, max(mono_h, rect.bottom - top - input_h - 10))
    pygame.draw.rect(target, SCREEN, area)
    spots.add(area, f"console.screen:{con.key}", lambda: v.focus_console(con.key))
    count = max(1, (area.height - 6) // mono_h)
    rows = con.rows((area.width - 10) // char_w, count)
    ty = area.bottom - 3 - len(rows) * mono_h
    for row in rows:
        if row:
            target.blit(fonts.text(row, "mono", SCREEN_TEXT), (area.x + 5, ty))
        ty += mono_h

    box = pygame.Rect(area.x, area.bottom + 4, area.width, input_h)
    focused = v.text_field is con.field
    pygame.draw.rect(target, (255, 255, 255), box)
    pygame.draw.rect(target, style.HILITE if focused else style.PANEL_EDGE, box, 2 if focused else 1)
    spots.add(box, f"console.input:{con.key}", lambda: v.focus_console(con.key))
    prompt = fonts.text("> ", "mono", style.HILITE, bold=True)
    target.blit(prompt, (box.x + 4, box.y + 4))
    tx = box.x + 4 + prompt.get_width()
    typed = con.field.text
    hint = words("console_typing" if focused else "console_hint").format(eol=eol)
    if typed or focused:
        image = fonts.text(shown(encode(typed)) + ("|" if focused else ""), "mono", style.TEXT)
        room = box.right - tx - 6
        target.blit(image, (tx, box.y + 4), (max(0, image.get_width() - room), 0, room, box.height))
        if not typed:
            hint_image = fonts.text(hint, "small", style.TEXT_DIM)
            target.blit(hint_image, (tx + image.get_width() + 12, box.y + 4),
                        (0, 0, max(0, box.right - tx - image.get_width() - 18), box.height))
    else:
        image = fonts.text(hint, "small", style.TEXT_DIM)
        target.blit(image, (tx, box.y + 4), (0, 0, max(0, box.right - tx - 6), box.height))
