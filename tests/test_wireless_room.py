"""The shipped wireless room as a student meets it: the LoRa pair talks, cells hand out distinct addresses,
bench links are never stronger than free space, bad AT arguments change nothing."""

import math

from at_support import Term
from sim.radio import medium
from sim.radio_physics import friis_loss_db
from sim.rooms import room_file
from sim.scenario import build, load


def wireless_lab(extra: str = ""):
    path = room_file("wireless-lab")
    scenario, _ = load(path, text=path.read_text(encoding="utf-8") + extra)
    return build(scenario)


def test_the_lora_pair_talks_in_transparent_mode_and_a_stranger_logs_what_it_drops():
    sim = wireless_lab()
    try:
        a, b = Term(sim, "la"), Term(sim, "lb")
        a.run(1.0)
        a.send("hello from A")
        assert "hello from A" in b.until("hello from A", timeout_s=5)
        b.device.nv["addr"] = 9                          # B moves to another address: it hears, drops, logs
        records = []
        sim.trace.subscribe(records.append)
        a.send("second")
        b.run(3.0)
        assert "second" not in b.take()
        lost = [r for r in records if r["kind"] == "frame.lost" and r["src"] == "lb"]
        assert lost and lost[0]["reason"] == "address"
    finally:
        sim.close()


def test_a_bench_link_is_never_stronger_than_free_space():
    sim = wireless_lab("radio: {shadowing: false}\n")          # the mean link, without the per-link draw
    try:
        sim.run(1.0)
        m = medium(sim)
        a, b = m.nodes_of(sim.devices["la"])[0], m.nodes_of(sim.devices["lb"])[0]
        rssi, _, _ = m.quality(a, b)
        d = math.dist(sim.devices["la"].pos_m, sim.devices["lb"].pos_m)
        assert rssi <= a.tx_power_dbm + a.antenna_gain_db + b.antenna_gain_db - float(friis_loss_db(d, 433e6)) + 1e-6
    finally:
        sim.close()


def test_two_cells_never_hand_out_the_same_address():
    sim = wireless_lab()
    try:
        records = []
        sim.trace.subscribe(records.append)
        sim.run(60)
        ips = {r["ue"]: r["ip"] for r in records if r["kind"] == "state" and r.get("state") == "attached"
               and "ue" in r}                            # the cells' records: which module got which address
        assert len(ips) >= 3 and len(set(ips.values())) == len(ips)
    finally:
        sim.close()


def test_bad_arguments_get_error_and_change_nothing():
    sim = wireless_lab()
    try:
        nb2, m5g = Term(sim, "nb2"), Term(sim, "m5g")
        nb2.until("OK", timeout_s=20)
        m5g.until("RDY", timeout_s=20)
        for bad in ("AT+NCDP=a", "AT+NCDP=65536", "AT+NCDP=iot.example.com"):
            assert "ERROR" in nb2.cmd(bad, 1.0)
        assert "+NCDP:," in nb2.cmd("AT+NCDP?", 1.0)
        before = m5g.cmd("AT+CFUN?", 1.0)
        assert "ERROR" in m5g.cmd("AT+CFUN=0,", 1.0)
        assert m5g.cmd("AT+CFUN?", 1.0) == before
    finally:
        sim.close()
