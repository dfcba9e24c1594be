"""Exercises that grade themselves: the check language, answers, variants, reports, the exercise library."""

import pytest

from sim.grading.answers import judge
from sim.grading.expr import ExprError, parse
from sim.grading.report import as_csv, as_html, defuse
from sim.rooms import scenario_dir
from sim.scenario import ScenarioError, build, load

EXERCISES = scenario_dir() / "exercises"

ROOM = """
name: grading
room: {size_m: [10, 10]}
environment:
  temperature: {base: 24, noise: 0, daily_amplitude: 0}
  events: [{at: 60, change: {temperature: 10}, ramp_s: 60}]
devices:
  - {id: gw, type: gateway}
  - {id: th1, type: rs485_th}
  - {id: relay1, type: relay_module, address: 3}
wiring: [gw.rs485 -> th1.rs485, th1.rs485 -> relay1.rs485]
"""


def problems(write_scenario, body):
    with pytest.raises(ScenarioError) as err:
        load(write_scenario(body))
    return [p.format("lab.yaml") for p in err.value.problems]


def graded(lab, body, until, student=None, script=None):
    """Run ``body`` for ``until`` seconds, with ``script(sim)`` driving it as a student would; the results."""
    sim, ring = lab(body)
    if script is not None:
        script(sim)
    sim.run(until)
    return {r.id: r for r in sim.grader.finish(sim.now)}


# -- the language -------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,message,col", [
    ("th1.temperature_c >> 3", "expected a value", 19),
    ("eventually(th1.online == )", "expected a value", 25),
    ("evently(th1.online == 1)", "unknown function 'evently' (did you mean eventually?)", 0),
    ("within(th1.online, 3)", "within(D, P) needs a duration first", 7),
    ("th1.online == 1 extra", "unexpected 'extra'", 16),
    ("th1 > 3", "'th1' is neither device.field nor a function", 0),
    ("", "the check is empty", 0),
])
def test_syntax_errors_say_what_and_where(text, message, col):
    with pytest.raises(ExprError) as err:
        parse(text)
    assert message in str(err.value) and err.value.col == col


def test_a_bad_check_is_a_located_error_when_the_file_is_read(write_scenario):
    body = ROOM + "tasks:\n  - {id: t, title: x, check: \"th1.temprature_c > 30 -> within(5s, relay1.do1 == 1)\"}\n"
    lines = problems(write_scenario, body)
    assert lines == ["lab.yaml:12:35: th1 has no field 'temprature_c'; did you mean 'temperature_c'? its fields: "
                     "humidity_rh, temperature_c, address, baud, online, running, reachable, faults, error, "
                     "commands, alarm"]
    body = ROOM + "tasks:\n  - {id: t, title: x, check: \"eventually(th9.online == 1)\"}\n"
    assert "lab.yaml:12:42: no device 'th9'" in problems(write_scenario, body)[0]


def test_answer_keys_and_fault_conditions_are_checked_too(write_scenario):
    body = ROOM + ("tasks:\n  - {id: t, title: x, answer: {device: th1, fault: power_lost}}\n"
                   "faults:\n  - {when: th1.temperatur_c > 30, target: th1, fault: stuck}\n")
    lines = problems(write_scenario, body)
    assert any("the answer's fault 'power_lost' is not in th1's catalogue; did you mean 'power_loss'?" in l
               for l in lines)
    assert any("th1 has no field 'temperatur_c'" in l for l in lines)


# -- checks over time ----------------------------------------------------------------------------------
def tasks(*checks):
    return ROOM + "tasks:\n" + "".join(f"  - {{id: c{i}, title: c{i}, check: \"{c}\"}}\n" for i, c in enumerate(checks))


def switch_relay_when_hot(sim, delay_s=2.0):
    """A student's app: relay on a little after the temperature passes 30 °C."""
    def watch(record):
        if record["kind"] == "sample" and record["src"] == "th1" and record["temperature_c"] > 30 \
                and not sim.devices["relay1"].coils[0] and not watch.sent:
            watch.sent = True
            sim.env.process(later(delay_s))

    def later(wait):
        yield sim.env.timeout(wait)
        sim.post("relay1", "command", {"name": "set", "args": {"output": "do1", "on": True}})
    watch.sent = False
    sim.trace.subscribe(watch)


def test_temporal_operators(lab):
    results = graded(lab, tasks(
        "th1.temperature_c > 30 -> within(5s, relay1.do1 == 1)",     # met (2 s)
        "th1.temperature_c > 30 -> within(1s, relay1.do1 == 1)",     # too slow
        "always(th1.temperature_c < 30)",                            # broken at ~90 s
        "eventually(th1.temperature_c > 33)",                        # met
        "within(30s, th1.temperature_c > 30)",                       # not in the first 30 s
        "count(event(input, relay1)) == 1",                          # judged at the end
        "th1.temperature_c > 50 -> within(1s, relay1.do1 == 0)",     # never triggered
    ), 200, script=switch_relay_when_hot)
    status = [results[f"c{i}"].status for i in range(7)]
    assert status == ["pass", "fail", "fail", "pass", "fail", "pass", "pass"]
    assert "never triggered" in results["c6"].reason
    assert "did not happen within 1s" in results["c1"].reason
    assert results["c2"].at == pytest.approx(113, abs=10)    # 30 °C in the room at 96 s, the probe lags


def test_unknown_values_neither_break_always_nor_satisfy_eventually(lab):
    results = graded(lab, tasks("always(th1.temperature_c < 100)", "eventually(relay1.do1 == 1)"), 5)
    assert results["c0"].status == "pass" and results["c1"].status == "fail"


# -- answers ---------------------------------------------------------------------------------------------
IDS = ["th1", "th2", "th1-b", "lux1", "gw"]
FAULTS = ["power_loss", "wire_break", "stuck", "ab_swapped", "reversed_polarity", "baud_mismatch", "drift",
          "clock_drift"]


@pytest.mark.parametrize("text,fault,score", [
    ("th1 AB接反", "ab_swapped", 1.0), ("th1 A/B 接反", "ab_swapped", 1.0), ("th1 接反", "ab_swapped", 1.0),
    ("th1 clock drift", "clock_drift", 1.0), ("th1 clock drift", "drift", 0.5), ("th1 drift", "drift", 1.0),
])
def test_a_longer_fault_phrase_wins_over_the_words_inside_it(text, fault, score):
    assert judge(text, {"device": "th1", "fault": fault}, IDS, FAULTS)[0] == score


@pytest.mark.parametrize("text,score", [
    ("th1 power loss", 1.0), ("TH1: Power-Loss", 1.0), ("温湿度传感器 th1 断电", 1.0), ("Ｔｈ１ 掉电了", 1.0),
    ("th1 has no power", 1.0), ("th1 and th2 have no power", 0.5), ("th11 no power", 0.5),
    ("th1 wire broken", 0.5), ("gw", 0.0), ("", 0.0),
    ("th1 断电 断线 卡死", 0.5),                         # listing every fault names none of them
    ("th1 not power loss, it is a wire break", 0.5), ("th1 供电正常，是线断了", 0.5),
    ("th1-b 断电", 0.5),                                  # th1-b is another device
])
def test_answers_are_matched_with_tolerance(text, score):
    assert judge(text, {"device": "th1", "fault": "power_loss"}, IDS, FAULTS)[0] == score


# -- variants --------------------------------------------------------------------------------------------
def test_each_student_gets_a_variant_the_same_every_time():
    path = EXERCISES / "dead-sensor.yaml"
    variants = {s: load(path, student=s)[0]._variant for s in ("s01", "s02", "s03", "s04", "s05", "s06")}
    assert variants["s01"] == load(path, student="s01")[0]._variant
    assert len({tuple(v.items()) for v in variants.values()}) >= 4
    scenario = load(path, student="s03")[0]
    assert scenario.faults[0].target == variants["s03"]["victim"] and scenario.faults[0].at == variants["s03"]["at_s"]


def test_an_unknown_variable_is_a_located_error(write_scenario):
    lines = problems(write_scenario, ROOM + "faults: [{at: 10, target: \"${victim}\", fault: power_loss}]\n")
    assert lines == ["lab.yaml:11:27: unknown variable ${victim}; variables: none (add a variables: block)"]


def test_the_teachers_key_lists_every_students_variant(cli):
    code, out, _ = cli("key", str(EXERCISES / "dead-sensor.yaml"), "--students", "s01,s02", "--format", "csv")
    rows = out.strip().splitlines()
    assert code == 0 and rows[0] == "student,victim,at_s,answer:which" and rows[1].startswith("s01,")
    victim = load(EXERCISES / "dead-sensor.yaml", student="s02")[0]._variant["victim"]
    assert rows[2].startswith(f"s02,{victim},") and rows[2].endswith(f"{victim} power_loss")


# -- reports ---------------------------------------------------------------------------------------------
def test_csv_cells_cannot_become_formulas_and_html_is_escaped():
    assert defuse("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")" and defuse("@SUM(A1)") == "'@SUM(A1)"
    assert defuse("s01") == "s01" and defuse(-3) == "'-3"
    report = {"student": "=cmd|' /C calc'!A0", "lab": "l", "scenario": "<b>x</b>", "score": 1, "points": 2,
              "tasks": [{"id": "t", "title": {"en": "<script>alert(1)</script>"}, "points": 2, "score": 1,
                         "status": "partial", "reason": "a & b", "at": 3.0}],
              "timeline": [{"t": 1.0, "src": "$student", "kind": "answer", "text": "<img src=x>"}]}
    assert as_csv([report]).splitlines()[1].startswith("'=cmd|' /C calc'!A0,")
    page = as_html([report])
    assert "<script>" not in page and "&lt;script&gt;" in page and "<img" not in page and "a &amp; b" in page


# -- the exercise library: a student who solves each, and one who does not ---------------------------------------
def run_exercise(name, student, script, until=None):
    scenario, _ = load(EXERCISES / f"{name}.yaml", student=student)
    sim = build(scenario)
    script(sim, scenario._variant)
    sim.run(until or scenario.duration)
    results = {r.id: r for r in sim.grader.finish(sim.now)}
    sim.close()
    return results


def answer_at(sim, t, task, text):
    def go():
        yield sim.env.timeout(t)
        sim.post("$sim", "answer", {"task": task, "text": text})
    sim.env.process(go())


def test_dead_sensor_full_and_partial_marks():
    full = run_exercise("dead-sensor", "s07", lambda sim, v: answer_at(sim, 400, "which", f"{v['victim']} 断电"))
    assert sum(r.score for r in full.values()) == 12
    part = run_exercise("dead-sensor", "s07", lambda sim, v: answer_at(sim, 400, "which", f"{v['victim']} wire broken"))
    assert part["which"].score == 5 and part["which"].status == "partial"
    assert "names wire_break, not the fault" in part["which"].reason


def test_bus_trouble_full_and_partial_marks():
    def solve(sim, v):
        answer_at(sim, 300, "which", f"{v['victim']} baud rate wrong")
        sim.env.process(stats(sim))

    def stats(sim):
        yield sim.env.timeout(250)
        sim.post("gw", "command", {"name": "stats", "args": {}})
    full = run_exercise("bus-trouble", "s11", solve)
    assert sum(r.score for r in full.values()) == 12
    part = run_exercise("bus-trouble", "s11", lambda sim, v: answer_at(sim, 300, "which", "th1 and co2 are dead"))
    assert part["stats"].status == "fail" and part["which"].score < 10
    assert sum(r.score for r in part.values()) < 12


def fan_app(switch_off: bool):
    """A student's app on the CO2 telemetry: fan on above 800 ppm, and (if it is right) off below 650."""
    def script(sim, _variant):
        def watch(record):
            if record["kind"] != "sample" or record["src"] != "co2":
                return
            on = sim.devices["relay1"].coils[0]
            if record["co2_ppm"] > 800 and not on:
                sim.post("relay1", "command", {"name": "set", "args": {"output": "do1", "on": True}})
            elif switch_off and record["co2_ppm"] < 650 and on:
                sim.post("relay1", "command", {"name": "set", "args": {"output": "do1", "on": False}})
        sim.trace.subscribe(watch)
    return script


def test_fan_on_co2_full_and_partial_marks():
    full = run_exercise("fan-on-co2", "", fan_app(switch_off=True))
    assert {k: r.status for k, r in full.items()} == {"fan-on": "pass", "fan-off": "pass", "used": "pass"}
    part = run_exercise("fan-on-co2", "", fan_app(switch_off=False))
    assert part["fan-on"].status == "pass" and part["fan-off"].status == "fail"
    assert "did not happen within 60s" in part["fan-off"].reason


def test_zero_one_values_break_always_and_start_known(lab):
    body = tasks("always(relay1.do1 == 0)", "always(th1.online)", "gw.commands == 0", "th1.faults == 0",
                 "always(th1.running == 1)")
    results = graded(lab, body + "faults: [{at: 50, target: th1, fault: power_loss}]\n", 100,
                     script=switch_relay_when_hot)
    assert results["c0"].status == "pass"               # not hot yet by 100 s: the relay never closed
    assert results["c1"].status == "fail" and results["c1"].at == 50
    assert results["c2"].status == "pass" and results["c3"].status == "fail"
    assert results["c4"].status == "fail"               # power_loss stops the firmware too


def test_back_to_back_events_each_count(lab):
    def three_commands(sim):
        sim.post("relay1", "command", {"name": "set", "args": {"output": "do1", "on": True}})
        sim.post("relay1", "command", {"name": "set", "args": {"output": "do2", "on": True}})
        sim.post("relay1", "command", {"name": "set", "args": {"output": "do3", "on": True}})
    results = graded(lab, tasks("count(event(input, relay1)) == 3",
                                "event(input, relay1) -> within(1s, relay1.do1 == 1)"), 5, script=three_commands)
    assert results["c0"].status == "pass", results["c0"].reason
    assert results["c1"].status == "pass" and "3 time(s)" in results["c1"].reason


def test_a_crash_leaves_the_device_powered_but_not_running(lab):
    results = graded(lab, tasks("always(gw.online == 1)", "always(gw.running == 1)")
                     + "faults: [{at: 5, target: gw, fault: crash, duration: 5}]\n", 20)
    assert results["c0"].status == "pass" and results["c1"].status == "fail"


@pytest.mark.parametrize("check,message", [
    ("not eventually(th1.online == 1)", "eventually() cannot stand inside an expression"),
    ("eventually(th1.online == 1) -> within(2s, relay1.do1 == 1)", "eventually() cannot stand on the left of ->"),
    ("always(th1.online == 1 -> within(2s, relay1.do1 == 1))", "-> cannot stand inside always()"),
    ("count(eventually(th1.online == 1)) > 1", "eventually() cannot stand inside count()"),
    ("eventually(event(fault_on, th1))", "no record kind 'fault_on'; did you mean 'fault.on'?"),
    ("(" * 500 + "1" + ")" * 500, "nests too deeply"),
])
def test_temporal_operators_in_the_wrong_place_are_refused_at_validation(write_scenario, check, message):
    lines = problems(write_scenario, ROOM + f"tasks:\n  - {{id: t, title: x, check: \"{check}\"}}\n")
    assert len(lines) == 1 and message in lines[0], lines


def test_a_when_condition_takes_no_temporal_operator(write_scenario):
    lines = problems(write_scenario, ROOM + "faults: [{when: \"eventually(th1.online == 1)\", target: th1, "
                                            "fault: stuck}]\n")
    assert "eventually() cannot stand in a condition (when:)" in lines[0]


def test_every_variant_is_checked_when_the_file_is_read(write_scenario):
    body = ROOM + ("variables:\n  victim: {choice: [th1, relay1, th9]}\n"
                   "faults: [{at: 10, target: \"${victim}\", fault: power_loss}]\n")
    lines = problems(write_scenario, body)
    assert len(lines) == 1 and "no device 'th9' to fault" in lines[0]      # whichever variant drew it


def test_number_choices_stay_whole_in_text(write_scenario):
    path = write_scenario(ROOM.replace("  - {id: th1, type: rs485_th}", "  - {id: th1, type: rs485_th}\n"
                                       "  - {id: th3, type: rs485_th, address: 3}")
                          + "variables:\n  n: {choice: [1, 3]}\ntasks:\n"
                            "  - {id: t, title: x, answer: {device: \"th${n}\"}}\n")
    devices = {load(path, student=s)[0].tasks[0].answer.device for s in ("a", "b", "c", "d", "e", "f")}
    assert devices == {"th1", "th3"}


def test_every_dead_sensor_variant_can_get_full_marks():
    for student in ("s01", "s02", "s03", "s04", "s05", "s10"):
        results = run_exercise("dead-sensor", student,
                               lambda sim, v: answer_at(sim, 450, "which", f"{v['victim']} 断电"))
        assert sum(r.score for r in results.values()) == 12, (student, results)


def test_a_brownout_dip_must_fit_in_its_period(write_scenario):
    lines = problems(write_scenario, ROOM + "faults: [{at: 1, target: th1, fault: brownout, period_s: 1, dip_s: 2}]\n")
    assert "dip_s (2) must be shorter than period_s (1)" in lines[0]


def test_clearing_and_reinjecting_an_intermittent_fault_runs_one_cycle(lab):
    from sim.faults import clear, inject
    sim, ring = lab(ROOM)
    inject(sim, "th1", "brownout", {"period_s": 10, "dip_s": 1})
    sim.run(5)
    clear(sim, "th1", "brownout")
    inject(sim, "th1", "brownout", {"period_s": 10, "dip_s": 1})
    sim.run(100)
    offline = [r["t"] for r in ring.records if r["kind"] == "state" and r["src"] == "th1"
               and r["state"] == "offline" and "via" not in r]
    assert 9 <= len(offline) <= 10                      # one dip per 10 s, not two


def test_clearing_a_loose_contact_while_open_closes_it_at_once(lab):
    from sim.faults import clear, inject
    sim, _ = lab(ROOM.replace("wiring: [", "  - {id: pt1, type: pt100_transmitter}\nwiring: [gw.ai1 -> pt1.loop, "))
    link = sim.devices["pt1"].links["loop"][0]
    inject(sim, "pt1.loop", "loose_contact", {"open_s": 3000, "closed_s": 0.1})
    sim.run(60)
    assert link.broken
    clear(sim, "pt1.loop", "loose_contact")
    assert not link.broken


def test_reports_show_student_text_as_it_is(cli, tmp_path):
    from sim import JsonlSink
    scenario, _ = load(EXERCISES / "dead-sensor.yaml", student="s07")
    path = tmp_path / "t.jsonl"
    sink = JsonlSink(str(path))
    sim = build(scenario, sinks=[sink])
    answer_at(sim, 100, "which", "lux1 [/bold] 断电")
    sim.run(200)
    sim.emit("$sim", "run.end", until=sim.now)
    sim.trace.flush()
    sink.close()
    sim.close()
    code, out, err = cli("check", str(EXERCISES / "dead-sensor.yaml"), "--trace", str(path))
    assert code == 0 and "[/bold]" in out, err
    code, _, err = cli("check", str(EXERCISES / "dead-sensor.yaml"), "--trace", str(path), "--student", "s08")
    assert code == 2 and "is student 's07''s run, not 's08''s" in err
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(path.read_bytes()[:200] + b"\n[1, 2]\n")
    code, _, err = cli("check", str(EXERCISES / "dead-sensor.yaml"), "--trace", str(bad))
    assert code == 2 and "not a trace" in err


# -- the wireless room's exercises -----------------------------------------------------------------------
def test_zigbee_dropout_full_and_partial_marks():
    words = {"interference": "干扰", "power_loss": "断电"}
    for student in ("s01", "s02", "s04"):
        full = run_exercise("zigbee-dropout", student,
                            lambda sim, v: answer_at(sim, 400, "which", f"{v['victim']} {words[v['what']]}"))
        assert full["which"].score == 10, (student, full["which"].reason)
    part = run_exercise("zigbee-dropout", "s02", lambda sim, v: answer_at(sim, 400, "which", "zc is jammed"))
    assert part["which"].score == 0 and "names zc, not the faulty device" in part["which"].reason


def join_wifi(sim, _variant):
    """A student at esp1's terminal: station mode, join IoT-Lab."""
    from sim.uart import attach
    heard = bytearray()
    adapter = attach(sim.devices["esp1"], "uart", heard.extend, None)

    def type_in():
        yield sim.env.timeout(5)
        adapter.write(b"AT+CWMODE=1\r\n")
        yield sim.env.timeout(1)
        adapter.write(b'AT+CWJAP="IoT-Lab","iot12345"\r\n')
    sim.env.process(type_in())


def test_wifi_join_full_and_partial_marks():
    def solve(sim, v):
        join_wifi(sim, v)
        answer_at(sim, 500, "why", f"esp2 {'欠压' if v['what'] == 'brownout' else '反复重启'}")
    for student in ("s01", "s02"):
        full = run_exercise("wifi-join", student, solve)
        assert sum(r.score for r in full.values()) == 12, (student, {k: r.reason for k, r in full.items()})
    part = run_exercise("wifi-join", "s01", lambda sim, v: answer_at(sim, 500, "why", "esp2 has a weak signal"))
    assert part["join"].status == "fail" and part["why"].score == 3
