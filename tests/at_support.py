"""A terminal for AT-module tests: a USB-TTL adapter on a module's UART, driven at simulated time."""

from __future__ import annotations

from sim.uart import attach


class Term:
    """Types into a module's UART and collects what it answers. ``cmd`` sends one line and runs the lab
    ``wait_s`` simulated seconds; it returns what came back as text (latin-1)."""

    def __init__(self, sim, device_id: str, port: str = "uart", baud: int | None = None, eol: str = "\r\n") -> None:
        self.sim, self.eol = sim, eol
        self.out = bytearray()
        self.device = sim.devices[device_id]
        self.adapter = attach(self.device, port, self.out.extend, baud)

    def send(self, data: bytes | str) -> None:
        self.adapter.write(data.encode("latin-1") if isinstance(data, str) else data)

    def run(self, seconds: float) -> None:
        self.sim.advance_to(self.sim.now + seconds)

    def take(self) -> str:
        text = self.out.decode("latin-1")
        self.out.clear()
        return text

    def cmd(self, line: str | bytes, wait_s: float = 0.5) -> str:
        self.take()
        if isinstance(line, str):
            line = line + self.eol
        self.send(line)
        self.run(wait_s)
        return self.take()

    def until(self, text: str, timeout_s: float = 60.0, step_s: float = 0.1) -> str:
        """Run until ``text`` has come back (or the timeout); returns everything that came."""
        end = self.sim.now + timeout_s
        while text not in self.out.decode("latin-1") and self.sim.now < end:
            self.run(step_s)
        return self.take()


class LiveTerm:
    """The same, for a lab running in another thread: input goes through the inbox, output is collected
    under a lock; ``until`` waits in wall-clock time."""

    def __init__(self, sim, device_id: str, port: str = "uart", baud: int | None = None, eol: str = "\r\n") -> None:
        import threading

        from sim.uart import install
        install(sim)
        self.sim, self.eol = sim, eol
        self.out = bytearray()
        self.lock = threading.Lock()
        self.device_id = device_id
        self.adapter = attach(sim.devices[device_id], port, self._collect, baud)

    def _collect(self, data: bytes) -> None:
        with self.lock:
            self.out.extend(data)

    def send(self, data: bytes | str) -> None:
        from sim.uart import INPUT
        raw = data.encode("latin-1") if isinstance(data, str) else data
        self.sim.post(self.device_id, INPUT, {"adapter": self.adapter, "data": raw})

    def line(self, text: str) -> None:
        self.send(text + self.eol)

    def text(self) -> str:
        with self.lock:
            return self.out.decode("latin-1")

    def take(self) -> str:
        with self.lock:
            text = self.out.decode("latin-1")
            self.out.clear()
            return text

    def until(self, text: str, timeout_s: float = 15.0) -> str:
        """Wait (wall clock) until ``text`` has come back; returns and clears everything that came."""
        import time
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            if text in self.text():
                return self.take()
            time.sleep(0.01)
        raise AssertionError(f"{text!r} did not come back within {timeout_s} s; got {self.take()!r}")


class Running:
    """A lab running in a thread at ``speed``; ``stop`` ends it and closes its ports and connections."""

    def __init__(self, sim, speed: float = 1.0, seconds: float = 600.0) -> None:
        import threading
        self.sim = sim
        self.thread = threading.Thread(target=sim.run, args=(sim.now + seconds,), kwargs={"speed": speed},
                                       daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.sim.stop()
        self.thread.join(10)
        self.sim.close()
