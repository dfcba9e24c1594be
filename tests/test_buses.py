"""RS-485 with real Modbus frames through the gateway: timing, timeouts, collisions, config over the bus."""

import pytest

from devices.modbus import read_request, write_single_request
from sim.buses import frame_time_s, rs485_transaction

BASE = """
name: bus
room: {size_m: [10, 10]}
environment:
  temperature: {base: 22, noise: 0, daily_amplitude: 0}
devices:
  - {id: gw, type: gateway}
  - {id: th1, type: rs485_th}
"""


def frames(ring, kind):
    return [r for r in ring.records if r["kind"] == kind]


def test_poll_puts_the_textbook_frame_on_the_wire_with_real_timing(lab):
    sim, ring = lab(BASE + "wiring: [gw.rs485 -> th1.rs485]\n")
    sim.run(0.5)
    tx = frames(ring, "frame.tx")
    assert tx[0]["src"] == "gw" and tx[0]["data"] == "01 03 00 00 00 02 C4 0B"
    assert tx[1]["src"] == "th1" and tx[1]["data"].startswith("01 03 04")
    request_s = frame_time_s(8, 9600)                  # 8 bytes x 10 bits at 9600 bit/s
    assert tx[1]["t"] == pytest.approx(request_s + 0.015, abs=1e-6)   # the slave's 15 ms turnaround
    rx = frames(ring, "frame.rx")[-1]
    assert rx["src"] == "gw" and rx["t"] == pytest.approx(request_s + 0.015 + frame_time_s(9, 9600), abs=1e-6)
    sample = frames(ring, "sample")[0]
    assert sample["src"] == "th1" and sample["via"] == "gw"
    assert sample["temperature_c"] == pytest.approx(22, abs=0.6)


def test_a_dead_slave_times_out_and_comes_back(lab):
    sim, ring = lab(BASE + "wiring: [gw.rs485 -> th1.rs485]\n"
                    "faults: [{at: 5, target: th1, fault: power_loss, duration: 3}]\n")
    sim.run(12)
    lost = frames(ring, "frame.lost")
    assert [r["t"] for r in lost] == pytest.approx([5 + frame_time_s(8, 9600) + 0.2 + k for k in range(3)])
    assert all(r["reason"] == "timeout" for r in lost)
    states = [(r["state"], r.get("via")) for r in frames(ring, "state") if r["src"] == "th1"]
    # the part itself loses power, then the gateway finds it gone; and back the same way
    assert states == [("offline", None), ("offline", "gw"), ("online", None), ("online", "gw")]
    events = [r.get("error") or "restored" for r in frames(ring, "event") if r["src"] == "th1"]
    assert events == ["no reply from Modbus address 1", "restored"]
    assert {round(r["t"]) for r in frames(ring, "sample")} >= {8, 9, 10, 11}


def test_baud_mismatch_is_garbage_at_the_slave_and_silence_at_the_master(lab):
    sim, ring = lab(BASE.replace("type: rs485_th}", "type: rs485_th, baud: 4800}") +
                    "wiring: [gw.rs485 -> th1.rs485]\n")
    sim.run(3)
    lost = frames(ring, "frame.lost")
    assert not frames(ring, "sample")
    assert [r["reason"] for r in lost if r["src"] == "gw"] == ["timeout"] * 3
    heard = [r for r in lost if r["src"] == "th1"]
    assert len(heard) == 3 and heard[0]["reason"] in ("framing", "crc")
    assert heard[0]["data"] != "01 03 00 00 00 02 C4 0B"      # what its UART made of the request


def test_two_slaves_at_one_address_collide(lab):
    sim, ring = lab(BASE + "  - {id: th2, type: rs485_th}\n"
                    "wiring: [gw.rs485 -> th1.rs485, th1.rs485 -> th2.rs485]\n")
    sim.run(2)
    lost = frames(ring, "frame.lost")
    assert lost and lost[0]["reason"] == "collision" and lost[0]["senders"] == ["th1", "th2"]


def test_a_break_in_a_daisy_chain_silences_the_devices_beyond_it(lab):
    sim, ring = lab(BASE + "  - {id: th2, type: rs485_th, address: 2}\n"
                    "wiring: [gw.rs485 -> th1.rs485, th1.rs485 -> th2.rs485]\n"
                    "faults: [{at: 10, target: th2.rs485, fault: wire_break}]\n")
    sim.run(20)
    late = [r["src"] for r in frames(ring, "sample") if r["t"] > 11]
    assert "th1" in late and "th2" not in late


def test_address_and_baud_change_over_the_bus_and_survive_power_loss(lab):
    sim, ring = lab(BASE.replace("type: gateway}", "type: gateway, poll_period_s: 1000}") +
                    "wiring: [gw.rs485 -> th1.rs485]\n")
    gw, th1 = sim.devices["gw"], sim.devices["th1"]
    sim.run(1)
    replies = []

    def master():
        frame = write_single_request(1, 2, 6)
        replies.append((yield from rs485_transaction(sim, gw, "rs485", frame, 9600, "N", 0.2)))
        replies.append((yield from rs485_transaction(sim, gw, "rs485", read_request(1, 3, 0, 2), 9600, "N", 0.2)))
        replies.append((yield from rs485_transaction(sim, gw, "rs485", read_request(6, 3, 2, 1), 9600, "N", 0.2)))

    sim.env.process(master())
    sim.run(2)
    assert replies[0] == write_single_request(1, 2, 6)      # FC06 echoes
    assert replies[1] is None                                # the old address is silent now
    assert replies[2][3:5] == b"\x00\x06"
    sim.post("th1", "fault.inject", {"fault": "power_loss"})
    sim.run(3)
    sim.post("th1", "fault.clear", {"fault": "power_loss"})
    sim.run(4)
    after = []

    def poll_again():
        after.append((yield from rs485_transaction(sim, gw, "rs485", read_request(6, 3, 2, 1), 9600, "N", 0.2)))
    sim.env.process(poll_again())
    sim.run(5)
    assert th1.powered and after[0][3:5] == b"\x00\x06"     # kept in non-volatile memory


def test_bad_reply_crc_is_a_lost_frame_not_a_reading(lab):
    sim, ring = lab(BASE + "wiring: [gw.rs485 -> th1.rs485]\n")
    th1 = sim.devices["th1"]
    original = th1.rs485_receive

    def corrupt(port, heard):
        turnaround, reply = original(port, heard)
        return turnaround, reply[:-1] + bytes([reply[-1] ^ 0x55])
    th1.rs485_receive = corrupt
    sim.run(2)
    assert [r["reason"] for r in frames(ring, "frame.lost")] == ["crc", "crc"]
    assert not frames(ring, "sample")


def test_two_masters_talking_at_once_garble_each_other(lab):
    sim, ring = lab(BASE + "  - {id: gw2, type: gateway}\n"
                    "wiring: [gw.rs485 -> th1.rs485, gw2.rs485 -> th1.rs485]\n")
    sim.run(3)
    assert frames(ring, "sample") == []                 # both poll at the same instants
    assert {(r["src"], r["reason"]) for r in frames(ring, "frame.lost")} == {("gw", "collision"), ("gw2", "collision")}


def test_a_second_master_polling_at_other_times_gets_answers_too(lab):
    sim, ring = lab(BASE + "  - {id: gw2, type: gateway, poll_period_s: 0.7}\n"
                    "wiring: [gw.rs485 -> th1.rs485, gw2.rs485 -> th1.rs485]\n")
    sim.run(10)
    assert {r["via"] for r in frames(ring, "sample")} == {"gw", "gw2"}
