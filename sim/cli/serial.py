"""``iotlab serial LAB_OR_PORT [DEVICE]``: a line-mode terminal on a UART a running lab exposes on TCP.

On a terminal: type a line and Enter sends it with the chosen line ending; what the module sends
(replies, URCs) shows as it arrives, above the line being typed. Ctrl+Z and Esc are sent at once
(the end or the cancel of a ``>`` prompt's data); Ctrl+] (or Ctrl+C) quits. With input from a pipe
or a file, each line is sent in turn and the terminal listens ``--wait`` seconds after the last.
"""

from __future__ import annotations

import os
import select
import socket
import sys
import threading
import time

from .common import EXIT_OK, EXIT_USAGE

EOLS = {"crlf": b"\r\n", "cr": b"\r", "lf": b"\n", "none": b""}
QUIT = (0x1D, 0x03)        # Ctrl+], Ctrl+C
SEND_NOW = (0x1A, 0x1B)    # Ctrl+Z, Esc


def _address(args) -> tuple[str, int] | str:
    target = args.target
    host, sep, port = target.rpartition(":")
    if not sep:
        host, port = "127.0.0.1", target
    if port.isdigit():
        if args.device:
            return f"give either a TCP port or a lab id and a device, not {target} {args.device}"
        return host or "127.0.0.1", int(port)
    from ..serial_port import lookup
    uarts = lookup(target)
    if uarts is None:
        return (f"no lab {target!r} with exposed UARTs is running here; start it with "
                f"`iotlab run {target} --speed 1 --serial DEV=tcp`, or give the TCP port it printed")
    with_tcp = {name: where["tcp"] for name, where in uarts.items() if "tcp" in where}
    if not with_tcp:
        return f"lab {target!r} exposes no UART on TCP (only pseudo-terminals); run it with --serial DEV=tcp"
    if not args.device:
        if len(with_tcp) == 1:
            return "127.0.0.1", next(iter(with_tcp.values()))
        return f"lab {target!r} exposes several UARTs; say which: {', '.join(with_tcp)}"
    if args.device not in with_tcp:
        return f"lab {target!r} exposes no UART {args.device!r} on TCP; it exposes: {', '.join(with_tcp) or 'none'}"
    return "127.0.0.1", with_tcp[args.device]


def render(data: bytes, as_hex: bool = False) -> str:
    """What arrived, for the screen: CR LF as a new line, other control bytes and non-ASCII as <XX>."""
    if as_hex:
        return data.hex(" ").upper() + " "
    out = []
    for b in data:
        if b == 0x0A:
            out.append("\n")
        elif b == 0x0D:
            continue
        elif 32 <= b < 127 or b == 9:
            out.append(chr(b))
        else:
            out.append(f"<{b:02X}>")
    return "".join(out)


class _Screen:
    """Writes what arrives above the line being typed."""

    def __init__(self, as_hex: bool) -> None:
        self.as_hex = as_hex
        self.typed = bytearray()
        self.lock = threading.Lock()
        self.at_line_start = True
        self.heard = bytearray()               # what came since the last line was sent (piped mode)
        self.arrived = threading.Condition()

    def incoming(self, data: bytes) -> None:
        text = render(data, self.as_hex)
        with self.arrived:
            self.heard += data
            self.arrived.notify_all()
        with self.lock:
            if self.typed:
                sys.stdout.write("\r\x1b[K")
            sys.stdout.write(text.replace("\n", "\r\n") if _Term.active else text)
            if text:
                self.at_line_start = text.endswith("\n")
            if self.typed:
                if not self.at_line_start:
                    sys.stdout.write("\r\n")
                    self.at_line_start = True
                sys.stdout.write(self.typed.decode("latin-1"))
            sys.stdout.flush()

    def echo(self, text: str) -> None:
        with self.lock:
            sys.stdout.write(text)
            sys.stdout.flush()


class _Term:
    """Raw keyboard on a tty (so Ctrl+] and Ctrl+Z arrive at once), restored on exit."""
    active = False

    def __enter__(self):
        import termios
        import tty
        self.fd = sys.stdin.fileno()
        self.saved = termios.tcgetattr(self.fd)
        tty.setraw(self.fd, termios.TCSANOW)            # keys typed already are kept
        _Term.active = True
        return self

    def __exit__(self, *exc):
        import termios
        termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)
        _Term.active = False
        return False


def _reader(sock: socket.socket, screen: _Screen, closed: threading.Event) -> None:
    while True:
        try:
            data = sock.recv(4096)
        except OSError:
            data = b""
        if not data:
            closed.set()
            return
        screen.incoming(data)


def main(args) -> int:
    where = _address(args)
    if isinstance(where, str):
        print(f"iotlab serial: {where}", file=sys.stderr)
        return EXIT_USAGE
    host, port = where
    try:
        sock = socket.create_connection((host, port), timeout=3)
    except OSError as exc:
        print(f"iotlab serial: cannot connect to {host}:{port}: {exc.strerror or exc}; is the lab running with "
              f"--serial DEV=tcp:{port}?", file=sys.stderr)
        return EXIT_USAGE
    sock.settimeout(None)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    eol = EOLS[args.eol]
    screen = _Screen(args.hex)
    closed = threading.Event()
    threading.Thread(target=_reader, args=(sock, screen, closed), daemon=True).start()
    try:
        if sys.stdin.isatty():
            with _Term():
                sys.stderr.write(f"connected to {host}:{port}; Enter sends the line + {args.eol.upper()}, Ctrl+Z and "
                                 "Esc go at once, Ctrl+] quits\r\n")
                sys.stderr.flush()
                _interactive(sock, screen, eol, closed)
        else:
            _piped(sock, screen, eol, closed, args.wait, args.line_wait)
    finally:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()
    if closed.is_set() and sys.stdin.isatty():
        print("\r\nthe lab closed the connection", file=sys.stderr)
    return EXIT_OK


def _interactive(sock, screen: _Screen, eol: bytes, closed: threading.Event) -> None:
    fd = sys.stdin.fileno()
    while not closed.is_set():
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        keys = os.read(fd, 1024)
        if not keys:
            return
        for key in keys:
            if key in QUIT:
                screen.echo("\r\n")
                return
            if key in SEND_NOW:
                sock.sendall(bytes(screen.typed) + bytes([key]))
                with screen.lock:
                    screen.typed.clear()
                screen.echo("\r\x1b[K")
            elif key in (0x0D, 0x0A):
                line = bytes(screen.typed)
                with screen.lock:
                    screen.typed.clear()
                screen.echo("\r\x1b[K")            # the module's echo (ATE1) shows what was sent
                sock.sendall(line + eol)
            elif key in (0x7F, 0x08):
                if screen.typed:
                    with screen.lock:
                        screen.typed.pop()
                    screen.echo("\b \b")
            elif 32 <= key < 127:
                with screen.lock:
                    screen.typed.append(key)
                screen.echo(chr(key))


#: What ends a command's answer: a final result, or a prompt for data. A piped line waits for one.
FINALS = (b"OK", b"ERROR", b"FAIL", b">", b"SEND OK", b"SEND FAIL", b"+CME ERROR", b"+CMS ERROR", b"OK+")


def _finished(heard: bytes) -> bool:
    if heard.rstrip().endswith(b">"):
        return True
    return any(line.strip().startswith(final) for line in heard.splitlines() for final in FINALS)


def _piped(sock, screen: "_Screen", eol: bytes, closed: threading.Event, wait_s: float, line_s: float) -> None:
    """Send each line of the input in turn, each after the module has finished answering the one before
    (a final result or a prompt, or ``line_s`` wall seconds): a module that is busy drops what comes."""
    for raw in sys.stdin.buffer:
        line = raw.rstrip(b"\r\n")
        if closed.is_set():
            return
        with screen.arrived:
            screen.heard.clear()
        # ^Z at the end of a line stands for Ctrl+Z (the end of a > prompt's data), sent without the line end
        if line.endswith(b"^Z"):
            sock.sendall(line[:-2] + b"\x1a")
        else:
            sock.sendall(line + eol)
        deadline = time.monotonic() + line_s
        with screen.arrived:
            while not _finished(bytes(screen.heard)) and not closed.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                screen.arrived.wait(min(left, 0.1))
        time.sleep(0.05)
    deadline = time.monotonic() + max(0.0, wait_s)
    while time.monotonic() < deadline and not closed.is_set():
        time.sleep(0.02)
