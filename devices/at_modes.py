"""The ``>`` prompt and transparent mode of an AT port: the two ways a command takes raw bytes from
the UART instead of command lines (see ``devices.at``). Mixed into ``ATEngine``."""

from __future__ import annotations

from typing import Callable

import simpy

CTRL_Z, ESC = 0x1A, 0x1B


class DataModes:
    """``read_data`` (a ``>`` prompt) and ``transparent`` (pass-through until ``+++``) of ``ATEngine``."""

    # -- > prompts --------------------------------------------------------------------------------------
    def read_data(self, length: int | None = None, ctrl_z: bool = False, prompt: str | None = None,
                  timeout_s: float | None = None) -> simpy.Event:
        """Show the ``>`` prompt and collect data: exactly ``length`` bytes, or (``ctrl_z``) up to a
        Ctrl+Z (0x1A, not included; ESC cancels). The event's value is the bytes, or None if cancelled
        or timed out. Yield it from a handler's generator."""
        env = self.dev.sim.env
        done = env.event()
        self._data = {"length": length, "ctrl_z": ctrl_z, "buf": bytearray(), "done": done}
        self.mode = "data"
        self.send(self.d.prompt if prompt is None else prompt)
        if timeout_s is not None:
            state = self._data
            env.timeout(timeout_s).callbacks.append(lambda _e: self._data_end(state, None))
        return done

    def _feed_data(self, data: bytes) -> None:
        state = self._data
        if state is None:
            return
        buf = state["buf"]
        for i, byte in enumerate(data):
            if state["ctrl_z"] and byte in (CTRL_Z, ESC):
                value = bytes(buf) if byte == CTRL_Z else None
            else:
                buf.append(byte)
                if state["length"] is None or len(buf) < state["length"]:
                    continue
                value = bytes(buf)
            self._data_end(state, value)
            self._after_data(data[i + 1:])
            return

    def _after_data(self, rest: bytes) -> None:
        """Bytes after the data are the next command: taken once this one has finished."""
        if rest:
            self._held += rest

    def _data_end(self, state: dict, value: bytes | None) -> None:
        if self._data is not state:
            return
        self._data = None
        if self.mode == "data":
            self.mode = "command"
        state["done"].succeed(value)

    # -- transparent mode -------------------------------------------------------------------------------
    def transparent(self, on_data: Callable[[bytes], None], escape: bytes = b"+++", guard_s: float = 1.0,
                    pack_s: float = 0.02, pack_max: int = 2048) -> simpy.Event:
        """Pass every byte to ``on_data`` (in packets: bytes with gaps under ``pack_s``, at most
        ``pack_max``) until ``escape`` arrives alone with ``guard_s`` of silence before and after; the
        event fires then. Yield it from a handler's generator."""
        env = self.dev.sim.env
        done = env.event()
        self._trans = {"on_data": on_data, "escape": escape, "guard": guard_s, "pack_s": pack_s,
                       "pack_max": pack_max, "buf": bytearray(), "held": bytearray(), "done": done,
                       "since": env.now, "token": 0}
        self.mode = "transparent"
        return done

    def leave_transparent(self) -> None:
        """End transparent mode from the module's side (the link dropped)."""
        state = self._trans
        if state is not None:
            self._flush_packet(state)
            self._trans = None
            if self.mode == "transparent":
                self.mode = "command"
            state["done"].succeed(False)

    def _feed_transparent(self, data: bytes, gap: float) -> None:
        st = self._trans
        if st is None:
            return
        env = self.dev.sim.env
        esc = st["escape"]
        quiet_before = gap >= st["guard"] and env.now - st["since"] >= st["guard"]
        if st["held"]:
            st["held"] += data
        elif quiet_before and esc.startswith(data[:len(esc)]) and len(data) <= len(esc):
            st["held"] += data
        else:
            self._packet(st, data)
            return
        held = bytes(st["held"])
        if not esc.startswith(held):
            st["held"].clear()
            self._packet(st, held)
        elif held == esc:
            st["token"] += 1
            token = st["token"]
            env.timeout(st["guard"]).callbacks.append(lambda _e: self._escape_check(st, token))

    def _escape_check(self, st: dict, token: int) -> None:
        if self._trans is not st or st["token"] != token or bytes(st["held"]) != st["escape"]:
            return
        if self.dev.sim.env.now - self._last_rx >= st["guard"] - 1e-9:
            st["held"].clear()
            self._flush_packet(st)
            self._trans = None
            self.mode = "command"
            st["done"].succeed(True)

    def _packet(self, st: dict, data: bytes) -> None:
        st["buf"] += data
        while len(st["buf"]) >= st["pack_max"]:
            chunk = bytes(st["buf"][:st["pack_max"]])
            del st["buf"][:st["pack_max"]]
            st["on_data"](chunk)
        st["token"] += 1
        token = st["token"]
        self.dev.sim.env.timeout(st["pack_s"]).callbacks.append(lambda _e: self._pack_due(st, token))

    def _pack_due(self, st: dict, token: int) -> None:
        if self._trans is st and st["token"] == token:
            self._flush_packet(st)

    def _flush_packet(self, st: dict) -> None:
        if st["buf"]:
            chunk = bytes(st["buf"])
            st["buf"].clear()
            st["on_data"](chunk)
