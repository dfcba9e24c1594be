"""Problems in a scenario file, each located at ``file:line:col`` with what is allowed."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from pydantic import BaseModel, ValidationError


@dataclass(frozen=True, order=True)
class Problem:
    line: int
    col: int
    message: str

    def format(self, path: str) -> str:
        if self.line == 0:                  # about the file as a whole (cannot read it)
            return f"{path}: {self.message}"
        return f"{path}:{self.line}:{self.col}: {self.message}"


class ScenarioError(Exception):
    """A file that cannot be used; ``problems`` says every reason found."""

    def __init__(self, path: str, problems: Sequence[Problem]) -> None:
        self.path = path
        self.problems = sorted(set(problems))
        super().__init__("\n".join(p.format(path) for p in self.problems))


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    hits = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"did you mean {hits[0]!r}? " if hits else ""


def locate(root: Any, loc: Sequence[Any], key: bool = False) -> tuple[int, int]:
    """1-based (line, col) of the node at ``loc`` in a ruamel.yaml tree.

    ``key=True`` points at the last key itself rather than its value. Path parts the
    tree does not have (pydantic's union branch names) are skipped; a path that ends
    early points at the deepest node found.
    """
    node, pos = root, _start(root)
    parts = list(loc)
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, dict) and part in node:
            lc = getattr(node, "lc", None)
            if lc is not None:
                try:
                    pos = lc.key(part) if (last and key) else lc.value(part)
                except (KeyError, TypeError):
                    pass
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            lc = getattr(node, "lc", None)
            if lc is not None:
                try:
                    pos = lc.item(part)
                except (KeyError, TypeError):
                    pass
            node = node[part]
        elif isinstance(part, str) and not isinstance(node, (dict, list)):
            break
    return pos[0] + 1, pos[1] + 1


def _start(node: Any) -> tuple[int, int]:
    lc = getattr(node, "lc", None)
    return (lc.line, lc.col) if lc is not None else (0, 0)


def _field_name(loc: Sequence[Any]) -> str:
    parts = [p for p in loc if not (isinstance(p, str) and p.startswith(("function-", "union[")))]
    names = [str(p) for p in parts if isinstance(p, str)]
    if parts and isinstance(parts[-1], int) and names:
        if names[-1].endswith("_m") and parts[-1] in (0, 1):     # a point [x, y] in metres
            return f"{names[-1]} {'xy'[parts[-1]]}"
        return f"entry {parts[-1] + 1} of {names[-1]}"
    return names[-1] if names else "value"


def _allowed_keys(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _model_at(model: type[BaseModel], loc: Sequence[Any]) -> type[BaseModel] | None:
    """The pydantic model that owns the last element of ``loc``."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int) or not isinstance(current, type) or not issubclass(current, BaseModel):
            continue
        field = current.model_fields.get(part)
        if field is None:
            continue                 # a union branch's tag (pydantic puts it in the path)
        current = _inner_model(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    from typing import get_args
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def explain(err: dict, model: type[BaseModel] | None) -> str:
    """One pydantic error as 'what is wrong; what is allowed'."""
    kind, loc, ctx = err["type"], err["loc"], err.get("ctx", {})
    name, value = _field_name(loc), err.get("input")
    if kind == "missing":
        return f"missing required key {name!r}; add it" + _example(model, name)
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model)
        return (f"unknown key {name!r}; {did_you_mean(name, allowed)}"
                f"allowed here: {', '.join(allowed)}")
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}[kind]
        bound = next(iter(ctx.values()))
        return f"{name} is {_show(value)}; it must be {op} {bound:g}"
    if kind == "literal_error" and loc and loc[-1] == "[key]":
        allowed = [a.strip(" '") for a in str(ctx.get("expected", "")).replace(" or ", ",").split(",")]
        return f"unknown name {_show(value)}; {did_you_mean(value, allowed)}use one of {ctx.get('expected')}"
    if kind == "literal_error":
        return f"{name} {_show(value)} is not allowed; use one of {ctx.get('expected')}"
    if kind == "finite_number":
        return f"{name} is {_show(value)}; it must be a finite number"
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"):
        what = "a whole number" if kind.startswith("int") else "a number"
        return f"{name} is {_show(value)}; it must be {what}"
    if kind == "string_pattern_mismatch":
        if name == "start_time":
            return f"start_time {_show(value)} is not a time of day; write HH:MM, e.g. 08:00"
        return f"{name} {_show(value)} is not a valid name; use a letter, then letters, digits, _ or - (at most 40)"
    if kind in ("too_short", "too_long") and name.endswith("_m"):
        return f"{name} must be a pair [x, y] in metres, got {_show(value)}"
    if kind == "too_short":
        return f"{name} is empty; it needs at least {ctx.get('min_length', 1)} entry"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"{name} must be a mapping of keys to values, got {_show(value)}" + _example(model, name)
    if kind in ("list_type", "tuple_type"):
        return f"{name} must be a list, got {_show(value)}"
    if kind in ("string_type",):
        return f"{name} must be text, got {_show(value)}"
    if kind == "bool_type" or kind == "bool_parsing":
        return f"{name} must be true or false, got {_show(value)}"
    if kind == "value_error":
        text = str(err["msg"]).removeprefix("Value error, ")
        return text if not loc or text.startswith(name) else f"{name}: {text}"
    return f"{name}: {err['msg']}"


def _example(model: type[BaseModel] | None, name: str) -> str:
    if model is None or name not in model.model_fields:
        return ""
    examples = model.model_fields[name].examples
    return f", e.g. {name}: {examples[0]}" if examples else ""


def from_validation(exc: ValidationError, model: type[BaseModel], tree: Any,
                    prefix: Sequence[Any] = ()) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = tuple(prefix) + tuple(err["loc"])
        owner = _model_at(model, err["loc"]) if err["loc"] else model
        if loc and loc[-1] == "[key]":
            line, col = locate(tree, loc[:-1], key=True)
        elif err["type"] == "extra_forbidden" or err["type"] == "missing":
            line, col = locate(tree, loc[:-1] if err["type"] == "missing" else loc,
                               key=err["type"] == "extra_forbidden")
        else:
            line, col = locate(tree, loc)
        problems.append(Problem(line, col, explain(err, owner)))
    return problems
