"""Small fixtures: a bare simulation, a trace ring, scenario text loaders, the CLI in-process."""

from __future__ import annotations

import textwrap

import pytest

from sim import RingSink, Simulation
from sim.scenario import build, load


@pytest.fixture
def sim():
    return Simulation(seed=1)


@pytest.fixture
def trace(sim):
    ring = RingSink(100_000)
    sim.trace.subscribe(ring)
    return ring


def scenario_text(body: str) -> str:
    return textwrap.dedent(body).lstrip("\n")


@pytest.fixture
def write_scenario(tmp_path):
    """Write YAML text to a file and return its path."""
    def write(body: str, name: str = "lab.yaml"):
        path = tmp_path / name
        path.write_text(scenario_text(body), encoding="utf-8")
        return path
    return write


@pytest.fixture
def lab(write_scenario):
    """Load and build a scenario from YAML text; returns (sim, ring)."""
    def make(body: str, seed: int | None = None):
        scenario, _ = load(write_scenario(body))
        ring = RingSink(1_000_000)
        return build(scenario, seed, sinks=[ring]), ring
    return make


@pytest.fixture
def cli(capsys):
    """Run ``iotlab`` in-process; returns (exit code, stdout, stderr)."""
    from sim.cli import main

    def run(*argv: str):
        code = main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err
    return run
