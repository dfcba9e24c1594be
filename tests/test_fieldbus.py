"""Field-bus faults with their bench symptoms, the Modbus function set, DAQ and relay modules, linkage rules."""

import pytest

from devices.modbus import (RegisterSlave, crc_ok, exception_reply, read_request, with_crc, write_coil_request,
                            write_coils_request, write_registers_request)
from sim.buses import termination_error_rate, uart_line

BASE = """
name: bus
room: {size_m: [10, 10]}
environment:
  temperature: {base: 22, noise: 0, daily_amplitude: 0}
  humidity: {base: 50, noise: 0, daily_amplitude: 0}
devices:
  - {id: gw, type: gateway}
  - {id: th1, type: rs485_th}
"""


def kind(ring, k, src=None):
    return [r for r in ring.records if r["kind"] == k and (src is None or r["src"] == src)]


# -- the UART and the line --------------------------------------------------------------------
def test_a_uart_at_the_right_settings_hears_the_frame_exactly():
    frame = bytes.fromhex("01030000000 2C40B".replace(" ", ""))
    assert uart_line(frame, 9600, "N", 9600, "N") == (frame, 0)


@pytest.mark.parametrize("rx", [(4800, "N"), (19200, "N"), (9600, "E"), (115200, "N")])
def test_another_speed_or_parity_hears_garbage_with_framing_errors(rx):
    frame = bytes.fromhex("010300000002C40B")
    heard, errors = uart_line(frame, 9600, "N", *rx)
    assert heard != frame and not crc_ok(heard)
    assert errors > 0


def test_a_crossed_pair_hears_garbage_never_the_frame():
    frame = bytes.fromhex("010300000002C40B")
    heard, _ = uart_line(frame, 9600, "N", 9600, "N", inverted=True)
    assert heard != frame and not crc_ok(heard)


def test_reflections_matter_only_on_long_fast_unterminated_buses():
    assert termination_error_rate(1200, 9600, 0) == 0.0
    assert termination_error_rate(10, 9600, 1) < 1e-5
    assert 0.005 < termination_error_rate(1200, 9600, 1) < 0.05
    assert termination_error_rate(1200, 115200, 1) == 0.5


# -- Modbus functions -------------------------------------------------------------------------------
def relay_slave():
    coils, inputs = [0] * 4, [1, 0, 1, 0]

    def write_coil(i, v, dry=False):
        if not 0 <= i < 4:
            return "address"
        if not dry:
            coils[i] = v
    return RegisterSlave(None, None, read_coil=lambda i: coils[i] if 0 <= i < 4 else None,
                         write_coil=write_coil, read_discrete=lambda i: inputs[i] if 0 <= i < 4 else None), coils


def test_relay_module_vectors_from_the_protocol_sheet():
    slave, coils = relay_slave()
    assert read_request(3, 1, 0, 4).hex(" ").upper() == "03 01 00 00 00 04 3C 2B"
    assert write_coil_request(3, 0, True).hex(" ").upper() == "03 05 00 00 FF 00 8D D8"
    assert write_coil_request(3, 0, False).hex(" ").upper() == "03 05 00 00 00 00 CC 28"
    on = write_coil_request(3, 0, True)
    assert slave.answer(3, on) == on and coils == [1, 0, 0, 0]          # FC05 echoes the request
    assert slave.answer(3, read_request(3, 1, 0, 4)) == with_crc(bytes([3, 1, 1, 0b0001]))
    assert slave.answer(3, read_request(3, 2, 0, 4)) == with_crc(bytes([3, 2, 1, 0b0101]))


def test_fc15_writes_many_coils_and_answers_with_the_range():
    slave, coils = relay_slave()
    reply = slave.answer(3, write_coils_request(3, 1, [True, True, False]))
    assert reply == with_crc(bytes.fromhex("030F00010003")) and coils == [0, 1, 1, 0]


def test_exceptions_01_02_03():
    slave, _ = relay_slave()
    assert slave.answer(3, write_registers_request(3, 0, [1])) == exception_reply(3, 0x10, 1)   # no registers
    assert slave.answer(3, read_request(3, 1, 2, 4)) == exception_reply(3, 1, 2)                # past coil 3
    assert slave.answer(3, read_request(3, 1, 0, 0)) == exception_reply(3, 1, 3)                # count 0
    bad_value = with_crc(bytes.fromhex("030500001234"))                                         # not FF00/0000
    assert slave.answer(3, bad_value) == exception_reply(3, 5, 3)
    assert slave.answer(4, read_request(3, 1, 0, 4)) is None                                    # not its address
    assert slave.answer(3, read_request(3, 1, 0, 4)[:-1] + b"\x00") is None                     # bad CRC


def test_fc16_writes_the_transmitter_config_registers(lab):
    sim, _ = lab(BASE + "wiring: [gw.rs485 -> th1.rs485]\n")
    th1 = sim.devices["th1"]
    assert th1._slave.answer(1, write_registers_request(1, 2, [9])) == with_crc(bytes.fromhex("011000020001"))
    assert th1._pending == {"address": 9}


# -- bench faults on a running bus ---------------------------------------------------------------------
def test_a_wire_with_a_and_b_swapped_is_silence(lab):
    sim, ring = lab(BASE + "wiring: [{wire: gw.rs485 -> th1.rs485, swap_ab: true}]\n")
    sim.run(3)
    assert not kind(ring, "sample")
    assert [r["reason"] for r in kind(ring, "frame.lost", "gw")] == ["timeout"] * 3
    assert kind(ring, "frame.lost", "th1")          # it heard something, not a frame


def test_swapping_a_and_b_as_a_fault_and_putting_it_right(lab):
    sim, ring = lab(BASE + "wiring: [gw.rs485 -> th1.rs485]\n"
                    "faults: [{at: 2.5, target: th1.rs485, fault: ab_swapped, duration: 3}]\n")
    sim.run(10)
    times = [round(r["t"]) for r in kind(ring, "sample")]
    assert {0, 1, 2} <= set(times) and not {3, 4, 5} & set(times) and {6, 7, 8, 9} <= set(times)


def test_missing_termination_on_a_long_cable_gives_intermittent_crc_errors(lab):
    body = BASE.replace("type: gateway}", "type: gateway, poll_period_s: 0.1}")
    sim, ring = lab(body + "wiring: [{wire: gw.rs485 -> th1.rs485, length_m: 1200}]\n"
                    "faults: [{at: 0, target: th1.rs485, fault: no_termination}]\n")
    sim.run(60)
    polls = len(kind(ring, "frame.tx", "gw"))
    lost = len(kind(ring, "frame.lost", "gw"))
    samples = len(kind(ring, "sample"))
    assert 0.03 < lost / polls < 0.6 and samples > polls // 2
    reasons = {r["reason"] for r in kind(ring, "frame.lost", "gw")}
    assert reasons <= {"crc", "timeout", "malformed", "address"} and "crc" in reasons | {"timeout"}
    stats = sim.devices["gw"].command("stats", {})["slaves"]["th1"]
    assert stats["ok"] == samples and stats["crc_errors"] + stats["timeouts"] == lost


def test_a_short_terminated_cable_never_loses_a_frame(lab):
    sim, ring = lab(BASE.replace("type: gateway}", "type: gateway, poll_period_s: 0.1}")
                    + "wiring: [{wire: gw.rs485 -> th1.rs485, length_m: 1200}]\n")
    sim.run(30)
    assert not kind(ring, "frame.lost")


def test_an_address_conflict_makes_replies_collide(lab):
    sim, ring = lab(BASE + "  - {id: th2, type: rs485_th, address: 2}\n"
                    "wiring: [gw.rs485 -> th1.rs485, th1.rs485 -> th2.rs485]\n"
                    "faults: [{at: 5, target: th2, fault: address_conflict, address: 1}]\n")
    sim.run(8)
    late = [r for r in kind(ring, "frame.lost", "gw") if r["t"] > 5]
    assert {r["reason"] for r in late} == {"collision", "timeout"}      # 1 collides, 2 is gone
    assert all(r["senders"] == ["th1", "th2"] for r in late if r["reason"] == "collision")


def test_a_wrong_register_map_gives_plausible_nonsense(lab):
    sim, ring = lab(BASE + "wiring: [gw.rs485 -> th1.rs485]\n"
                    "faults: [{at: 2.5, target: th1, fault: wrong_register_map, shift: 1}]\n")
    sim.run(5)
    before, after = kind(ring, "sample")[0], kind(ring, "sample")[-1]
    assert before["humidity_rh"] == pytest.approx(50, abs=3)
    assert after["humidity_rh"] == pytest.approx(22, abs=1)            # the temperature register
    assert after["temperature_c"] == 0.1                                # the address register, 1 / 10


def test_baud_mismatch_fault_and_clearing_it(lab):
    sim, ring = lab(BASE + "wiring: [gw.rs485 -> th1.rs485]\n"
                    "faults: [{at: 2.5, target: th1, fault: baud_mismatch, baud: 19200, duration: 3}]\n")
    sim.run(9)
    times = {round(r["t"]) for r in kind(ring, "sample")}
    assert {0, 1, 2, 6, 7, 8} <= times and not {3, 4, 5} & times
    assert {r["reason"] for r in kind(ring, "frame.lost", "th1")} <= {"framing", "crc"}


def test_rs485_wire_faults_are_refused_on_other_wires(write_scenario):
    from sim.scenario import ScenarioError, load
    path = write_scenario(BASE + "  - {id: t1, type: lm35}\nwiring: [gw.ai1 -> t1.out]\n"
                          "faults: [{at: 1, target: t1.out, fault: ab_swapped}]\n")
    with pytest.raises(ScenarioError) as err:
        load(path)
    assert "lm35 has no fault 'ab_swapped'" in str(err.value)


# -- analog ranges ---------------------------------------------------------------------------------------
ANALOG = """
name: ai
room: {size_m: [10, 10]}
environment:
  temperature: {base: 50, noise: 0, daily_amplitude: 0}
devices:
  - {id: gw, type: gateway%s}
  - {id: pt1, type: pt100_transmitter}
  - {id: t1, type: lm35}
wiring: [gw.ai1 -> pt1.loop, gw.ai2 -> t1.out]
"""


def test_the_default_ranges_read_right(lab):
    sim, ring = lab(ANALOG % "")
    sim.run(400)
    last = {r["src"]: r for r in kind(ring, "sample")}
    assert last["pt1"]["temperature_c"] == pytest.approx(50, abs=1)
    assert last["t1"]["temperature_c"] == pytest.approx(50, abs=1)


def test_a_loop_on_a_voltage_range_reads_low_and_a_voltage_on_a_loop_range_reads_as_a_broken_loop(lab):
    sim, ring = lab(ANALOG % ", ai_ranges: {ai1: 0-10V, ai2: 4-20mA}")
    sim.run(400)
    pt = kind(ring, "sample")[-1]
    # 50 °C on -50..150 °C is 12 mA, 3 V across 250 Ω, read as 3/10 of the span: 10 °C
    assert pt["src"] == "pt1" and pt["temperature_c"] == pytest.approx(10, abs=1)
    errors = [r["error"] for r in kind(ring, "event", "t1")]
    assert errors and "< 3.6 mA" in errors[0]


def test_ai_ranges_must_name_real_inputs(write_scenario):
    from sim.scenario import ScenarioError, load
    with pytest.raises(ScenarioError) as err:
        load(write_scenario(ANALOG % ", ai_ranges: {ai9: 0-10V}"))
    assert "ai_ranges names 'ai9'; this gateway's analog inputs are ai1..ai4" in str(err.value)


# -- the DAQ module --------------------------------------------------------------------------------------
DAQ = """
name: daq
room: {size_m: [10, 10]}
environment:
  temperature: {base: 50, noise: 0, daily_amplitude: 0}
devices:
  - {id: gw, type: gateway}
  - {id: daq1, type: daq_ai, address: 5%s}
  - {id: pt1, type: pt100_transmitter}
wiring: [gw.rs485 -> daq1.rs485, daq1.ai0 -> pt1.loop]
"""


@pytest.mark.parametrize("protocol", ["modbus", "ascii"])
def test_a_loop_through_the_daq_module_reads_right_in_either_protocol(lab, protocol):
    sim, ring = lab(DAQ % f", protocol: {protocol}")
    sim.run(200)
    samples = kind(ring, "sample", "pt1")
    assert samples and samples[-1]["temperature_c"] == pytest.approx(50, abs=0.8)
    first = kind(ring, "frame.tx", "gw")[0]["data"]
    assert first == ("05 04 00 00 00 10 F0 42" if protocol == "modbus" else "23 30 35 0D")


def test_ascii_commands_and_replies(lab):
    sim, _ = lab(DAQ % ", protocol: ascii, ranges: {ai0: 4-20mA}")
    sim.run(200)
    daq = sim.devices["daq1"]

    def ask(text):
        answer = daq.rs485_receive("rs485", text.encode())
        return None if answer is None else answer[1].decode()
    reply = ask("#05\r")
    assert len(reply) == 1 + 8 * 7 + 1 and reply.endswith("+00.000\r")         # 8 channels, 7 characters each
    assert float(reply[1:8]) == pytest.approx(12.0, abs=0.1)                    # 12 mA at 50 °C
    one = ask("#050\r")
    assert one.startswith(">") and one.endswith("\r") and float(one[1:-1]) == pytest.approx(12.0, abs=0.1)
    assert ask("$052\r") == "!05070600\r"            # range 07 (4-20 mA), baud 06 (9600), format 00
    assert ask("$05M\r") == "!054017P\r"
    assert ask("$058C1\r") == "!05C1R08\r"
    assert ask("$057C1R05\r") == "!05\r" and ask("$058C1\r") == "!05C1R05\r"
    assert ask("$057C1R44\r") == "?05\r"             # no such range code: nothing changes
    assert ask("$05Z\r") == "?05\r"
    assert ask("#06\r") is None and ask("garbage\r") is None


def test_a_wrong_range_on_the_daq_reads_low_and_a_broken_loop_is_burn_out(lab):
    sim, ring = lab(DAQ % ", ranges: {ai0: ±10V}" + "\nfaults: [{at: 300, target: pt1.loop, fault: wire_break}]")
    sim.run(400)
    before = [r for r in kind(ring, "sample", "pt1") if r["t"] < 300]
    # 12 mA x 125 Ω = 1.5 V, which is 57.5 % of the ±10 V span; taken as 57.5 % of the part's 4-20 mA
    # that is 13.2 mA, and 13.2 mA on -50..150 °C reads 65 °C instead of 50: the bench symptom.
    assert before[-1]["temperature_c"] == pytest.approx(65, abs=1)
    states = [r for r in kind(ring, "state", "pt1") if r.get("via") == "gw"]
    assert states == []                              # on ±10 V an open loop is just 0 V: no burn-out


def test_burn_out_on_a_4_20_range_takes_the_part_offline(lab):
    sim, ring = lab(DAQ % "" + "\nfaults: [{at: 300, target: pt1.loop, fault: wire_break, duration: 50}]")
    sim.run(400)
    states = [r["state"] for r in kind(ring, "state", "pt1") if r.get("via") == "gw"]
    assert states == ["offline", "online"]
    assert "burn-out" in kind(ring, "event", "pt1")[0]["error"]


# -- relays and linkage ---------------------------------------------------------------------------------
LINK = """
name: link
room: {size_m: [10, 10]}
environment:
  temperature: {base: 24, noise: 0, daily_amplitude: 0}
  events: [{at: 60, change: {temperature: 10}, ramp_s: 60}]
devices:
  - {id: gw, type: gateway, rules: [{when: th1.temperature_c > 30, then: relay1.do1 on, hysteresis: 1}]}
  - {id: th1, type: rs485_th}
  - {id: relay1, type: relay_module, address: 3}
  - {id: fan1, type: fan, cooling_c: 8, ramp_s: 60}
wiring: [gw.rs485 -> th1.rs485, th1.rs485 -> relay1.rs485, relay1.do1 -> fan1.power]
"""


def test_a_rule_switches_the_fan_with_a_real_frame_and_the_fan_cools_the_room(lab):
    sim, ring = lab(LINK)
    sim.run(600)
    rules = [(r["state"], round(r["t"])) for r in kind(ring, "rule")]
    assert [s for s, _ in rules][:2] == ["on", "off"]
    assert 60 < rules[0][1] < 200
    on_frames = [r for r in kind(ring, "frame.tx", "gw") if r["data"] == "03 05 00 00 FF 00 8D D8"]
    assert on_frames and on_frames[0]["t"] - rules[0][1] < 1.5
    fan = kind(ring, "output", "fan1")
    assert fan[0]["on"] is True and fan[1]["on"] is False
    coils = [r["do1"] for r in kind(ring, "sample", "relay1")]
    assert 1 in coils and coils[-1] == 0                       # polled back: on while cooling, off after


def test_rules_are_checked_when_the_file_is_read(write_scenario):
    from sim.scenario import ScenarioError, load
    text = LINK.replace("then: relay1.do1 on", "then: relay9.do1 on").replace("th1.temperature_c > 30",
                                                                              "th1.temperature_c >> 30")
    with pytest.raises(ScenarioError) as err:
        load(write_scenario(text))
    assert "cannot read when 'th1.temperature_c >> 30'" in str(err.value)
    with pytest.raises(ScenarioError) as err:
        load(write_scenario(LINK.replace("then: relay1.do1 on", "then: relay9.do1 on")))
    assert "rule names no device 'relay9'" in str(err.value)


def test_relays_switch_by_command_and_drop_out_without_power(lab):
    sim, ring = lab(LINK.replace("rules: [{when: th1.temperature_c > 30, then: relay1.do1 on, hysteresis: 1}]",
                                 "poll_period_s: 1") + "faults: [{at: 10, target: relay1, fault: power_loss}]\n")
    sim.run(5)
    assert sim.devices["relay1"].command("set", {"output": "do1", "on": True})["ok"]
    with pytest.raises(ValueError, match="set needs output"):
        sim.devices["relay1"].command("set", {"output": "do7", "on": True})
    sim.run(15)
    assert [r["on"] for r in kind(ring, "output", "fan1")] == [True, False]


def test_daq_input_registers_span_the_range_and_status_flags_burn_out(lab):
    sim, _ = lab(DAQ % ", ranges: {ai0: 4-20mA, ai2: 0-10V}" + "\nfaults: [{at: 100, target: pt1.loop, fault: wire_break}]")
    sim.run(90)
    daq = sim.devices["daq1"]
    slave = daq._slave
    reply = slave.answer(5, read_request(5, 4, 0, 16))
    values = [int.from_bytes(reply[3 + 2 * i:5 + 2 * i], "big") for i in range(16)]
    # 50 °C on -50..150 °C is 12 mA: half of 4-20 mA, 0x7FFF or so; nothing on ai2 reads 0 V
    assert values[0] == pytest.approx(0x7FFF, abs=0x0200) and values[2] == 0 and values[8:16] == [0] * 8
    assert slave.answer(5, read_request(5, 3, 0x0100, 3)) == with_crc(bytes([5, 3, 6, 0, 7, 0, 8, 0, 0x48]))
    sim.run(110)
    reply = slave.answer(5, read_request(5, 4, 8, 1))
    assert reply == with_crc(bytes([5, 4, 2, 0, 1]))                        # burn-out on ai0


def test_a_four_channel_daq_module_reads_too(lab):
    sim, ring = lab(DAQ % ", channels: 4")
    sim.run(100)
    assert kind(ring, "sample", "pt1")[-1]["temperature_c"] == pytest.approx(50, abs=0.8)
    assert sim.devices["gw"].command("stats", {})["slaves"]["daq1"]["exceptions"] == 0


def test_multi_writes_are_all_or_nothing(lab):
    sim, ring = lab(BASE + "  - {id: r1, type: relay_module, address: 3}\n"
                    "wiring: [gw.rs485 -> th1.rs485, th1.rs485 -> r1.rs485]\n")
    th1, r1 = sim.devices["th1"], sim.devices["r1"]
    bad = write_registers_request(1, 2, [9, 9])                 # address 9 ok, then baud code 9: no such code
    assert th1.rs485_receive("rs485", bad)[1] == exception_reply(1, 0x10, 3)
    assert th1.address == 1 and not th1._pending
    past = write_coils_request(3, 2, [True, True, True, True])  # coils 2..5: 4 and 5 do not exist
    assert r1.rs485_receive("rs485", past)[1] == exception_reply(3, 0x0F, 2)
    assert r1.coils == [False] * 4


def test_an_ascii_address_change_takes_effect_after_the_reply(lab):
    sim, _ = lab(DAQ % ", protocol: ascii")
    daq = sim.devices["daq1"]
    assert daq.rs485_receive("rs485", b"%050A080600\r")[1] == b"!0A\r"
    assert daq.address == 10
    assert daq.rs485_receive("rs485", b"#05\r") is None and daq.rs485_receive("rs485", b"$0AM\r")[1] == b"!0A4017P\r"


def test_a_load_follows_its_relay_contact_through_a_broken_and_mended_wire(lab):
    sim, ring = lab(LINK.replace("rules: [{when: th1.temperature_c > 30, then: relay1.do1 on, hysteresis: 1}]",
                                 "poll_period_s: 1"))
    relay, fan = sim.devices["relay1"], sim.devices["fan1"]
    sim.run(1)
    relay.command("set", {"output": "do1", "on": True})
    assert fan.running
    from sim.faults import clear, inject
    inject(sim, "relay1.do1", "wire_break")
    assert not fan.running                                     # the cut wire unpowers it
    relay.command("set", {"output": "do1", "on": False})
    clear(sim, "relay1.do1", "wire_break")
    assert not fan.running                                     # mended: it follows the (open) contact
    relay.command("set", {"output": "do1", "on": True})
    inject(sim, "relay1", "power_loss")
    assert not fan.running


@pytest.mark.parametrize("rule,message", [
    ("{when: th1.temprature_c > 30, then: relay1.do1 on}", "th1 has no reading 'temprature_c'"),
    ("{when: th1.temperature_c > 30, then: relay1.do9 on}", "relay1 has no output 'do9'"),
    ("{when: th1.temperature_c > 30, then: fan1.power on}", "fan1 is a fan, not an output module"),
])
def test_rules_name_real_readings_and_outputs(write_scenario, rule, message):
    from sim.scenario import ScenarioError, load
    text = LINK.replace("{when: th1.temperature_c > 30, then: relay1.do1 on, hysteresis: 1}", rule)
    with pytest.raises(ScenarioError) as err:
        load(write_scenario(text))
    assert message in str(err.value)


def test_a_fault_that_would_change_nothing_is_refused_and_the_run_goes_on(lab):
    sim, ring = lab(BASE + "wiring: [gw.rs485 -> th1.rs485]\n"
                    "faults: [{at: 1, target: th1, fault: baud_mismatch, baud: 9600}]\n")
    sim.run(3)
    errors = [r["error"] for r in kind(ring, "event", "th1") if "error" in r]
    assert errors and "already at 9600 bit/s 8N1" in errors[0]
    assert len(kind(ring, "sample", "th1")) == 3


def test_two_devices_cannot_share_a_tcp_port(write_scenario):
    from sim.scenario import ScenarioError, load
    text = BASE + ("  - {id: ss1, type: serial_server, tcp_port: 5077}\n"
                   "  - {id: ss2, type: serial_server, tcp_port: 5077}\n")
    with pytest.raises(ScenarioError) as err:
        load(write_scenario(text))
    assert "tcp_port 5077 is already ss1's" in str(err.value)


def test_dht_bits_are_timed_and_a_missing_pullup_breaks_the_checksum(lab):
    from devices.single_wire import read, waveform
    frame = bytes([0x02, 0x8C, 0x01, 0x5F, 0xEE])               # the datasheet's 65.2 %RH, 35.1 °C
    pulses = waveform(frame)
    assert len(pulses) == 2 + 80 + 1 and read(pulses) == frame
    assert sum(us for _, us in pulses) == pytest.approx(160 + 40 * 50 + 50 + 27 * 23 + 70 * 17)   # 17 ones
    sim, ring = lab(BASE + "  - {id: d1, type: dht22}\nwiring: [gw.dio1 -> d1.data]\n"
                    "faults: [{at: 4.5, target: d1, fault: no_pullup}]\n")
    sim.run(20)
    before = [r for r in kind(ring, "sample", "d1") if r["t"] < 4.5]
    after = [r for r in kind(ring, "sample", "d1") if r["t"] > 4.5]
    errors = [r for r in kind(ring, "event", "d1") if "checksum error" in r.get("error", "")]
    assert len(before) == 5 and len(errors) >= 10 and len(after) <= 5
