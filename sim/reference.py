"""Reference text generated from the specs and the device catalogue, so it cannot drift."""

from __future__ import annotations

import types
import typing
from typing import Any, Literal

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

#: Unit read from a key's suffix (``period_s`` is in seconds).
SUFFIX_UNITS = {"_s": "s", "_ms": "ms", "_m": "m", "_v": "V", "_ma": "mA", "_c": "°C", "_hz": "Hz",
                "_dbm": "dBm", "_db": "dB", "_kohm": "kΩ", "_pct": "%", "_rh": "%RH", "_lux": "lux", "_ppm": "ppm",
                "_per_h": "per hour"}


def unit_of(name: str) -> str:
    for suffix, unit in sorted(SUFFIX_UNITS.items(), key=lambda kv: -len(kv[0])):
        if name.endswith(suffix):
            return unit
    return ""


def type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return "duration" if "parse_duration" in repr(annotation) else type_name(args[0])
    if origin is Literal:
        return " | ".join(str(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        names = [type_name(a) for a in args if a is not type(None)]
        return " | ".join(names) + (" (optional)" if type(None) in args else "")
    if origin in (list, tuple, dict):
        if origin is tuple and len(args) == 2 and args[0] is args[1] is float:
            return "[x, y]"
        return f"{origin.__name__} of {', '.join(type_name(a) for a in args if a is not Ellipsis)}"
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return "mapping"
        return {"float": "number", "int": "integer", "str": "text", "bool": "true/false"}.get(
            annotation.__name__, annotation.__name__)
    return str(annotation)


def _default(field) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "(built in)"
    if value in (None, [], {}, ""):
        return "—" if value is None else repr(value) if value == "" else str(value)
    return str(list(value)) if isinstance(value, tuple) else str(value)


def constraints(field) -> str:
    parts = []
    for item in field.metadata:
        for attr, op in (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤")):
            bound = getattr(item, attr, None)
            if bound is not None:
                parts.append(f"{op} {bound}")
    return ", ".join(parts)


def field_rows(model: type[BaseModel]) -> list[dict[str, str]]:
    rows = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        examples = field.examples or []
        is_duration = any("parse_duration" in repr(m) for m in field.metadata)
        rows.append({
            "key": key, "type": "duration" if is_duration else type_name(field.annotation),
            "unit": unit_of(key),
            "default": _default(field) if field.default is not PydanticUndefined or field.default_factory
            else "required",
            "limits": constraints(field), "description": field.description or "",
            "example": f"{key}: {examples[0]}" if examples else "",
        })
    return rows


def markdown_table(rows: list[dict[str, str]], columns=("key", "type", "unit", "default", "limits",
                                                        "description", "example")) -> str:
    def cell(text: str) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row[c]) if row[c] else "" for c in columns) + " |" for row in rows]
    return "\n".join(lines)
