"""``iotlab key SCENARIO --students ...``: the teacher's key, each student's variant and expected answers."""

from .check import key as main

__all__ = ["main"]
