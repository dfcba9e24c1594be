"""How ``iotlab run`` shows a lab: in the viewer's window, as a snapshot, or headless.

The viewer is a package of its own that ``sim`` does not import (an import-linter contract
holds the kernel apart from it). The run command loads it by name, and only when a window
or a snapshot is wanted, so a headless run and ``iotlab --help`` never load pygame. A window
opens by default only where a display is available; a viewer that cannot open, or fails,
leaves the lab running headless with one line saying why.
"""

from __future__ import annotations

import math
import sys
from importlib import import_module
from pathlib import Path

VIEWER = "viewer"
#: The pace a window opens at when --speed is not given: a scenario's ten minutes in one.
WINDOW_SPEED = "10"
IMAGE_TYPES = (".png", ".jpg", ".jpeg", ".bmp", ".tga")


def _say(line: str) -> None:
    print(line, file=sys.stderr)


def _viewer():
    return import_module(VIEWER)


def mode(args) -> str:
    """``snapshot``, ``window`` or ``headless``."""
    if getattr(args, "snapshot", None):
        return "snapshot"
    if args.headless:
        return "headless"
    try:
        return "window" if _viewer().display_available() else "headless"
    except ImportError:
        return "headless"


def check(args, until: float, explicit_until: bool) -> tuple[float, float | None, str | None]:
    """(until, snapshot time or None, problem or None) from --snapshot/--at."""
    from ..units import parse_duration

    at_text = getattr(args, "at", None)
    if not getattr(args, "snapshot", None):
        if at_text:
            return until, None, "--at goes with --snapshot FILE"
        return until, None, None
    path = Path(args.snapshot)
    if path.suffix.lower() not in IMAGE_TYPES:
        return until, None, f"--snapshot {args.snapshot}: give a .png (or .jpg, .bmp, .tga) file name"
    if not path.parent.is_dir() and str(path.parent) not in ("", "."):
        return until, None, f"--snapshot {args.snapshot}: no folder {path.parent}"
    if not at_text:
        return until, until, None
    try:
        at = parse_duration(at_text)
    except ValueError as exc:
        return until, None, f"--at: {exc}"
    if at < 0:
        return until, None, "--at must be 0s or later"
    if not explicit_until:
        return at, at, None                          # the run stops at the snapshot
    if at > until:
        return until, None, f"--at {at_text} is after --until; the snapshot is taken during the run"
    return until, at, None


def run(args, sim, until: float, speed: float, on_progress, snapshot_at: float | None) -> bool:
    """Run the lab the way ``mode(args)`` says. False when an output that was asked for (the snapshot)
    could not be made; the lab's own errors propagate as in a headless run."""
    how = mode(args)
    lang = getattr(args, "lang", None)
    if how == "snapshot":
        return _snapshot(args, sim, until, speed, on_progress, snapshot_at, lang)
    if how == "window":
        sim.set_speed(speed)
        try:
            viewer = _viewer()
            outcome = viewer.drive(sim, until, lang=lang or viewer.default_lang())
        except ImportError as exc:
            _say(f"viewer: cannot load ({exc}); the lab runs headless")
            outcome = "unavailable"
        if outcome == "closed":
            if not args.quiet:
                _say(f"viewer closed at t={sim.now:.3f}s; the run ends there")
            return True
        if outcome == "finished":
            return True
        sim.resume()                                   # a failed viewer may have left the lab paused
        if outcome == "unavailable" and getattr(args, "speed_defaulted", False):
            sim.set_speed(math.inf)                    # the window's pace was only for watching
    sim.run(until, speed=sim.speed if how == "window" else speed, on_progress=on_progress)
    return True


def _snapshot(args, sim, until, speed, on_progress, at: float, lang: str | None) -> bool:
    shot = None
    try:
        viewer = _viewer()
        shot = viewer.Snapshot(sim, until, lang=lang or viewer.default_lang())
        if shot.viewer.fonts.note:
            _say(shot.viewer.fonts.note)
    except Exception as exc:
        _say(f"viewer: cannot draw a snapshot ({type(exc).__name__}: {exc}); the lab runs headless")
    sim.run(at, speed=speed, on_progress=on_progress)
    ok = False
    if shot is not None:
        try:
            shot.save(args.snapshot)
            ok = True
            if not args.quiet:
                _say(f"snapshot at t={sim.now:g}s: {args.snapshot}")
        except Exception as exc:
            _say(f"viewer: the snapshot failed ({type(exc).__name__}: {exc}); the lab goes on")
        finally:
            shot.close()
    if until > sim.now:
        sim.run(until, speed=speed, on_progress=on_progress)
    return ok


def default_speed(args) -> str:
    """--speed as given, else ``10`` in a window and ``max`` otherwise."""
    if args.speed:
        return args.speed
    args.speed_defaulted = True
    return WINDOW_SPEED if mode(args) == "window" else "max"
