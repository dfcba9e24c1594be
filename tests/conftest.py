"""Small fixtures: a bare simulation, a trace ring, scenario text loaders, the CLI in-process.

Every simulation a fixture builds is closed after the test, so a lab's TCP ports are freed."""

from __future__ import annotations

import os
import textwrap

import pytest

# Shipped rooms have devices with TCP ports (a serial server on 5020): in tests every one takes a free
# port, so a test run never fights a running lab, or another test, for it. Tests of a fixed port unset it.
os.environ.setdefault("IOTLAB_TCP_ANY_PORT", "1")
# `iotlab run` opens the viewer where there is a display: tests run on SDL's dummy driver (no window),
# on a desktop too, so a run in a test never waits for someone to close a window.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

from sim import RingSink, Simulation
from sim.scenario import build, load


@pytest.fixture
def sim():
    sim = Simulation(seed=1)
    yield sim
    sim.close()


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
    built = []

    def make(body: str, seed: int | None = None):
        scenario, _ = load(write_scenario(body))
        ring = RingSink(1_000_000)
        sim = build(scenario, seed, sinks=[ring])
        built.append(sim)
        return sim, ring
    yield make
    for sim in built:
        sim.close()


@pytest.fixture
def cli(capsys):
    """Run ``iotlab`` in-process; returns (exit code, stdout, stderr)."""
    from sim.cli import main

    def run(*argv: str):
        code = main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err
    return run
