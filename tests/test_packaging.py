"""A non-editable install carries the scenarios and the console command with it."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_installed_copy_runs_a_room_from_elsewhere(tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(ROOT)],
                   check=True, capture_output=True)
    assert (target / "scenarios" / "rooms" / "sensor-lab.yaml").is_file()
    assert (target / "scenarios" / "REFERENCE.md").is_file()
    env = dict(os.environ, PYTHONPATH=str(target))
    where = subprocess.run([sys.executable, "-c", "import sim, scenarios; print(sim.__file__); print(scenarios.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert all(line.startswith(str(target)) for line in where.stdout.split())
    done = subprocess.run([str(target / "bin" / "iotlab"), "run", "sensor-lab", "--until", "30s", "--quiet", "--mqtt", "off"],
                          cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "30s simulated" in done.stdout
