"""Scenario text for one-bench test labs: a calm room, a gateway, the parts under test."""

from __future__ import annotations

CALM = {"temperature": 25.0, "humidity": 50.0, "illuminance": 500.0}


def room(devices: list[str], wiring: list[str] = (), env: dict | None = None, events: list[str] = (),
         faults: list[str] = ()) -> str:
    """YAML for a lab whose quantities hold still at ``env`` (unlisted: the calm defaults)."""
    values = {**CALM, **(env or {})}
    lines = ["name: t", "room: {size_m: [10, 10]}", "environment:"]
    lines += [f"  {name}: {{base: {value}, daily_amplitude: 0, noise: 0, per_person: 0}}"
              for name, value in values.items()]
    if events:
        lines += ["  events:"] + [f"    - {e}" for e in events]
    lines += ["devices:"] + [f"  - {d}" for d in devices]
    if wiring:
        lines += ["wiring:"] + [f"  - {w}" for w in wiring]
    if faults:
        lines += ["faults:"] + [f"  - {f}" for f in faults]
    return "\n".join(lines) + "\n"


def samples(ring, src: str, field: str | None = None) -> list:
    """The samples of ``src`` (records, or with ``field`` the (t, value) pairs that carry it)."""
    records = [r for r in ring.records if r["kind"] == "sample" and r["src"] == src]
    if field is None:
        return records
    return [(r["t"], r[field]) for r in records if field in r]


def events(ring, src: str) -> list[dict]:
    return [r for r in ring.records if r["kind"] == "event" and r["src"] == src]
