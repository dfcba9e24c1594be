"""Random streams: one per (scenario seed, name), independent of every other stream.

Streams are derived with SHA-256, never with ``hash()``, so they do not depend on
``PYTHONHASHSEED``, and adding a device does not change the others' numbers.
"""

from __future__ import annotations

import hashlib

import numpy as np


def stream_seed(seed: int, name: str) -> int:
    digest = hashlib.sha256(f"iotlab:{seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:16], "little")


def stream(seed: int, name: str) -> np.random.Generator:
    """A numpy Generator for ``name`` (a device id, ``env.temperature`` ...)."""
    return np.random.Generator(np.random.PCG64(stream_seed(seed, name)))


class NormalBlock:
    """Standard normal draws handed out one at a time, generated a block at a time.

    A scalar ``Generator.normal()`` costs about a microsecond; a per-sample draw from a
    pre-generated Python list costs a few dozen nanoseconds. The sequence is the same
    whatever the block size is consumed at, so results stay deterministic.
    """

    __slots__ = ("_gen", "_block", "_buf", "_i")

    def __init__(self, gen: np.random.Generator, block: int = 1024) -> None:
        self._gen, self._block = gen, block
        self._buf: list[float] = []
        self._i = 0

    def next(self) -> float:
        i = self._i
        if i >= len(self._buf):
            self._buf = self._gen.standard_normal(self._block).tolist()
            i = 0
        self._i = i + 1
        return self._buf[i]
