"""What the viewer's buttons and keys do to the lab.

Inputs to devices go through the inbox, as MQTT commands do (``sim.post``): a switch is a
``command``, the fault menu posts ``fault.inject`` / ``fault.clear``. The simulation applies
them at its current simulated time with the same validation, traces them, and answers; the
answer is shown in the status line. Pause, resume and speed are Simulation methods; a step
is asked for here and taken by the loop that drives the simulation.
"""

from __future__ import annotations

import collections
import math
from typing import Any


class Controls:
    def __init__(self, sim, until: float) -> None:
        self.sim, self.until = sim, until
        self.steps = 0                       # steps asked for and not yet taken
        self.replies: collections.deque[tuple[str, bool]] = collections.deque(maxlen=6)
        self.answered = 0

    # -- time -------------------------------------------------------------------------------------------
    @property
    def paused(self) -> bool:
        return self.sim.paused

    @property
    def finished(self) -> bool:
        return self.sim.now >= self.until

    def toggle_pause(self) -> None:
        if self.sim.paused:
            self.sim.resume()
        else:
            self.sim.pause()

    def step(self) -> None:
        self.sim.pause()
        self.steps += 1

    def set_speed(self, speed: float) -> None:
        self.sim.set_speed(speed)

    @property
    def speed(self) -> float:
        return self.sim.speed

    # -- inputs through the inbox ------------------------------------------------------------------------
    def command(self, device: str, name: str, args: dict[str, Any]) -> None:
        self._post(device, "command", {"name": name, "args": dict(args)}, f"{device} {name}")

    def inject(self, target: str, fault: str, params: dict[str, Any]) -> None:
        self._post(target, "fault.inject", {"fault": fault, **params}, f"{fault} on {target}")

    def clear(self, target: str, fault: str) -> None:
        self._post(target, "fault.clear", {"fault": fault}, f"{fault} off {target}")

    def _post(self, target: str, action: str, args: dict[str, Any], what: str) -> None:
        if self.finished:                     # the run is over: nothing more goes into its trace
            self.replies.append((f"{what}: the run has ended", False))
            self.answered += 1
            return
        self.sim.post(target, action, args, reply=self._answer(what))

    def _answer(self, what: str):
        def reply(result: dict) -> None:
            ok = bool(result.get("ok", True)) if isinstance(result, dict) else True
            text = what + (": ok" if ok else f": {result.get('error', 'refused')}")
            self.replies.append((text, ok))
            self.answered += 1
        return reply


def speed_label(speed: float) -> str:
    return "max" if math.isinf(speed) else f"×{speed:g}"


def parse_value(text: str) -> Any:
    """A typed parameter: a number, true/false, nothing (unset), or text."""
    text = text.strip()
    if text == "" or text.lower() in ("none", "null", "unset"):
        return None
    low = text.lower()
    if low in ("true", "on", "yes"):
        return True
    if low in ("false", "off", "no"):
        return False
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
        return value if math.isfinite(value) else text
    except ValueError:
        return text


def parse_args(text: str) -> tuple[str, dict[str, Any]]:
    """``name key=value ...`` -> (name, {key: value})."""
    parts = text.split()
    if not parts:
        return "", {}
    args = {}
    for part in parts[1:]:
        key, sep, value = part.partition("=")
        if sep:
            args[key] = parse_value(value)
    return parts[0], args
