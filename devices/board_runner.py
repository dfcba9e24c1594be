"""Running student firmware in simulated time: one thread per board, handed control in lockstep.

The firmware runs as ordinary straight-line Python in its own thread, but only while the simulation
thread waits for it: the two hand a baton back and forth through two queues, so exactly one of them runs
at any moment and the run stays deterministic. ``time.sleep_ms(n)`` hands the baton back with "sleep n";
the board's SimPy process waits ``n`` simulated ms and hands it over again. An interrupt (a key edge, a
timer) that fires while the firmware sleeps is handed over as "run this handler"; the thread runs it on
top of the sleeping main program and hands the baton back. Code between two hand-overs takes no
simulated time.

Isolation (see docs/architecture.md): a line budget counted with ``sys.settrace`` on the firmware's own
frames (default 200,000 lines between hand-overs; more is a simulated watchdog reset); a wall-clock bound
on each hand-over (2 s) behind it, for code that evades the tracer, after which the thread gets an
asynchronous exception and the board resets; a heap bound (the size of what the firmware's globals and
frames reach, measured every 128 lines, and the size asked of ``bytes``/``bytearray``): past it the
firmware gets ``MemoryError`` as on a real board. Exceptions become ``crash`` records with the file and
line in the student's code.
"""

from __future__ import annotations

import ctypes
import gc
import queue
import sys
import threading
import types
from contextlib import contextmanager, nullcontext

from .board_sandbox import compile_firmware, make_builtins

WALL_LIMIT_S = 2.0
MEMORY_CHECK_LINES = 128


class BoardReset(BaseException):
    """Unwinds the firmware thread (a reset, a watchdog, a reflash); firmware cannot name or catch it."""


class Watchdog(BoardReset):
    pass


class Runner:
    """One run of one firmware image on a board (a reset starts a new Runner)."""

    def __init__(self, board, source: str, filename: str) -> None:
        self.board, self.filename = board, filename
        self.code = compile_firmware(source, filename)       # FirmwareRejected propagates
        self.to_thread: queue.SimpleQueue = queue.SimpleQueue()
        self.to_sim: queue.SimpleQueue = queue.SimpleQueue()
        self.alive = True
        self.in_irq = 0
        self.irq_busy_s = 0.0          # bus time spent inside the running interrupt handler (devices/board_machine)
        self.irq_end = 0.0             # when the last handler's own clock ran out (simulated s)
        self.lines = 0
        self.total_lines = 0
        self.budget = board.p.line_budget
        self.heap_limit = board.p.heap_kb * 1024
        self.globals: dict = {}
        self.native_depth = 0
        self.thread = threading.Thread(target=self._main, name=f"firmware-{board.id}", daemon=True)

    # -- simulation side ---------------------------------------------------------------------------
    def start(self):
        self.thread.start()
        return self.handoff(("go",))

    def handoff(self, msg) -> tuple:
        """Give the baton to the firmware thread and wait for it back; returns what the firmware says."""
        if not self.alive:
            return ("dead",)
        self.to_thread.put(msg)
        while True:
            try:
                return self.to_sim.get(timeout=WALL_LIMIT_S)
            except queue.Empty:
                if self.native_depth:              # the board's own code (an RTL peripheral) is running
                    continue
                self._abandon()
                return ("watchdog", f"no hand-over within {WALL_LIMIT_S:g} s of wall-clock time")

    def stop(self) -> None:
        """Unwind the firmware thread (it is parked, waiting for the baton)."""
        if self.alive:
            self.alive = False
            self.to_thread.put(("kill",))
            if self.thread.ident is not None and self.thread is not threading.current_thread():
                self.thread.join(WALL_LIMIT_S)      # it unwinds while the simulation waits

    def _abandon(self) -> None:
        self.alive = False
        tid = self.thread.ident
        if tid is not None:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), ctypes.py_object(Watchdog))

    def in_firmware_thread(self) -> bool:
        return threading.current_thread() is self.thread

    def stuck(self, reason: str) -> None:
        """From the firmware thread: the CPU hangs in the board's own code; unwind as a watchdog reset."""
        raise Watchdog(reason)

    def native(self):
        """Board code the firmware's call runs (an RTL peripheral clocked cycle by cycle): untraced, and the
        hand-over's wall-clock bound waits for it (it is ours and ends). A no-op outside the firmware thread."""
        if threading.current_thread() is not self.thread:
            return nullcontext()
        return self._native()

    @contextmanager
    def _native(self):
        saved = sys.gettrace()
        sys.settrace(None)
        self.native_depth += 1
        try:
            yield
        finally:
            self.native_depth -= 1
            sys.settrace(saved)

    # -- firmware thread ---------------------------------------------------------------------------------
    def _main(self) -> None:
        msg = self.to_thread.get()
        if msg[0] != "go":
            return
        api = self.board.firmware_api(self)
        self.globals = {"__name__": "__main__", "__builtins__": make_builtins(api.print, api.import_, self.bound)}
        self._arm()
        try:
            exec(self.code, self.globals)          # noqa: S102 - the sandboxed student program
            self._park(("done",))                  # main ended: interrupts and timers still run
            while True:
                self._park(("idle",))
        except Watchdog as exc:
            self._final(("watchdog", str(exc) or "watchdog"))
        except BoardReset:
            self._final(("stopped",))
        except Exception as exc:                   # noqa: BLE001 - every student error is a crash record
            self._final(("crash", *self.where(exc)))
        finally:
            sys.settrace(None)

    def _final(self, msg) -> None:
        if self.alive:
            self.alive = False
            self.to_sim.put(msg)

    def sleep(self, seconds: float) -> None:
        """``time.sleep*`` from the firmware: hand the baton back for ``seconds`` of simulated time."""
        if self.in_irq:
            raise RuntimeError("sleep in an interrupt handler")
        self._park(("sleep", max(0.0, seconds)))

    def _park(self, msg) -> None:
        """Hand the baton to the simulation; run interrupt handlers it hands over until it says resume."""
        self.to_sim.put(msg)
        while True:
            cmd = self.to_thread.get()
            if cmd[0] == "kill":
                raise BoardReset()
            if cmd[0] == "resume":
                self.lines = 0
                self._arm()
                return
            if cmd[0] == "irq":
                self.to_sim.put(self.run_handler(cmd[1], cmd[2]))

    def run_handler(self, fn, arg) -> tuple:
        """Run an interrupt handler in this thread (directly, when interrupts are re-enabled in firmware)."""
        saved = self.lines
        self.lines = 0
        now = self.board.sim.env.now
        if not self.in_irq:                        # a handler starts when the one before has ended
            self.irq_busy_s = max(0.0, self.irq_end - now)
        self.in_irq += 1
        self._arm()
        try:
            fn(arg)
            return ("irq_done",)
        except Watchdog:
            raise
        except BoardReset:
            raise
        except Exception as exc:                   # noqa: BLE001
            return ("irq_crash", *self.where(exc))
        finally:
            self.in_irq -= 1
            self.lines = saved
            if not self.in_irq:
                self.irq_end = max(self.irq_end, now + self.irq_busy_s)

    def where(self, exc: BaseException) -> tuple[str, int | None, str]:
        """(file, line in the student's file, "Type: message") of an exception."""
        line = None
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == self.filename:
                line = tb.tb_lineno
            tb = tb.tb_next
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return self.filename, line, text

    # -- budgets -----------------------------------------------------------------------------------------
    def _arm(self) -> None:
        """(Re)install the line counter on this thread and on the firmware frames already running."""
        sys.settrace(self._global_trace)
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename == self.filename:
                frame.f_trace = self._line
            frame = frame.f_back

    def _global_trace(self, frame, event, arg):
        return self._line if frame.f_code.co_filename == self.filename else None

    def _line(self, frame, event, arg):
        if event == "line":
            self.lines += 1
            if self.lines > self.budget:
                self.lines = 0
                raise Watchdog(f"{self.budget} lines without a sleep (line {frame.f_lineno})")
            self.total_lines += 1
            if self.total_lines % MEMORY_CHECK_LINES == 0 and self.heap_used(frame) > self.heap_limit:
                self._arm_later()
                raise MemoryError(f"memory allocation failed, heap of {self.heap_limit // 1024} KB is full")
        return self._line

    def _arm_later(self) -> None:
        """Raising from the tracer removes it; put it back at the next hand-over or API call."""
        self.board.rearm = True

    def bound(self, size: int) -> None:
        if size > self.heap_limit:
            raise MemoryError(f"memory allocation failed, allocating {size} bytes")

    def heap_used(self, frame) -> int:
        """Bytes reachable from the firmware's globals and running frames (objects it made)."""
        roots = [self.globals]
        while frame is not None:
            if frame.f_code.co_filename == self.filename:
                roots.append(frame.f_locals)
            frame = frame.f_back
        seen, total, stack = set(), 0, list(roots)
        skip = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type, types.MethodType,
                types.CodeType, types.FrameType)
        while stack and len(seen) < 200_000:
            obj = stack.pop()
            if id(obj) in seen or isinstance(obj, skip) or obj is self.globals.get("__builtins__"):
                continue
            seen.add(id(obj))
            total += sys.getsizeof(obj, 0)
            if total > self.heap_limit:
                return total
            if isinstance(obj, (list, tuple, dict, set, frozenset)):
                stack.extend(gc.get_referents(obj))
            elif hasattr(obj, "__dict__") and not getattr(type(obj), "BOARD_API", False):
                stack.append(vars(obj))
        return total
