"""Device types by name, loaded lazily.

Catalogues are dicts ``{"type": "module:Class"}`` published under the entry-point
group ``iotlab.catalogs`` (the project's own is ``devices.catalog:CATALOG``), so the
kernel never imports device code and a school can add its own types.
"""

from __future__ import annotations

import difflib
import importlib
from functools import lru_cache
from importlib.metadata import entry_points

GROUP = "iotlab.catalogs"


@lru_cache(maxsize=1)
def catalogue() -> dict[str, str]:
    """``type -> "module:Class"`` from every installed catalogue, sorted by type."""
    merged: dict[str, str] = {}
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        merged.update(ep.load())
    if not merged:
        raise RuntimeError(f"no device catalogue found (entry-point group {GROUP!r}); "
                           "install iotlab with `pip install -e .`")
    return dict(sorted(merged.items()))


def known_types() -> list[str]:
    return list(catalogue())


def close_matches(name: str, n: int = 3) -> list[str]:
    return difflib.get_close_matches(name, known_types(), n=n, cutoff=0.5)


@lru_cache(maxsize=None)
def load(type_name: str) -> type:
    """The device class for ``type_name``; KeyError with close matches if unknown."""
    try:
        target = catalogue()[type_name]
    except KeyError:
        hint = close_matches(type_name)
        raise KeyError(f"unknown device type {type_name!r}"
                       + (f" (did you mean {' or '.join(hint)}?)" if hint else "")) from None
    module, _, attr = target.partition(":")
    cls = getattr(importlib.import_module(module), attr)
    cls.TYPE = type_name
    return cls
