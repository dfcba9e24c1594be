"""The import directions of the design: checked, not hoped for."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    lint = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    done = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 kept, 0 broken" in done.stdout


def test_running_a_room_loads_neither_pygame_nor_amaranth():
    code = ("import sys; from sim.scenario import load, build; from sim.rooms import room_file; "
            "s, _ = load(room_file('sensor-lab')); build(s).run(30); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pygame', 'amaranth', 'viewer', 'hdl')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_behavioural_board_loads_no_amaranth():
    # the embedded room's boards with behavioural peripherals (all but board 7) run without the HDL toolchain
    code = ("import sys; from sim.scenario import load, build; from sim.rooms import room_file; "
            "s, _ = load(room_file('embedded-lab')); "
            "s.devices[:] = [d for d in s.devices if d.id not in ('mbboard', 'th1')]; "
            "s.wiring[:] = [w for w in s.wiring if 'mbboard' not in str(w)]; sim = build(s); sim.run(5); sim.close(); "
            "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in ('amaranth', 'pygame')}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_every_catalogue_type_declares_itself():
    from sim import faults_of, registry
    for name in registry.known_types():
        cls = registry.load(name)
        params = cls.Params()
        assert cls.TITLE and cls.TITLE_ZH and cls.FAMILY, name
        assert cls.port_specs(params), name
        assert "power_loss" in faults_of(cls), name
