"""Same scenario and seed, same trace, byte for byte, whatever PYTHONHASHSEED is."""

import os
import subprocess
import sys


def run_trace(tmp_path, name, seed, hashseed):
    out = tmp_path / f"{name}.jsonl"
    env = dict(os.environ, PYTHONHASHSEED=str(hashseed))
    subprocess.run([sys.executable, "-m", "sim.cli", "run", "sensor-lab", "--until", "3m", "--seed", str(seed),
                    "--trace", str(out), "--quiet", "--mqtt", "off"], check=True, env=env, capture_output=True)
    return out.read_bytes()


def test_same_seed_gives_a_byte_identical_trace(tmp_path):
    first = run_trace(tmp_path, "a", 5, 1)
    second = run_trace(tmp_path, "b", 5, 987654)
    assert len(first) > 10_000 and first == second


def test_a_different_seed_gives_a_different_trace(tmp_path):
    assert run_trace(tmp_path, "a", 5, 0) != run_trace(tmp_path, "b", 6, 0)


def test_adding_a_device_does_not_change_the_others(lab):
    body = """
name: d
room: {size_m: [10, 10]}
devices:
  - {id: gw, type: gateway}
  - {id: t1, type: lm35}
wiring: [gw.ai1 -> t1.out]
"""
    sim_a, ring_a = lab(body)
    sim_a.run(60)
    sim_b, ring_b = lab(body.replace("wiring:", "  - {id: t2, type: lm35}\nwiring:")
                        .replace("[gw.ai1 -> t1.out]", "[gw.ai1 -> t1.out, gw.ai2 -> t2.out]"))
    sim_b.run(60)
    readings = lambda ring: [r["temperature_c"] for r in ring.of_kind("sample") if r["src"] == "t1"]
    assert readings(ring_a) == readings(ring_b)
