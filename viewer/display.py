"""Is there a screen to open a window on? Answered without importing pygame."""

from __future__ import annotations

import os
import sys

#: SDL video drivers that draw nowhere a person can see.
OFFSCREEN_DRIVERS = ("dummy", "offscreen")


def display_available(environ: dict[str, str] | None = None, platform: str | None = None) -> bool:
    """True when a window would reach a person: not under SDL's dummy/offscreen driver, and on
    Linux and the BSDs only with an X11 or Wayland display. Windows and macOS have a desktop."""
    env = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if env.get("SDL_VIDEODRIVER", "").strip().lower() in OFFSCREEN_DRIVERS:
        return False
    if platform.startswith(("win", "darwin", "cygwin")):
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def quiet_pygame() -> None:
    """Keep pygame's greeting off the terminal (set before the first ``import pygame``)."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
