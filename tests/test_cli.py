"""The iotlab command: exit codes, messages and outputs a user sees."""

import json
import os
import subprocess
import sys
import time

from sim.rooms import ROOMS, scenario_dir


def test_help_is_fast():
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sim.cli", "--help"], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    assert done.returncode == 0 and "run" in done.stdout and "validate" in done.stdout
    assert elapsed < 0.5, f"iotlab --help took {elapsed:.2f} s"


def test_no_command_prints_help_and_exits_2(cli):
    code, out, _ = cli()
    assert code == 2 and "usage: iotlab" in out


def test_rooms_lists_all_eight_with_availability(cli):
    code, out, _ = cli("rooms")
    assert code == 0
    for room in ROOMS:
        assert room.id in out
    assert "available" in out and "planned" in out


def test_run_a_room_prints_a_summary_and_writes_trace_and_csv(cli, tmp_path):
    trace, table = tmp_path / "t.jsonl", tmp_path / "s.csv"
    code, out, err = cli("run", "sensor-lab", "--until", "90s", "--trace", str(trace), "--csv", str(table),
                         "--mqtt", "off")
    assert code == 0, err
    assert "1m30s simulated" in out and "samples" in out and "frames lost" in out and "alarms" in out
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    assert records[0]["kind"] == "run.start" and records[-1]["kind"] == "run.end"
    assert records[-1]["t"] == 90.0
    assert all(list(r)[:3] == ["t", "src", "kind"] for r in records)
    rows = table.read_text().splitlines()
    assert rows[0] == "t,device,field,value,via" and len(rows) > 400


def test_the_summary_says_what_boards_and_displays_show(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")                  # one table row a device
    code, out, err = cli("run", "embedded-lab", "--until", "25s", "--headless", "--mqtt", "off")
    assert code == 0, err
    rows = {line.split("│")[1].strip(): line.split("│")[4].strip() for line in out.splitlines()
            if line.count("│") >= 5}
    assert rows["keys"] == "LED2 on; console: press 3"
    assert rows["blink"] in ("LED1 on", "LED1 off") and rows["relayboard"].startswith("BUZZER off, RELAY ")
    assert rows["lcd1"].startswith("LCD: T ") and " | L " in rows["lcd1"]
    assert rows["oled1"].startswith("OLED: SHT31") and rows["mbboard"].startswith("RS485_DE off; console: T ")


def test_run_a_file(cli, tmp_path):
    path = scenario_dir() / "rooms" / "sensor-lab.yaml"
    code, out, _ = cli("run", str(path), "--until", "10s", "--quiet", "--mqtt", "off")
    assert code == 0 and "10s simulated" in out


def test_unknown_room_suggests_and_exits_2(cli):
    code, _, err = cli("run", "sensor-lap")
    assert code == 2 and "did you mean 'sensor-lab'?" in err


def test_planned_room_says_it_is_not_available(cli):
    code, _, err = cli("run", "design-lab")
    assert code == 2 and "not available yet" in err and "sensor-lab" in err


def test_bad_speed_and_until_exit_2(cli):
    assert cli("run", "sensor-lab", "--speed", "fast!")[0] == 2
    code, _, err = cli("run", "sensor-lab", "--until", "ten minutes")
    assert code == 2 and "--until" in err and "90s, 10m" in err


def test_unwritable_trace_exits_2(cli, tmp_path):
    code, _, err = cli("run", "sensor-lab", "--until", "5s", "--trace", str(tmp_path / "no" / "dir" / "t.jsonl"),
                       "--mqtt", "off")
    assert code == 2 and "cannot write" in err


def test_validate_exit_codes(cli, tmp_path):
    good = scenario_dir() / "rooms" / "sensor-lab.yaml"
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nroom: {size_m: [5, 5]}\ndevices:\n  - {id: a, type: dht222}\n")
    code, out, err = cli("validate", str(good))
    assert code == 0 and "ok (31 devices" in out
    code, out, err = cli("validate", str(good), str(bad))
    assert code == 2 and f"{bad}:4:19: unknown device type 'dht222' (did you mean dht22 or dht11?)" in err


def test_devices_catalogue_and_detail(cli):
    code, out, _ = cli("devices")
    assert code == 0 and "rs485_th" in out and "gateway" in out
    code, out, _ = cli("devices", "rs485_th")
    assert code == 0 and "address" in out and "power_loss" in out and "rs485" in out
    code, _, err = cli("devices", "rs458_th")
    assert code == 2 and "did you mean rs485_th" in err


def test_schema_reference_in_scenarios_is_current(cli):
    code, out, _ = cli("schema")
    assert code == 0
    shipped = (scenario_dir() / "REFERENCE.md").read_text(encoding="utf-8")
    assert out == shipped, "scenarios/REFERENCE.md is stale: run `iotlab schema -o scenarios/REFERENCE.md`"
    for key in ("poll_period_s", "size_m", "noise_tau_s", "range_low_c", "wire_break"):
        assert key in out


def test_argument_errors_exit_2():
    done = subprocess.run([sys.executable, "-m", "sim.cli", "frobnicate"], capture_output=True, text=True)
    assert done.returncode == 2 and "invalid choice" in done.stderr


def test_a_full_disk_is_reported_not_a_traceback(cli):
    code, out, err = cli("run", "sensor-lab", "--until", "20m", "--trace", "/dev/full", "--quiet", "--mqtt", "off")
    assert code == 1 and "No space left on device" in err and "Traceback" not in err
    assert "samples" in out                    # the summary still shows what ran


def test_a_negative_seed_is_refused():
    done = subprocess.run([sys.executable, "-m", "sim.cli", "run", "sensor-lab", "--seed", "-1"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "seeds are whole numbers >= 0" in done.stderr


def test_run_publishes_to_mqtt_by_default_and_says_where():
    from sim.mqtt.broker import free_port
    nobody = free_port()                       # no broker answers here: a private one is started
    env = dict(os.environ, IOTLAB_MQTT_LOCAL=f"127.0.0.1:{nobody}")
    done = subprocess.run([sys.executable, "-m", "sim.cli", "run", "sensor-lab", "--until", "30s",
                           "--lab-id", "cli-default-test"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "MQTT: mqtt://127.0.0.1:" in done.stderr and "lab 'cli-default-test'" in done.stderr
    assert "started for this run" in done.stderr and f":{nobody} " not in done.stderr
    assert "mosquitto_sub -h 127.0.0.1" in done.stderr and "messages published" in done.stderr
