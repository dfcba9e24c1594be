"""``iotlab validate FILE...``: every problem in each file, one located line each; exit 2 if any."""

from __future__ import annotations

from pathlib import Path

from .common import EXIT_OK, EXIT_USAGE, load_or_report


def main(args) -> int:
    status = EXIT_OK
    for name in args.files:
        loaded = load_or_report(Path(name))
        if loaded is None:
            status = EXIT_USAGE
            continue
        scenario, _ = loaded
        print(f"{name}: ok ({len(scenario.devices)} devices, {len(scenario.wiring)} wires, "
              f"{len(scenario.faults)} faults)")
    return status
