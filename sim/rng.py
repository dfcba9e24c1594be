"""Random streams: one per (scenario seed, name), independent of every other stream.

Streams are derived with SHA-256, never with ``hash()``, so they do not depend on
``PYTHONHASHSEED``, and adding a device does not change the others' numbers.
"""

from __future__ import annotations

import hashlib
from itertools import chain
from typing import Iterator

import numpy as np


def stream_seed(seed: int, name: str) -> int:
    digest = hashlib.sha256(f"iotlab:{seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:16], "little")


def stream(seed: int, name: str) -> np.random.Generator:
    """A numpy Generator for ``name`` (a device id, ``env.temperature`` ...)."""
    return np.random.Generator(np.random.PCG64(stream_seed(seed, name)))


def normals(gen: np.random.Generator, block: int = 1024) -> Iterator[float]:
    """An endless iterator of standard normal draws, generated a block at a time.

    A scalar ``Generator.normal()`` costs about a microsecond; ``next()`` on this costs a
    few dozen nanoseconds. The sequence is the same however it is consumed, so results
    stay deterministic.
    """
    return chain.from_iterable(iter(lambda: gen.standard_normal(block).tolist(), None))
