"""ZigBee: frames, CSMA/CA, joining, mesh routing and healing, the CC2530 module and the kit node."""

import pytest

from at_support import Term
from devices import zigbee_frames as zf


def kinds(ring, kind, **match):
    return [r for r in ring.records if r["kind"] == kind and all(r.get(k) == v for k, v in match.items())]


# -- frames ------------------------------------------------------------------------------------------
def test_fcs_is_crc16_kermit():
    assert zf.fcs(b"123456789") == 0x2189


def test_frame_bytes():
    assert zf.ack(0x2A).hex(" ") == "02 00 2a e0 3b"
    frame = zf.data(1, 0x1234, 0x0000, 0x0001, b"hi", ack=True)
    assert frame.hex(" ") == "61 88 01 34 12 00 00 01 00 68 69 f1 cc"
    mac = zf.parse(frame)
    assert (mac.kind, mac.seq, mac.pan, mac.dst, mac.src, mac.ack, mac.payload) == (1, 1, 0x1234, 0, 1, True, b"hi")
    with pytest.raises(ValueError):
        zf.parse(frame[:-1] + b"\x00")
    b = zf.parse(zf.beacon(7, 0x1234, 0x0042, False, True, True, 3, True))
    info = zf.parse_beacon(b.payload)
    assert (b.src, info.permit, info.router_capacity, info.depth, info.end_device_capacity) == \
        (0x42, True, True, 3, True)
    nwk = zf.parse_nwk(zf.nwk(zf.NWK_DATA, 0, 0x1001, 15, 9, b"T:25\n"))
    assert (nwk.dst, nwk.src, nwk.radius, nwk.seq, nwk.payload) == (0, 0x1001, 15, 9, b"T:25\n")


# -- a small mesh ---------------------------------------------------------------------------------------
# The coordinator at the west end; the kit at the east end, 138 m away, out of its reach: it gets
# there through router r1 or router r2.
MESH = """
name: mesh
room: {size_m: [200, 60]}
radio: {shadowing: false}
devices:
  - {id: zc, type: zigbee_cc2530, role: coordinator, pos_m: [2, 30]}
  - {id: r1, type: zigbee_node, role: router, pos_m: [70, 30], addr: 1}
  - {id: r2, type: zigbee_node, role: router, pos_m: [70, 55], addr: 2}
  - {id: kit, type: zigbee_node, pos_m: [140, 40], period_s: 5, addr: 9}
  - {id: t1, type: dht11, pos_m: [140, 40]}
  - {id: lamp1, type: lamp, pos_m: [140, 41]}
wiring:
  - kit.dio1 -> t1.data
  - kit.lamp -> lamp1.power
%s
"""


def test_network_forms_and_kit_readings_arrive_as_samples(lab):
    sim, ring = lab(MESH % "")
    sim.run(40)
    joined = {r["src"]: r for r in kinds(ring, "state", state="joined")}
    assert set(joined) == {"zc", "r1", "r2", "kit"}
    assert joined["kit"]["depth"] >= 2
    samples = kinds(ring, "sample", src="t1")
    assert len(samples) >= 5
    assert all(s["via"] == "zc" for s in samples)
    assert set(samples[-1]) >= {"temperature_c", "humidity_rh"}
    assert samples[-1]["temperature_c"] == round(samples[-1]["temperature_c"])


def test_coordinator_uart_shows_the_kit_text(lab):
    sim, ring = lab(MESH % "")
    term = Term(sim, "zc", baud=9600)
    term.run(30)
    text = term.take()
    assert "T:" in text and "H:" in text and text.endswith("\n")


def test_mesh_heals_when_a_router_loses_power(lab):
    sim, ring = lab(MESH % "faults: [{at: 60s, target: r1, fault: power_loss}]")
    sim.run(60)
    before = [s["t"] for s in kinds(ring, "sample", src="t1")]
    assert before
    sim.run(150)
    after = [s["t"] for s in kinds(ring, "sample", src="t1") if s["t"] > 70]
    # readings keep arriving once the network has found its way round the dead router
    assert len(after) >= 10
    repairs = kinds(ring, "event", zigbee="route_repair") + kinds(ring, "state", state="orphaned")
    assert repairs, "someone noticed the dead router"
    rx_by_r2 = [r for r in kinds(ring, "frame.rx", src="r2") if r["t"] > 70]
    assert rx_by_r2, "the traffic now goes through r2"


def test_one_byte_commands_switch_the_kit(lab):
    sim, ring = lab(MESH.replace("role: coordinator,", "role: coordinator, dest_mode: addressed,") % "")
    term = Term(sim, "zc", baud=9600)
    term.run(15)
    term.send(b"\x00\x09\x01")                  # to address 0x0009: lamp on
    term.run(3)
    assert kinds(ring, "output", src="kit", output="lamp", on=True)
    assert kinds(ring, "output", src="lamp1", on=True)
    assert not kinds(ring, "output", src="r1")     # only the kit addressed
    term.send(b"\x00\x09\x02")
    term.run(3)
    assert kinds(ring, "output", src="lamp1", on=False)
    term.send(b"\x00\x09\x07")
    term.run(3)
    assert kinds(ring, "event", src="kit")[-1]["error"].startswith("unknown command byte 0x07")


def test_broadcast_command_reaches_every_kit(lab):
    sim, ring = lab(MESH % "")
    term = Term(sim, "zc", baud=9600)
    term.run(15)
    term.send(b"\x03")                              # fan on, to everyone
    term.run(3)
    assert {r["src"] for r in kinds(ring, "output", output="fan", on=True)} == {"r1", "r2", "kit"}


def test_jamming(lab):
    # a jammer at the kit: its own CSMA finds the channel busy every time
    sim, ring = lab(MESH % "faults: [{at: 20s, target: kit, fault: jamming, eirp_dbm: 20}]")
    sim.run(60)
    assert kinds(ring, "frame.lost", src="kit", reason="cca_failure")
    assert not [s for s in kinds(ring, "sample", src="t1") if s["t"] > 21]
    # a jammer at the coordinator drowns what the routers hear (68 m away) but not the kit's CCA
    sim, ring = lab(MESH % "faults: [{at: 20s, target: zc, fault: jamming, eirp_dbm: 20}]")
    sim.run(60)
    assert kinds(ring, "frame.lost", src="r1", reason="noise")
    assert not [s for s in kinds(ring, "sample", src="t1") if s["t"] > 21]


def test_far_node_never_joins(lab):
    far = """
    name: far
    room: {size_m: [400, 10]}
    radio: {shadowing: false}
    devices:
      - {id: zc, type: zigbee_cc2530, role: coordinator, pos_m: [0, 5]}
      - {id: kit, type: zigbee_node, pos_m: [390, 5]}
    """
    sim, ring = lab(far)
    sim.run(30)
    assert not kinds(ring, "state", src="kit", state="joined")


# -- the CC2530 serial module ---------------------------------------------------------------------------
PAIR = """
name: pair
room: {size_m: [10, 10]}
devices:
  - {id: zc, type: zigbee_cc2530, role: coordinator, pos_m: [1, 1], channel: 15, pan_id: 0x2233}
  - {id: ze, type: zigbee_cc2530, pos_m: [8, 8], channel: 15, pan_id: 0x2233, addr: 0x0101}
"""


@pytest.fixture
def pair(lab):
    sim, ring = lab(PAIR)
    return sim, ring, Term(sim, "zc", baud=9600), Term(sim, "ze", baud=9600)


def test_config_query_and_set(pair):
    sim, ring, zc, ze = pair
    assert ze.cmd(bytes.fromhex("AA C7 BB")).encode("latin-1") == bytes.fromhex("AA C7 5A 0F 22 33 01 01 BB")
    reply = ze.cmd(bytes.fromhex("AA C7 5A 14 22 33 01 02 BB")).encode("latin-1")
    assert reply == bytes.fromhex("AA C7 5A 14 22 33 01 02 BB")
    assert sim.devices["ze"].node.channel == 20


@pytest.mark.parametrize("frame", [
    "AA C7 5A 1B 22 33 01 01 BB",      # channel 27
    "AA C7 5A 0A 22 33 01 01 BB",      # channel 10
    "AA C7 5A 0F FF FF 01 01 BB",      # PAN FFFF
    "AA C7 5A 0F 22 33 FF FF BB",      # a reserved address
    "AA C7 5A 0F 22 33 00 00 BB",      # the coordinator's address
])
def test_bad_config_changes_nothing_and_answers_the_kept_config(pair, frame):
    sim, ring, zc, ze = pair
    reply = ze.cmd(bytes.fromhex(frame)).encode("latin-1")
    assert reply == bytes.fromhex("AA C7 5A 0F 22 33 01 01 BB")
    assert kinds(ring, "event", src="ze")[-1]["error"].startswith("configuration frame")


def test_transparent_both_ways(pair):
    sim, ring, zc, ze = pair
    ze.run(3)                                   # joined
    ze.send(b"hello coordinator")
    ze.run(1)
    assert zc.take() == "hello coordinator"
    zc.send(b"hello all")
    zc.run(1)
    assert ze.take() == "hello all"
    # a config-looking frame that is not one is data
    ze.send(bytes.fromhex("AA C7 5A BB"))
    ze.run(1)
    assert zc.take().encode("latin-1") == bytes.fromhex("AA C7 5A BB")


def test_module_on_another_channel_hears_nothing(lab):
    sim, ring = lab(PAIR.replace("channel: 15, pan_id: 0x2233, addr", "channel: 16, pan_id: 0x2233, addr"))
    zc, ze = Term(sim, "zc", baud=9600), Term(sim, "ze", baud=9600)
    ze.run(5)
    ze.send(b"anyone?")
    ze.run(1)
    assert zc.take() == ""
    assert kinds(ring, "frame.lost", src="ze", reason="not_joined")


def test_attenuation_fault_weakens_links(lab):
    sim, ring = lab(PAIR + "faults: [{at: 10s, target: ze, fault: attenuation, db: 30}]")
    ze = Term(sim, "ze", baud=9600)
    ze.run(5)
    ze.send(b"before")
    ze.run(10)
    ze.send(b"after")
    ze.run(2)
    rx = {r["t"] > 10: r["rssi_dbm"] for r in kinds(ring, "frame.rx", src="zc", **{"from": "ze"})}
    assert rx[True] == pytest.approx(rx[False] - 30, abs=0.01)


def test_same_seed_same_trace(lab):
    runs = []
    for _ in range(2):
        sim, ring = lab(MESH.replace("radio: {shadowing: false}", "radio: {fading: rayleigh}")
                        % "faults: [{at: 30s, target: r1, fault: power_loss}]")
        sim.run(90)
        runs.append(list(ring.records))
    assert runs[0] == runs[1] and len(runs[0]) > 100
