"""Helpers the commands share: resolving a room or file, reporting scenario problems."""

from __future__ import annotations

import sys
from pathlib import Path

from ..rooms import ROOMS, available, room_file

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def resolve_target(target: str) -> Path | None:
    """The scenario file for a room id or a path; prints why not and returns None."""
    ids = [r.id for r in ROOMS]
    if target in ids:
        if available(target):
            return room_file(target)
        print(f"iotlab: room {target!r} is not available yet; available rooms: "
              f"{', '.join(i for i in ids if available(i))}", file=sys.stderr)
        return None
    path = Path(target)
    if path.is_file():
        return path
    if path.exists():
        print(f"iotlab: {target} is not a file", file=sys.stderr)
        return None
    import difflib
    hint = difflib.get_close_matches(target, ids, n=1)
    print(f"iotlab: no room or file named {target!r}; "
          + (f"did you mean {hint[0]!r}? " if hint else "")
          + f"rooms: {', '.join(ids)} (see `iotlab rooms`)", file=sys.stderr)
    return None


def load_or_report(path: Path, student: str | None = None):
    """(scenario, tree) or None after printing each problem as file:line:col. ``student``: whose
    variant of the scenario's variables to load."""
    from ..scenario import ScenarioError, load
    try:
        return load(path, student=student)
    except ScenarioError as exc:
        for problem in exc.problems:
            print(problem.format(exc.path), file=sys.stderr)
        return None
