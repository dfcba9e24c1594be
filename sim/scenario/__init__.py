"""Scenario files: YAML in, typed specs out, every problem located; and the builder."""

from .problems import Problem, ScenarioError

__all__ = ["Problem", "ScenarioError", "load", "build"]


def load(path, text=None, student=None):
    from .loader import load as _load
    return _load(path, text, student)


def build(scenario, seed=None, sinks=()):
    from .builder import build as _build
    return _build(scenario, seed, sinks)
