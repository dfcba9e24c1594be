"""Readings as a student reads them: the unit comes from the field name (``temperature_c`` -> °C)."""

from __future__ import annotations

from typing import Any

#: Field-name endings and the unit they mean (longest first).
UNITS: tuple[tuple[str, str], ...] = (
    ("_ug_m3", "µg/m³"), ("_mm_h", "mm/h"), ("_l_min", "L/min"), ("_m_s", "m/s"), ("_m3_h", "m³/h"),
    ("_dbm", "dBm"), ("_hpa", "hPa"), ("_kpa", "kPa"), ("_ppm", "ppm"), ("_ppb", "ppb"), ("_lux", "lx"),
    ("_pct", "%"), ("_percent", "%"), ("_vwc", "%VWC"), ("_rh", "%RH"), ("_db", "dB"), ("_hz", "Hz"),
    ("_ma", "mA"), ("_mv", "mV"), ("_kw", "kW"), ("_wh", "Wh"), ("_lx", "lx"), ("_pa", "Pa"), ("_mm", "mm"),
    ("_c", "°C"), ("_v", "V"), ("_a", "A"), ("_w", "W"), ("_s", "s"), ("_m", "m"), ("_l", "L"),
)


def split_unit(field: str) -> tuple[str, str]:
    """(quantity, unit) of a field name; unit '' when the name carries none."""
    for suffix, unit in UNITS:
        if field.endswith(suffix) and len(field) > len(suffix):
            return field[: -len(suffix)], unit
    return field, ""


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value != value:
            return "nan"
        magnitude = abs(value)
        if magnitude >= 1000:
            return f"{value:.0f}"
        if magnitude >= 100:
            return f"{value:.1f}"
        return f"{value:.2f}".rstrip("0").rstrip(".") if magnitude < 10 else f"{value:.1f}"
    return str(value)


def format_reading(field: str, value: Any) -> str:
    """``23.7 °C``, or ``motion 1`` for a field without a unit."""
    quantity, unit = split_unit(field)
    if unit:
        return f"{format_value(value)} {unit}"
    return f"{quantity} {format_value(value)}"


def compact(readings: dict[str, Any], most: int = 2) -> str:
    return " · ".join(format_reading(k, v) for k, v in list(readings.items())[:most])


def outputs_line(outputs: dict[str, bool], on: str = "ON", off: str = "off") -> str:
    """An actuator's ``ON``/``off``; a module's outputs that are on (``do1 ON``), or ``off``."""
    if not outputs:
        return ""
    if list(outputs) == [""]:
        return on if outputs[""] else off
    active = [name for name, state in outputs.items() if state]
    return " ".join(f"{name} {on}" for name in active) if active else f"{off}"
