"""Durations as people write them (``90s``, ``10m``, ``2h``, ``1d``) and back."""

from __future__ import annotations

import math
import re

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|min|s|m|h|d)")
ALLOWED = "a number of seconds or a duration such as 500ms, 90s, 10m, 1h30m, 2h, 1d"


def parse_duration(text: str | int | float) -> float:
    """Seconds in ``text``; raises ValueError with a message saying what is allowed."""
    if isinstance(text, bool):
        raise ValueError(f"expected a duration, got {text!r}; use {ALLOWED}")
    if isinstance(text, (int, float)):
        value = float(text)
    else:
        s = str(text).strip().lower().replace(" ", "")
        if not s:
            raise ValueError(f"empty duration; use {ALLOWED}")
        try:
            value = float(s)
        except ValueError:
            pos, value = 0, 0.0
            for m in _PART.finditer(s):
                if m.start() != pos:
                    break
                value += float(m.group(1)) * _UNITS[m.group(2)]
                pos = m.end()
            if pos != len(s) or pos == 0:
                raise ValueError(f"cannot read {text!r} as a duration; use {ALLOWED}") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"duration {text!r} must be a finite, non-negative time; use {ALLOWED}")
    return value


def format_duration(seconds: float) -> str:
    """A short human form: ``59.5s``, ``10m``, ``1h30m``, ``2d3h``."""
    if seconds < 60:
        return f"{seconds:g}s"
    parts = []
    rest = round(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            n, rest = divmod(rest, size)
            parts.append(f"{n}{unit}")
    return "".join(parts)
