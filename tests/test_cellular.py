"""NB-IoT (BC26, BC95) and 5G (RM500Q) modules against base stations: golden transcripts, coverage classes,
attach, faults, power saving."""

import pytest

from at_support import Term

LAB = """
name: cellular
room: {size_m: [20, 10], campus: {size_m: [6000, 1000], room_at_m: [0, 0]}}
devices:
  - {id: enb, type: base_station, plan: campus, pos_m: [CELLX, 5], tx_power_dbm: 43 ENB}
  - {id: gnb, type: base_station, plan: campus, pos_m: [200, 5], rat: nr5g}
  - {id: nb, type: bc26, pos_m: [5, 5] NB}
  - {id: nb95, type: bc95, pos_m: [6, 5]}
  - {id: g5, type: rm500q, pos_m: [7, 5]}
EXTRA
"""


def cell_lab(lab, cell_x: float = 300, enb: str = "", nb: str = "", extra: str = "", attach_s: float = 30):
    sim, ring = lab(LAB.replace("CELLX", str(cell_x)).replace(" ENB", enb).replace(" NB", nb)
                    .replace("EXTRA", extra))
    terms = {d: Term(sim, d) for d in ("nb", "nb95", "g5")}
    sim.advance_to(attach_s)
    for t in terms.values():
        t.take()
    return sim, ring, terms


def test_bc26_golden_transcript(lab):
    sim, _, terms = cell_lab(lab)
    t = terms["nb"]
    nb = sim.devices["nb"]
    assert t.cmd("AT") == "AT\r\n\r\nOK\r\n"
    assert t.cmd("ATI") == "ATI\r\n\r\nQuectel\r\nBC26\r\nRevision: BC26NBR01A10\r\n\r\nOK\r\n"
    assert t.cmd("AT+CPIN?") == "AT+CPIN?\r\n\r\n+CPIN: READY\r\n\r\nOK\r\n"
    assert t.cmd("AT+CIMI") == f"AT+CIMI\r\n\r\n{nb.imsi}\r\n\r\nOK\r\n"
    assert t.cmd("AT+CGSN=1") == f"AT+CGSN=1\r\n\r\n+CGSN: {nb.imei}\r\n\r\nOK\r\n"
    assert t.cmd("AT+CFUN?") == "AT+CFUN?\r\n\r\n+CFUN: 1\r\n\r\nOK\r\n"
    assert t.cmd("AT+CGATT?") == "AT+CGATT?\r\n\r\n+CGATT: 1\r\n\r\nOK\r\n"
    assert t.cmd("AT+CEREG?") == "AT+CEREG?\r\n\r\n+CEREG: 0,1\r\n\r\nOK\r\n"
    assert t.cmd("AT+CEREG=2") == "AT+CEREG=2\r\n\r\nOK\r\n"
    enb = sim.devices["enb"].p
    assert t.cmd("AT+CEREG?") == f'AT+CEREG?\r\n\r\n+CEREG: 2,1,"{enb.tac:04X}","{enb.cell_id:08X}",9\r\n\r\nOK\r\n'
    assert t.cmd("AT+CGPADDR=1") == f'AT+CGPADDR=1\r\n\r\n+CGPADDR: 1,"{nb.cell_ip}"\r\n\r\nOK\r\n'
    rsrp, _ = nb.signal()
    csq = t.cmd("AT+CSQ")
    assert csq.startswith("AT+CSQ\r\n\r\n+CSQ: ") and csq.endswith(",99\r\n\r\nOK\r\n")
    code = int(csq.split("+CSQ: ")[1].split(",")[0])
    assert code == max(0, min(31, int((rsrp + 10 * __import__("math").log10(12) + 113) // 2)))
    cesq = t.cmd("AT+CESQ")
    assert cesq.endswith(f",{int(rsrp + 141)}\r\n\r\nOK\r\n")


@pytest.mark.parametrize("line", ["AT+CFUN=2", "AT+CGATT=2", "AT+CEREG=6", "AT+QMTOPEN=6,\"h\",1883",
                                  "AT+QMTOPEN=0,\"h\",0", "AT+QMTOPEN=0,h,1883", "AT+QMTCONN=0,\"c\"",
                                  "AT+QMTPUB=0,0,0,0", "AT+QMTPUB=0,1,0,0,\"t\"", "AT+CPSMS=1,,,\"2\",\"1\"",
                                  "AT+NOPE", "AT+CGATT"])
def test_bc26_bad_input_gets_error_and_changes_nothing(lab, line):
    sim, _, terms = cell_lab(lab)
    nb = sim.devices["nb"]
    before = dict(nb.nv), dict(nb.flash), dict(nb.mq)
    assert terms["nb"].cmd(line) == f"{line}\r\n\r\nERROR\r\n"
    assert (dict(nb.nv), dict(nb.flash), dict(nb.mq)) == before


def test_bc26_overlong_line_and_noise(lab):
    sim, _, terms = cell_lab(lab)
    t = terms["nb"]
    t.cmd("ATE0")
    assert t.cmd("AT+" + "X" * 2000, wait_s=3.0) == "\r\nERROR\r\n"
    assert t.cmd(b"\xff\xfe\x00\x01\r") == "\r\nERROR\r\n"
    assert t.cmd("AT") == "\r\nOK\r\n"


def test_coverage_class_follows_rsrp(lab):
    classes = []
    for x in (300, 2000, 4000):
        sim, _, terms = cell_lab(lab, cell_x=x, attach_s=60)
        out = terms["nb95"].cmd("AT+NUESTATS")
        ecl = int(out.split("ECL:")[1].split("\r\n")[0])
        rsrp = int(out.split("Signal power:")[1].split("\r\n")[0]) / 10
        classes.append((ecl, rsrp))
        sim.close()
    assert [c for c, _ in classes] == [0, 1, 2], classes
    assert classes[0][1] > -105 > classes[1][1] > -115 > classes[2][1]


def test_uplink_latency_grows_with_the_coverage_class(lab):
    latencies = []
    for x in (300, 5500):
        sim, ring, terms = cell_lab(lab, cell_x=x, attach_s=120)
        nb = sim.devices["nb"]
        done = []

        def up():
            start = sim.now
            ok = yield from nb.path().up(100)
            done.append((ok, sim.now - start))
        sim.env.process(up())
        sim.advance_to(sim.now + 60)
        latencies.append(done[0])
        sim.close()
    (ok0, t0), (ok2, t2) = latencies
    assert ok0 and ok2
    assert 1.4 < t0 < 3.0 and 8.0 < t2 < 20.0, latencies


def test_bc95_golden_transcript(lab):
    sim, _, terms = cell_lab(lab)
    t = terms["nb95"]
    nb = sim.devices["nb95"]
    assert t.cmd("AT") == "\r\nOK\r\n"                            # echo off
    assert t.cmd("AT+CGATT?") == "\r\n+CGATT:1\r\n\r\nOK\r\n"
    assert t.cmd("AT+CEREG?") == "\r\n+CEREG:0,1\r\n\r\nOK\r\n"
    assert t.cmd("AT+CGPADDR") == f"\r\n+CGPADDR:0,{nb.cell_ip}\r\n\r\nOK\r\n"
    assert t.cmd("AT+NBAND?") == "\r\n+NBAND:8\r\n\r\nOK\r\n"
    assert t.cmd("AT+NCDP=180.101.147.115,5683") == "\r\nOK\r\n"
    assert t.cmd("AT+NCDP?") == "\r\n+NCDP:180.101.147.115,5683\r\n\r\nOK\r\n"
    assert t.cmd("AT+NNMI=1") == "\r\nOK\r\n"
    assert t.cmd("AT+NNMI?") == "\r\n+NNMI:1\r\n\r\nOK\r\n"
    out = t.cmd("AT+NUESTATS")
    assert out.startswith("\r\nSignal power:") and "\r\nECL:0\r\n" in out and out.endswith("OPERATOR MODE:4\r\n\r\nOK\r\n")
    assert t.cmd("AT+NSOCR=DGRAM,17,0,1") == "\r\n0\r\n\r\nOK\r\n"
    assert t.cmd("AT+NSOCL=0") == "\r\nOK\r\n"
    assert t.cmd("AT+NSOCL=0") == "\r\nERROR\r\n"


@pytest.mark.parametrize("line", ["AT+NMGS=3,AABB", "AT+NMGS=2,GGHH", "AT+NMGS=0,", "AT+NSOCR=STREAM,6,0,1",
                                  "AT+NSOST=0,1.2.3.4,5683,1,AA", "AT+NNMI=3", "AT+NCDP=", "AT+CFUN=9"])
def test_bc95_bad_input(lab, line):
    sim, _, terms = cell_lab(lab)
    nb = sim.devices["nb95"]
    before = dict(nb.nv), dict(nb.flash)
    assert terms["nb95"].cmd(line) == "\r\nERROR\r\n"
    assert (dict(nb.nv), dict(nb.flash)) == before


def test_rm500q_golden_transcript(lab):
    sim, _, terms = cell_lab(lab)
    t = terms["g5"]
    g = sim.devices["gnb"].p
    assert t.cmd("AT+CPIN?") == "AT+CPIN?\r\n\r\n+CPIN: READY\r\n\r\nOK\r\n"
    assert t.cmd("AT+COPS?") == 'AT+COPS?\r\n\r\n+COPS: 0,0,"CHINA MOBILE",12\r\n\r\nOK\r\n'
    assert t.cmd("AT+QNWINFO") == f'AT+QNWINFO\r\n\r\n+QNWINFO: "NR5G-SA","46000","NR5G BAND 78",{g.earfcn}\r\n\r\nOK\r\n'
    rsrp, sinr = sim.devices["g5"].signal()
    out = t.cmd('AT+QENG="servingcell"')
    assert out == (f'AT+QENG="servingcell"\r\n\r\n+QENG: "servingcell","NOCONN","NR5G-SA","TDD",460,00,'
                   f'{g.cell_id:X},{g.pci},{g.tac:X},{g.earfcn},78,12,{int(round(rsrp))},-11,{int(round(sinr))},1,-'
                   "\r\n\r\nOK\r\n")
    assert t.cmd("AT+C5GREG?") == "AT+C5GREG?\r\n\r\n+C5GREG: 0,1\r\n\r\nOK\r\n"
    assert t.cmd('AT+QENG="neighbourcell"') == 'AT+QENG="neighbourcell"\r\n\r\nERROR\r\n'


def test_the_5g_link_is_fast(lab):
    sim, _, _ = cell_lab(lab)
    g5 = sim.devices["g5"]
    done = []

    def up():
        start = sim.now
        ok = yield from g5.path().up(1_000_000)
        done.append((ok, sim.now - start))
    sim.env.process(up())
    sim.advance_to(sim.now + 5)
    ok, seconds = done[0]
    assert ok and seconds < 0.1                      # a megabyte in well under a tenth of a second


def test_no_sim_card(lab):
    sim, _, terms = cell_lab(lab, nb=", sim_card: false")
    t = terms["nb"]
    assert t.cmd("AT+CPIN?") == "AT+CPIN?\r\n\r\n+CME ERROR: 10\r\n"
    assert t.cmd("AT+CGATT?") == "AT+CGATT?\r\n\r\n+CGATT: 0\r\n\r\nOK\r\n"
    assert t.cmd("AT+CGATT=1") == "AT+CGATT=1\r\n\r\nERROR\r\n"


def test_attach_reject_leaves_the_module_denied(lab):
    sim, ring, terms = cell_lab(lab, extra="""faults:
  - {at: 0s, target: enb, fault: attach_reject, cause: 7}""")
    t = terms["nb"]
    assert t.cmd("AT+CEREG?") == "AT+CEREG?\r\n\r\n+CEREG: 0,3\r\n\r\nOK\r\n"
    assert t.cmd("AT+CGATT?") == "AT+CGATT?\r\n\r\n+CGATT: 0\r\n\r\nOK\r\n"


def test_cell_down_deregisters_and_reattaches_with_cereg_urcs(lab):
    sim, _, terms = cell_lab(lab, extra="""faults:
  - {at: 40s, target: enb, fault: power_loss, duration: 20s}""")
    t = terms["nb"]
    t.cmd("AT+CEREG=1")
    t.run(15)
    assert t.take() == "\r\n+CEREG: 2\r\n"
    t.run(60)
    assert t.take() == "\r\n+CEREG: 1\r\n"


def test_psm_holds_a_downlink_until_the_module_wakes(lab):
    sim, _, terms = cell_lab(lab, enb=", t3412_s: 600, t3324_s: 10, inactivity_s: 20")
    nb = sim.devices["nb"]
    terms["nb"].cmd("AT+CPSMS=1")
    sim.advance_to(sim.now + 100)                     # idle, then asleep
    assert nb._state() == "psm"
    done = []

    def down():
        start = sim.now
        ok = yield from nb.path().down(50)
        done.append((ok, sim.now - start))
    sim.env.process(down())
    sim.advance_to(sim.now + 700)
    ok, waited = done[0]
    assert ok and waited > 300                        # delivered after the module woke for its periodic TAU


def test_edrx_waits_for_a_paging_occasion(lab):
    sim, _, terms = cell_lab(lab)
    nb = sim.devices["nb"]
    terms["nb"].cmd('AT+CEDRXS=1,5,"0101"')
    sim.advance_to(sim.now + 60)
    assert nb._state() == "idle"
    due = nb._next_reachable()
    cycle = sim.devices["enb"].p.edrx_s
    assert 0 <= due - sim.now <= cycle


def test_out_of_coverage_keeps_searching_and_attaches_when_the_cell_comes_up(lab):
    sim, _, terms = cell_lab(lab, extra="""faults:
  - {at: 0s, target: enb, fault: power_loss, until: 60s}""")
    t = terms["nb"]
    assert t.cmd("AT+CEREG?") == "AT+CEREG?\r\n\r\n+CEREG: 0,2\r\n\r\nOK\r\n"
    t.cmd("AT+CEREG=1")
    t.run(60)
    assert t.take() == "\r\n+CEREG: 1\r\n"


def test_cfun_0_detaches_and_cfun_1_attaches_again(lab):
    sim, _, terms = cell_lab(lab)
    t = terms["nb"]
    assert t.cmd("AT+CFUN=0") == "AT+CFUN=0\r\n\r\nOK\r\n"
    assert t.cmd("AT+CGATT?") == "AT+CGATT?\r\n\r\n+CGATT: 0\r\n\r\nOK\r\n"
    assert t.cmd("AT+CSQ") == "AT+CSQ\r\n\r\n+CSQ: 99,99\r\n\r\nOK\r\n"
    t.cmd("AT+CFUN=1")
    t.run(20)
    assert t.cmd("AT+CGATT?") == "AT+CGATT?\r\n\r\n+CGATT: 1\r\n\r\nOK\r\n"


def test_a_room_of_modules_gives_the_same_trace_for_the_same_seed(lab):
    text = LAB.replace("CELLX", "2000").replace(" ENB", "").replace(" NB", "").replace("EXTRA", """
  - {id: ap, type: wifi_ap, pos_m: [2, 2]}
  - {id: esp, type: esp8266, pos_m: [6, 4], ssid: IoT-Lab, key: '12345678'}
  - {id: hcm, type: hc05, pos_m: [1, 1], role: 1}
  - {id: hcs, type: hc05, pos_m: [3, 1]}""")
    traces = []
    for _ in range(2):
        sim, ring = lab(text)
        sim.run(120)
        traces.append([dict(r) for r in ring.records])
    assert traces[0] == traces[1]
    kinds = {r["kind"] for r in traces[0]}
    assert {"frame.tx", "frame.rx", "state"} <= kinds
