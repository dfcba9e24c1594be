"""Reading a scenario file: size and depth caps, YAML with positions, then the typed spec."""

from __future__ import annotations

import io
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import TaggedScalar
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from .problems import Problem, ScenarioError, from_validation
from .spec import DeviceSpec, FaultEntry, Room, Scenario, SerialSpec, Wire

MAX_BYTES = 1 << 20          # a hand-written room is a few kilobytes
MAX_DEPTH = 24               # the format nests at most about 6 deep
MAX_NODES = 200_000          # a room with a thousand devices is about 20,000 values


def _read_text(path: Path, name: str) -> str:
    try:
        if not path.is_file():
            what = ("it is a directory" if path.is_dir() else
                    "it is not a regular file" if path.exists() else "there is no such file")
            raise ScenarioError(name, [Problem(0, 0, f"cannot read the file: {what}")])
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(name, [Problem(0, 0, f"cannot read the file: {exc.strerror}")]) from None
    if len(data) > MAX_BYTES:
        raise ScenarioError(name, [Problem(1, 1, f"file is over {MAX_BYTES} bytes; scenarios are capped at "
                                                 f"{MAX_BYTES} bytes")])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(name, [Problem(1, 1, f"not UTF-8 text ({exc.reason} at byte {exc.start}); "
                                                 "save the file as UTF-8")]) from None


def read_tree(path: str | Path, text: str | None = None) -> Any:
    """The YAML document as a ruamel tree (mappings remember line and column)."""
    name = str(path)
    if text is None:
        text = _read_text(Path(path), name)
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
    problems = _shape_problems(tree)
    if problems:
        raise ScenarioError(name, problems)
    if isinstance(tree, dict):
        tree.source_lines = text.splitlines()     # for columns inside text values (check expressions)
    return tree


def _first_use(text: str, key: str, start: int, end: int) -> int:
    """The line (0-based) where ``key`` first appears between the mapping's start and its duplicate."""
    pattern = re.compile(r"(^|[\s{,])" + re.escape(key) + r"\s*:")
    lines = text.splitlines()
    for number in range(start, min(end + 1, len(lines))):
        if pattern.search(lines[number]):
            return number
    return start


def _shape_problems(tree: Any) -> list[Problem]:
    """Tags, non-text keys, and the size and depth the tree has once aliases are expanded.

    Aliases may share a node many times (a 700-byte "billion laughs" file expands to
    millions of nodes), so sizes and heights are computed once per node and reused.
    (ruamel.yaml turns a recursive alias into null, which the typed pass then reports.)
    """
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    stack: list[tuple[Any, bool]] = [(tree, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            kids = [c for _, c in children if isinstance(c, (dict, list))]
            size[key] = 1 + sum(size[id(c)] for c in kids)
            height[key] = 1 + max((height[id(c)] for c in kids), default=0)
            if size[key] > MAX_NODES:
                return [Problem(1, 1, f"the file expands to more than {MAX_NODES} values "
                                      "(through anchors and aliases); scenarios are far smaller")]
            if height[key] > MAX_DEPTH:
                return [Problem(1, 1, f"nesting is {height[key]} levels deep; scenarios nest at most {MAX_DEPTH}")]
            continue
        if key in size:
            continue
        for where, child in children:
            if isinstance(child, TaggedScalar) or getattr(getattr(child, "tag", None), "value", None):
                line, col = _child_position(node, where)
                return [Problem(line, col, f"YAML tag {str(child.tag.value)!r} is not allowed in a scenario; "
                                           "remove it (values are plain text, numbers, lists and mappings)")]
            if isinstance(node, dict) and not isinstance(where, str):
                line, col = _child_position(node, where, key=True)
                return [Problem(line, col, f"key {_plain(where)} is not a name; keys are text "
                                           f"(quote it if you meant the text \"{_plain(where)}\")")]
        stack.append((node, True))
        stack.extend((child, False) for _, child in children if isinstance(child, (dict, list)))
    return []


def _children(node: Any) -> list[tuple[Any, Any]]:
    if isinstance(node, dict):
        return list(node.items())
    if isinstance(node, list):
        return list(enumerate(node))
    return []


def _plain(value: Any) -> str:
    return str(list(value) if isinstance(value, tuple) else value)


def _child_position(parent: Any, where: Any, key: bool = False) -> tuple[int, int]:
    lc = getattr(parent, "lc", None)
    try:
        if isinstance(parent, dict):
            line, col = lc.key(where) if key else lc.value(where)
        else:
            line, col = lc.item(where)
        return line + 1, col + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return _position(parent)


def _position(node: Any) -> tuple[int, int]:
    lc = getattr(node, "lc", None)
    return (lc.line + 1, lc.col + 1) if lc is not None and lc.line is not None else (1, 1)


def load(path: str | Path, text: str | None = None, student: str | None = None) -> tuple[Scenario, Any]:
    """Parse, validate and check a scenario; raises ScenarioError listing every problem.

    ``student``: the id whose variant of the scenario's ``variables`` to use (None: the default
    variant, the one an empty id draws)."""
    from .check import check   # needs the device registry; keep plain parsing light

    name = str(path)
    source = text if text is not None else _read_text(Path(path), name)
    tree = read_tree(path, source)
    values, problems = _variables(tree, student or "", _default_lab(tree, name))
    if problems:
        raise ScenarioError(name, problems)
    try:
        scenario = Scenario.model_validate(tree)
    except ValidationError as exc:
        # Report the typed errors, then check what did validate, so one run shows every problem.
        problems = from_validation(exc, Scenario, tree)
        problems += check(partial(tree), tree)
        raise ScenarioError(name, problems) from None
    if not scenario.lab:
        scenario.lab = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(name).stem).strip("-") or "lab"
    scenario._dir = str(Path(name).resolve().parent)
    problems = check(scenario, tree) + _missing_files(scenario, tree)
    if problems:
        raise ScenarioError(name, problems)
    scenario._student = student or ""
    scenario._variant = values
    if student is None and values:
        problems = _other_variants(path, source, tree, values, check)
        if problems:
            raise ScenarioError(name, problems)
    return scenario, tree


def _missing_files(scenario: Scenario, tree: Any) -> list[Problem]:
    """Parameters a device type names in ``FILE_PARAMS`` (a board's ``firmware``) are files relative to the
    scenario file: each must be there."""
    from .. import registry
    from .problems import locate
    problems = []
    for i, dev in enumerate(scenario.devices):
        try:
            names = getattr(registry.load(dev.type), "FILE_PARAMS", ())
        except KeyError:
            continue
        for key in names:
            value = dev.params.get(key)
            if isinstance(value, str) and value and not (Path(scenario._dir) / value).is_file():
                problems.append(Problem(*locate(tree, ("devices", i, key)),
                                        f"{key}: there is no file {value!r} (paths are relative to the scenario "
                                        f"file, here {Path(scenario._dir) / value})"))
    return problems


def _default_lab(tree: Any, name: str) -> str:
    return str(tree.get("lab") or re.sub(r"[^A-Za-z0-9_-]+", "-", Path(name).stem).strip("-") or "lab")


def _other_variants(path, source: str, tree: Any, values: dict, check) -> list[Problem]:
    """Every choice (and each range's ends and middle), one variable at a time: a value that breaks
    the file is a problem now, not when that student starts the exercise."""
    from ..grading.variables import substitute
    from .spec import Variable

    problems: list[Problem] = []
    specs = {k: Variable.model_validate(v) for k, v in tree["variables"].items()}
    for var, spec in specs.items():
        for value in spec.candidates():
            if value == values[var]:
                continue
            trial = read_tree(path, source)
            substitute(trial, {**values, var: value})
            try:
                scenario = Scenario.model_validate(trial)
                found = check(scenario, trial)
            except ValidationError as exc:
                found = from_validation(exc, Scenario, trial)
            problems += [Problem(p.line, p.col, f"with {var} = {value!r}: {p.message}") for p in found]
    return list(dict.fromkeys(problems))


def _variables(tree: Any, student: str, lab: str) -> tuple[dict, list[Problem]]:
    """Draw the student's values of ``variables`` and put them in place of ``${name}``."""
    from ..grading.variables import draw, substitute
    from .problems import locate
    from .spec import Variable

    raw = tree.get("variables")
    values: dict = {}
    if raw is not None:
        try:
            specs = {k: Variable.model_validate(v) for k, v in raw.items()} if isinstance(raw, dict) else None
        except ValidationError as exc:
            key = next(k for k, v in raw.items() if not _valid(Variable, v))
            return {}, from_validation(exc, Variable, tree, ("variables", key))
        if specs is None:
            return {}, [Problem(*locate(tree, ("variables",)), "variables is a mapping of name: {choice: [...]} "
                                                               "or name: {range: [low, high]}")]
        values = draw(specs, lab, student)
    return values, [Problem(*locate(tree, path), message) for path, message in substitute(tree, values)]


def _valid(model, value) -> bool:
    try:
        model.model_validate(value)
        return True
    except ValidationError:
        return False


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
        serial=items("serial", SerialSpec),
        wiring=[w if isinstance(w, str) else one(Wire, w) for w in tree.get("wiring")]
        if isinstance(tree.get("wiring"), list) else [],
        raw_ids=[d.get("id") for d in tree.get("devices") or [] if isinstance(d, dict)]
        if isinstance(tree.get("devices"), list) else [])
