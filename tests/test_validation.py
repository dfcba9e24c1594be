"""Every problem in a scenario file: one line, file:line:col, what is wrong and what is allowed."""

import pytest

from sim.scenario import ScenarioError, load
from sim.scenario.loader import MAX_BYTES, MAX_DEPTH

GOOD = """
name: Mini
room: {size_m: [10, 7]}
devices:
  - {id: gw, type: gateway, pos_m: [1, 1]}
  - {id: th1, type: rs485_th, pos_m: [2, 2]}
wiring:
  - gw.rs485 -> th1.rs485
"""


def problems(write_scenario, body):
    path = write_scenario(body)
    with pytest.raises(ScenarioError) as info:
        load(path)
    return [p.format(path.name) for p in info.value.problems]


def test_a_good_file_loads(write_scenario):
    scenario, _ = load(write_scenario(GOOD))
    assert [d.id for d in scenario.devices] == ["gw", "th1"]
    assert scenario.lab == "lab"          # from the file name


def test_typo_in_a_key_suggests_the_right_one(write_scenario):
    lines = problems(write_scenario, GOOD + "duraton: 10m\n")
    assert len(lines) == 1 and lines[0].startswith(
        "lab.yaml:8:1: unknown key 'duraton'; did you mean 'duration'? allowed here: name, lab, "
        "description, seed, duration, room")
    assert all(key in lines[0] for key in ("environment", "devices", "wiring", "faults", "tasks", "variables"))


def test_wrong_type_names_the_key_and_what_it_must_be(write_scenario):
    lines = problems(write_scenario, GOOD.replace("size_m: [10, 7]", "size_m: [ten, 7]"))
    assert lines == ["lab.yaml:2:17: size_m x is 'ten'; it must be a number"]


def test_missing_required_field(write_scenario):
    lines = problems(write_scenario, GOOD.replace("name: Mini\n", ""))
    assert lines == ["lab.yaml:1:1: missing required key 'name'; add it, e.g. name: Sensor application room"]


def test_duplicate_key(write_scenario):
    lines = problems(write_scenario, GOOD.replace("name: Mini\n", "name: Mini\nseed: 1\nseed: 2\n"))
    assert lines == ["lab.yaml:3:1: duplicate key 'seed'; each key may appear once in a mapping "
                     "(the first is at line 2)"]


def test_negative_period(write_scenario):
    lines = problems(write_scenario, GOOD.replace("pos_m: [1, 1]}", "pos_m: [1, 1], poll_period_s: -1}"))
    assert lines == ["lab.yaml:4:59: poll_period_s is -1; it must be >= 0.01"]


def test_yaml_syntax_error(write_scenario):
    lines = problems(write_scenario, GOOD.replace("size_m: [10, 7]}", "size_m: [10, 7}"))
    assert len(lines) == 1
    assert lines[0].startswith("lab.yaml:2:") and "YAML syntax error" in lines[0]


def test_unknown_device_type_lists_close_matches(write_scenario):
    lines = problems(write_scenario, GOOD.replace("type: rs485_th", "type: rs458_th"))
    assert lines == ["lab.yaml:5:21: unknown device type 'rs458_th' (did you mean rs485_th or rs485_lux or rs485_co2?); "
                     "`iotlab devices` lists the catalogue"]


def test_unknown_device_parameter_suggests_and_lists_the_allowed_ones(write_scenario):
    lines = problems(write_scenario, GOOD.replace("pos_m: [2, 2]}", "pos_m: [2, 2], adress: 3}"))
    assert lines == ["lab.yaml:5:46: unknown key 'adress' for a rs485_th; did you mean 'address'? "
                     "allowed: id, type, pos_m, plan, label, address, baud, parity, turnaround_ms, supply_v"]


def test_every_problem_is_reported_in_one_pass(write_scenario):
    body = GOOD.replace("name: Mini\n", "name: Mini\nduraton: 1m\n") \
               .replace("type: rs485_th, pos_m: [2, 2]", "type: rs485_th, pos_m: [20, 2], baud: 9601") \
               + "  - gw.ai1 -> th1.rs485\n  - gw.ai2 -> nobody.out\n"
    lines = problems(write_scenario, body)
    assert len(lines) == 4, lines
    assert "unknown key 'duraton'" in lines[0]
    assert "pos_m [20.0, 2.0] is outside the room" in lines[1]
    assert "baud 9601 is not allowed; use one of 2400, 4800, 9600, 19200, 38400, 57600 or 115200" in lines[2]
    assert "no device 'nobody' to wire" in lines[3]


@pytest.mark.parametrize("wire, message", [
    ("gw.rs485 -> th1.rs48", "th1 has no port 'rs48'; did you mean 'rs485'? its ports: rs485"),
    ("gw.ai1 -> th1.rs485", "cannot wire gw.ai1 to th1.rs485: RS-485 bus can only join another RS-485 bus port"),
    ("gw.rs485 th1.rs485", "cannot read wire 'gw.rs485 th1.rs485'; write it as \"dev.port -> dev.port\""),
    ("gw.i2c -> gw.rs485", "joins a device to itself"),
    ("gx.i2c -> th1.rs485", "no device 'gx' to wire"),
])
def test_wiring_problems(write_scenario, wire, message):
    lines = problems(write_scenario, GOOD + f"  - {wire}\n")
    assert len(lines) == 1 and lines[0].startswith("lab.yaml:8:5: ") and message in lines[0], lines


def test_an_input_takes_one_wire(write_scenario):
    body = GOOD + "  - {id: t1, type: lm35}\n  - {id: t2, type: lm35}\n"
    body = body.replace("wiring:\n", "wiring:\n  - gw.ai1 -> t1.out\n  - gw.ai1 -> t2.out\n")
    body = body.replace("  - {id: t1, type: lm35}\n  - {id: t2, type: lm35}\n", "")
    body = body.replace("devices:\n", "devices:\n  - {id: t1, type: lm35}\n  - {id: t2, type: lm35}\n")
    lines = problems(write_scenario, body)
    assert lines == ["lab.yaml:10:5: gw.ai1 already has a wire; it takes 1. Use a free port"]


def test_duplicate_device_id(write_scenario):
    lines = problems(write_scenario, GOOD.replace("id: th1", "id: gw"))
    assert lines[0] == "lab.yaml:5:10: device id 'gw' is already used by device #1; ids must be unique"


def test_device_outside_the_room(write_scenario):
    lines = problems(write_scenario, GOOD.replace("pos_m: [2, 2]", "pos_m: [12, 2]"))
    assert lines == ["lab.yaml:5:38: pos_m [12.0, 2.0] is outside the room; x must be 0..10 and y 0..7 m"]


def test_supply_outside_the_datasheet_range(write_scenario):
    lines = problems(write_scenario, GOOD.replace("pos_m: [2, 2]}", "pos_m: [2, 2], supply_v: 5}"))
    assert lines == ["lab.yaml:5:5: supply_v 5 V is outside this part's 10-30 V supply range"]


@pytest.mark.parametrize("entry, message", [
    ("{at: 1m, target: th1, fault: stuk}", "rs485_th has no fault 'stuk'; did you mean 'stuck'?"),
    ("{at: 1m, target: th1, fault: wire_break}", "wire_break is a wire fault; target a port, e.g. th1.rs485"),
    ("{at: 1m, target: th1.rs485, fault: stuck}", "stuck applies to the whole device; target th1"),
    ("{at: 2m, target: gw, fault: power_loss, until: 1m}", "the fault must clear after it starts"),
    ("{at: 2m, target: th1, fault: bias}", "missing required key 'offset'"),
    ("{at: 2m, target: th1, fault: bias, offset: 1, scale: 2}",
     "unknown key 'scale' for fault bias; allowed: offset, field, at, when, target, fault, duration, until"),
    ("{at: 2m, target: th9, fault: power_loss}", "no device 'th9' to fault; did you mean 'th1'?"),
    ("{at: later, target: th1, fault: power_loss}", "at: cannot read 'later' as a duration"),
])
def test_fault_timeline_problems(write_scenario, entry, message):
    lines = problems(write_scenario, GOOD + f"faults:\n  - {entry}\n")
    assert len(lines) == 1 and lines[0].startswith("lab.yaml:9:") and message in lines[0], lines


def test_environment_problems(write_scenario):
    body = GOOD + "environment:\n  start_time: '25:00'\n  events:\n    - {at: 1m, change: {temprature: 2}}\n"
    lines = problems(write_scenario, body)
    assert lines == [
        "lab.yaml:9:15: start_time '25:00' is not a time of day; write HH:MM, e.g. 08:00",
        "lab.yaml:11:25: unknown name 'temprature'; did you mean 'temperature'? use one of 'temperature', "
        "'humidity', 'illuminance', 'co2', 'gas', 'occupancy', 'door_open', 'flame', 'water_leak', "
        "'soil_moisture', 'rain_mm_h', 'flow_l_min' or 'wind_m_s'",
    ]


def test_on_and_no_stay_strings_in_yaml_1_2(write_scenario):
    scenario, _ = load(write_scenario(GOOD.replace("name: Mini", "name: no")))
    assert scenario.name == "no"


def test_file_size_is_capped(write_scenario):
    lines = problems(write_scenario, GOOD + "#" * (MAX_BYTES + 1) + "\n")
    assert lines == [f"lab.yaml:1:1: file is over {MAX_BYTES} bytes; scenarios are capped at {MAX_BYTES} bytes"]


def test_nesting_depth_is_capped(write_scenario):
    deep = "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)
    lines = problems(write_scenario, GOOD + f"description: {deep}\n")
    assert len(lines) == 1 and "nest" in lines[0]


def test_pathological_nesting_does_not_crash(write_scenario):
    lines = problems(write_scenario, "x: " + "[" * 5000 + "]" * 5000 + "\n")
    assert len(lines) == 1 and "nest" in lines[0]


@pytest.mark.parametrize("body, message", [
    ("", "the file is empty"),
    ("- a\n- b\n", "a scenario is a mapping"),
    ("name: x\nroom: {size_m: [1, 1]}\ndevices: []\n", "devices is empty"),
])
def test_shapes_that_are_not_scenarios(write_scenario, body, message):
    lines = problems(write_scenario, body)
    assert len(lines) == 1 and message in lines[0], lines


def test_non_utf8_file(tmp_path):
    path = tmp_path / "latin.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load(path)


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="cannot read the file"):
        load(tmp_path / "nope.yaml")


def test_a_directory_is_not_a_scenario(tmp_path):
    with pytest.raises(ScenarioError) as info:
        load(tmp_path)
    assert info.value.problems[0].format(str(tmp_path)) == f"{tmp_path}: cannot read the file: it is a directory"


def test_not_a_number_is_refused(write_scenario):
    lines = problems(write_scenario, GOOD.replace("pos_m: [2, 2]}", "pos_m: [2, .nan]}"))
    assert lines == ["lab.yaml:5:42: pos_m y is nan; it must be a finite number"]


def test_infinite_parameters_are_refused(write_scenario):
    body = GOOD.replace("devices:\n", "devices:\n  - {id: pt, type: pt100_transmitter, range_high_c: .inf}\n")
    lines = problems(write_scenario, body)
    assert lines == ["lab.yaml:4:53: range_high_c is inf; it must be a finite number"]


def test_an_alias_bomb_is_stopped_quickly(write_scenario):
    import time
    levels = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]']
    levels += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    start = time.perf_counter()
    lines = problems(write_scenario, "\n".join(levels) + "\n" + GOOD)
    assert time.perf_counter() - start < 2
    assert lines == ["lab.yaml:1:1: the file expands to more than 200000 values (through anchors and aliases); "
                     "scenarios are far smaller"]


def test_anchors_and_aliases_are_fine_in_moderation(write_scenario):
    body = GOOD.replace("  - {id: gw, type: gateway, pos_m: [1, 1]}",
                        "  - &gw {id: gw, type: gateway, pos_m: [1, 1]}\n  - {<<: *gw, id: gw2}")
    scenario, _ = load(write_scenario(body))
    assert [d.id for d in scenario.devices] == ["gw", "gw2", "th1"]


def test_a_recursive_alias_gets_a_located_line(write_scenario):
    lines = problems(write_scenario, GOOD + "description: &d [1, *d]\n")
    assert lines == ["lab.yaml:8:14: description must be text, got [1, None]"]


def test_yaml_tags_are_refused(write_scenario):
    lines = problems(write_scenario, GOOD.replace("name: Mini", "name: !!python/object:os.system x"))
    assert lines == ["lab.yaml:1:7: YAML tag 'tag:yaml.org,2002:python/object:os.system' is not allowed in a "
                     "scenario; remove it (values are plain text, numbers, lists and mappings)"]


def test_keys_must_be_text(write_scenario):
    assert problems(write_scenario, GOOD + "5: x\n") == [
        'lab.yaml:8:1: key 5 is not a name; keys are text (quote it if you meant the text "5")']


def test_a_device_file_is_not_read_forever(tmp_path):
    with pytest.raises(ScenarioError, match="not a regular file"):
        load("/dev/zero")


@pytest.mark.parametrize("body, message", [
    ("environment: {temperature: {noise_tau_s: 0.000001}}", "noise_tau_s is 1e-06; it must be >= 10"),
    ("environment: {humidity: {min: 50, max: 10}}", "min (50) must be below max (10)"),
    ("environment: {co2: {min: 20000}}", "co2: min 20000 must be below max 10000"),
    ("lab: a/#/+/b", "lab 'a/#/+/b' is not a valid name"),
    ("wiring: [5]", 'entry 1 of wiring: must be text "dev.port -> dev.port" or a mapping {wire:'),
    ("wiring: [{wire: gw.rs485 -> th1.rs485, length_m: -3}]", "length_m is -3; it must be > 0"),
    ("wiring: [{wire: gw.rs485 -> th1.rs485, swap_ab: true, lenght_m: 3}]", "did you mean 'length_m'?"),
])
def test_more_values_that_cannot_work(write_scenario, body, message):
    text = GOOD.replace("wiring:\n  - gw.rs485 -> th1.rs485\n", "") + body + "\n"
    lines = problems(write_scenario, text)
    assert len(lines) == 1 and message in lines[0], lines


def test_a_fault_on_a_reading_the_sensor_lacks(write_scenario):
    body = GOOD.replace("type: rs485_th", "type: lm35").replace("gw.rs485 -> th1.rs485", "gw.ai1 -> th1.out")
    lines = problems(write_scenario, body + "faults: [{at: 1m, target: th1, fault: bias, offset: 1, field: humidity_rh}]\n")
    assert lines == ["lab.yaml:8:63: lm35 has no reading 'humidity_rh'; its readings: temperature_c"]
