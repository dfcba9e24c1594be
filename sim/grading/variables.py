"""Per-student variation: a scenario's ``variables:`` drawn from the student id.

    variables:
      victim: {choice: [th1, lux2, co2]}
      at_s: {range: [120, 300], step: 30}

``${victim}`` anywhere in the file's text values (fault targets, times, task checks and
answers) becomes the student's value; a value that is all one ``${...}`` keeps its type,
so ``at: ${at_s}`` is a number. The draw is SHA-256 of the lab, the student id and the
variable name: the same student always gets the same variant, a neighbour most likely
another, and no student's draw depends on the others.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _unit(lab: str, student: str, name: str) -> int:
    digest = hashlib.sha256(f"iotlab-variant:{lab}:{student}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def draw(variables: dict[str, Any], lab: str, student: str) -> dict[str, Any]:
    """The values of ``variables`` (name -> VariableSpec) for ``student``."""
    out = {}
    for name, spec in variables.items():
        u = _unit(lab, student, name)
        if spec.choice is not None:
            out[name] = spec.choice[u % len(spec.choice)]
        else:
            lo, hi = spec.range
            step = spec.step
            if step:
                n = int((hi - lo) // step) + 1
                value = lo + (u % n) * step
            else:
                value = lo + (u / 2 ** 64) * (hi - lo)
            whole = float(lo).is_integer() and (step is None or float(step).is_integer())
            out[name] = int(value) if whole and float(value).is_integer() else round(value, 6)
    return out


def substitute(tree: Any, values: dict[str, Any], skip: tuple[str, ...] = ("variables",)) -> list[tuple[tuple, str]]:
    """Replace ``${name}`` in every text value of ``tree`` (in place); [(path, problem)] for unknown names."""
    problems: list[tuple[tuple, str]] = []

    def fix(value: Any, path: tuple):
        if not isinstance(value, str) or "${" not in value:
            return value
        names = VAR_RE.findall(value)
        missing = [n for n in names if n not in values]
        if missing:
            known = ", ".join(values) or "none (add a variables: block)"
            problems.append((path, f"unknown variable ${{{missing[0]}}}; variables: {known}"))
            return value
        whole = VAR_RE.fullmatch(value.strip())
        if whole:
            return values[whole.group(1)]
        return VAR_RE.sub(lambda m: str(values[m.group(1)]), value)

    def walk(node: Any, path: tuple):
        if isinstance(node, dict):
            for key in list(node):
                if path == () and key in skip:
                    continue
                child = node[key]
                if isinstance(child, (dict, list)):
                    walk(child, path + (key,))
                else:
                    new = fix(child, path + (key,))
                    if new is not child:
                        node[key] = new
        elif isinstance(node, list):
            for i, child in enumerate(node):
                if isinstance(child, (dict, list)):
                    walk(child, path + (i,))
                else:
                    new = fix(child, path + (i,))
                    if new is not child:
                        node[i] = new
    walk(tree, ())
    return problems
