"""Reading a scenario file: size and depth caps, YAML with positions, then the typed spec."""

from __future__ import annotations

import io
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from .problems import Problem, ScenarioError, from_validation
from .spec import DeviceSpec, FaultEntry, Room, Scenario, Wire

MAX_BYTES = 1 << 20          # a hand-written room is a few kilobytes
MAX_DEPTH = 24               # the format nests at most about 6 deep


def read_tree(path: str | Path, text: str | None = None) -> Any:
    """The YAML document as a ruamel tree (mappings remember line and column)."""
    name = str(path)
    if text is None:
        try:
            size = Path(path).stat().st_size
        except OSError as exc:
            raise ScenarioError(name, [Problem(0, 0, f"cannot read the file: {exc.strerror}")]) from None
        if size > MAX_BYTES:
            raise ScenarioError(name, [Problem(1, 1, f"file is {size} bytes; scenarios are capped at {MAX_BYTES} bytes")])
        try:
            text = Path(path).read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ScenarioError(name, [Problem(1, 1, f"not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8")]) from None
        except OSError as exc:
            raise ScenarioError(name, [Problem(0, 0, f"cannot read the file: {exc.strerror}")]) from None
    elif len(text.encode()) > MAX_BYTES:
        raise ScenarioError(name, [Problem(1, 1, f"text is over the {MAX_BYTES}-byte cap")])
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        tree = yaml.load(io.StringIO(text))
    except DuplicateKeyError as exc:
        mark = exc.problem_mark
        key = str(exc.problem).split('"')[1] if '"' in str(exc.problem) else "a key"
        first = _first_use(text, key, exc.context_mark.line, mark.line)
        raise ScenarioError(name, [Problem(mark.line + 1, mark.column + 1,
                                           f"duplicate key {key!r}; each key may appear once in a mapping "
                                           f"(the first is at line {first + 1})")]) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = (exc.problem or exc.context or "invalid YAML").strip()
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise ScenarioError(name, [Problem(line, col, f"YAML syntax error: {what}; check indentation, colons and quotes")]) from None
    except YAMLError as exc:
        raise ScenarioError(name, [Problem(1, 1, f"YAML error: {exc}")]) from None
    except RecursionError:
        raise ScenarioError(name, [Problem(1, 1, f"nesting is too deep; scenarios nest at most {MAX_DEPTH} levels")]) from None
    if tree is None:
        raise ScenarioError(name, [Problem(1, 1, "the file is empty; a scenario needs at least name, room and devices")])
    if not isinstance(tree, dict):
        raise ScenarioError(name, [Problem(1, 1, "a scenario is a mapping (name:, room:, devices: ...), not a list or a value")])
    depth = _depth(tree)
    if depth > MAX_DEPTH:
        raise ScenarioError(name, [Problem(1, 1, f"nesting is {depth} levels deep; scenarios nest at most {MAX_DEPTH}")])
    return tree


def _first_use(text: str, key: str, start: int, end: int) -> int:
    """The line (0-based) where ``key`` first appears between the mapping's start and its duplicate."""
    pattern = re.compile(r"(^|[\s{,])" + re.escape(key) + r"\s*:")
    lines = text.splitlines()
    for number in range(start, min(end + 1, len(lines))):
        if pattern.search(lines[number]):
            return number
    return start


def _depth(node: Any, level: int = 1) -> int:
    stack, deepest = [(node, level)], level
    while stack:
        current, lvl = stack.pop()
        deepest = max(deepest, lvl)
        if lvl > MAX_DEPTH:
            return lvl
        children = current.values() if isinstance(current, dict) else current if isinstance(current, list) else ()
        stack.extend((c, lvl + 1) for c in children if isinstance(c, (dict, list)))
    return deepest


def load(path: str | Path, text: str | None = None) -> tuple[Scenario, Any]:
    """Parse, validate and check a scenario; raises ScenarioError listing every problem."""
    from .check import check   # needs the device registry; keep plain parsing light

    name = str(path)
    tree = read_tree(path, text)
    try:
        scenario = Scenario.model_validate(tree)
    except ValidationError as exc:
        # Report the typed errors, then check what did validate, so one run shows every problem.
        problems = from_validation(exc, Scenario, tree)
        problems += check(partial(tree), tree)
        raise ScenarioError(name, problems) from None
    if not scenario.lab:
        scenario.lab = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(name).stem).strip("-") or "lab"
    problems = check(scenario, tree)
    if problems:
        raise ScenarioError(name, problems)
    return scenario, tree


def partial(tree: Any) -> SimpleNamespace:
    """The parts of a scenario that validate on their own; failed list items become None."""
    def one(model, raw):
        try:
            return model.model_validate(raw)
        except ValidationError:
            return None

    def items(key, model):
        raw = tree.get(key)
        return [one(model, item) for item in raw] if isinstance(raw, list) else []

    room = one(Room, tree.get("room"))
    return SimpleNamespace(
        room=room, devices=items("devices", DeviceSpec), faults=items("faults", FaultEntry),
        wiring=[w if isinstance(w, str) else one(Wire, w) for w in tree.get("wiring") or []
                ] if isinstance(tree.get("wiring"), list) else [],
        raw_ids=[d.get("id") for d in tree.get("devices") or [] if isinstance(d, dict)]
        if isinstance(tree.get("devices"), list) else [])
