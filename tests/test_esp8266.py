"""ESP8266 (ESP-AT) and the Wi-Fi access point: golden transcripts, joining over the radio medium, faults."""

import pytest

from at_support import Term

ROOM = """
name: wifi room
room:
  size_m: [20, 10]
  walls:
    - {from_m: [10, 0], to_m: [10, 10], material: concrete}
devices:
  - {id: ap, type: wifi_ap, pos_m: [2, 2], ssid: Lab, key: "12345678", channel: 6 APPARAMS}
  - {id: esp, type: esp8266, pos_m: [6, 4] ESPPARAMS}
EXTRA
"""


def room(ap: str = "", esp: str = "", extra: str = "") -> str:
    return ROOM.replace(" APPARAMS", ap).replace(" ESPPARAMS", esp).replace("EXTRA", extra)


@pytest.fixture
def esp(lab):
    def make(ap: str = "", esp: str = "", extra: str = ""):
        sim, ring = lab(room(ap, esp, extra))
        t = Term(sim, "esp")
        t.run(1.0)
        t.take()
        return sim, ring, t
    return make


def join(t: Term, ssid: str = "Lab", key: str = "12345678") -> str:
    t.take()
    t.send(f'AT+CWJAP="{ssid}","{key}"\r\n')
    return t.until("\r\n\r\n", 30)


def test_boot_banner_is_garbage_at_115200_then_ready(lab):
    sim, _ = lab(room())
    t = Term(sim, "esp")
    t.run(1.0)
    out = t.take()
    assert out.endswith("\r\nready\r\n")
    assert "ets Jan  8 2013" not in out                  # the ROM speaks at 74880
    rom = Term(sim, "esp", baud=74880)
    sim.devices["esp"].reboot()
    rom.run(1.0)
    assert "ets Jan  8 2013,rst cause:2, boot mode:(3,6)" in rom.take()


def test_golden_basic_transcript(esp):
    _, _, t = esp()
    assert t.cmd("AT") == "AT\r\n\r\nOK\r\n"
    assert t.cmd("AT+GMR") == ("AT+GMR\r\nAT version:1.7.5.0(Oct  9 2021 09:26:04)\r\nSDK version:3.0.5(b29dcd3)\r\n"
                               "compile time:Oct 15 2021 18:05:30\r\nBin version(Wroom 02):1.7.5\r\n\r\nOK\r\n")
    assert t.cmd("AT+CWMODE=?") == "AT+CWMODE=?\r\n+CWMODE:(1-3)\r\n\r\nOK\r\n"
    assert t.cmd("AT+CWMODE?") == "AT+CWMODE?\r\n+CWMODE:1\r\n\r\nOK\r\n"
    assert t.cmd("AT+CWMODE=3") == "AT+CWMODE=3\r\n\r\nOK\r\n"
    assert t.cmd("AT+CWMODE=1") == "AT+CWMODE=1\r\n\r\nOK\r\n"
    assert t.cmd("AT+CWJAP?") == "AT+CWJAP?\r\nNo AP\r\n\r\nOK\r\n"
    assert t.cmd("AT+CIPSTATUS") == "AT+CIPSTATUS\r\nSTATUS:5\r\n\r\nOK\r\n"


@pytest.mark.parametrize("line", ["AT+CWMODE=0", "AT+CWMODE=4", "AT+CWMODE=1,2", "AT+CWMODE=", "AT+CWMODE=a",
                                  "AT+CWJAP=Lab,12345678", 'AT+CWJAP="Lab"', 'AT+CWJAP="' + "x" * 33 + '","k"',
                                  "AT+CIPSTART=\"TCP\",\"1.2.3.4\",70000", "AT+CIPSEND=0", "AT+CIPSEND=2049",
                                  "AT+UART_DEF=115201,8,1,0,0", "AT+MQTTPUB=0,\"t\",\"d\",3,0", "AT+BOGUS", "ATZ"])
def test_bad_input_gets_error_and_changes_nothing(esp, line):
    sim, _, t = esp()
    dev = sim.devices["esp"]
    before = dict(dev.nv), dict(dev.flash)
    assert t.cmd(line) == f"{line}\r\n\r\nERROR\r\n"
    assert (dict(dev.nv), dict(dev.flash)) == before


def test_golden_join_transcript(esp):
    sim, ring, t = esp()
    out = join(t)
    assert out == 'AT+CWJAP="Lab","12345678"\r\nWIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n'
    ap = sim.devices["ap"]
    assert t.cmd("AT+CWJAP?") == f'AT+CWJAP?\r\n+CWJAP:"Lab","{ap.bssid}",6,{sim.devices["esp"].rssi}\r\n\r\nOK\r\n'
    esp_mac = sim.devices["esp"].mac
    assert t.cmd("AT+CIFSR") == (f'AT+CIFSR\r\n+CIFSR:STAIP,"192.168.1.100"\r\n+CIFSR:STAMAC,"{esp_mac}"\r\n'
                                 "\r\nOK\r\n")
    assert t.cmd("AT+CIPSTATUS") == "AT+CIPSTATUS\r\nSTATUS:2\r\n\r\nOK\r\n"
    # the join was real frames on the medium, both ways
    wifi = [r for r in ring.records if r.get("bus") == "wifi"]
    assert {r["kind"] for r in wifi} >= {"frame.tx", "frame.rx"}
    assert {r["src"] for r in wifi if r["kind"] == "frame.tx"} == {"esp", "ap"}


def test_join_failures_have_their_codes(esp):
    _, _, t = esp()
    assert join(t, key="wrongkey").endswith("+CWJAP:2\r\n\r\nFAIL\r\n")
    assert join(t, ssid="Nope").endswith("+CWJAP:3\r\n\r\nFAIL\r\n")
    assert t.cmd("AT+CWJAP?").endswith("No AP\r\n\r\nOK\r\n")


def test_a_full_access_point_refuses_the_station(esp):
    sim, _, t = esp(ap=", max_clients: 1", extra="  - {id: esp2, type: esp8266, pos_m: [5, 5], ssid: Lab, "
                                                   "key: '12345678'}")
    t.run(10)                                         # esp2 joins by itself from flash
    assert "esp2" in sim.devices["ap"].stations
    assert join(t).endswith("+CWJAP:4\r\n\r\nFAIL\r\n")


def test_at_the_edge_of_range_beacons_are_heard_but_the_join_times_out(lab):
    sim, _ = lab(room(esp=", tx_power_dbm: 0").replace("pos_m: [6, 4]", "pos_m: [19.5, 9.5]")
                 .replace("key: \"12345678\", channel: 6", "key: \"12345678\", channel: 6, tx_power_dbm: 0"))
    t = Term(sim, "esp")
    t.run(1)
    assert join(t).endswith("+CWJAP:1\r\n\r\nFAIL\r\n")


def test_a_shielded_module_finds_no_ap(lab):
    sim, _ = lab(room(extra="""faults:
  - {at: 0s, target: esp, fault: attenuation, db: 90}"""))
    t = Term(sim, "esp")
    t.run(1)
    assert join(t).endswith("+CWJAP:3\r\n\r\nFAIL\r\n")


def test_cwlap_lists_what_it_hears(esp):
    sim, _, t = esp(extra="  - {id: ap2, type: wifi_ap, pos_m: [3, 8], ssid: Open, key: '', channel: 11}")
    t.send("AT+CWLAP\r\n")
    out = t.until("OK\r\n", 5)
    ap, ap2 = sim.devices["ap"], sim.devices["ap2"]
    assert '+CWLAP:(3,"Lab",' in out and f'"{ap.bssid}",6)' in out
    assert '+CWLAP:(0,"Open",' in out and f'"{ap2.bssid}",11)' in out


def test_the_joined_ap_is_saved_and_joined_again_after_a_power_cycle(esp):
    sim, _, t = esp()
    join(t)
    dev = sim.devices["esp"]
    dev.set_power(False)
    t.run(1)
    dev.set_power(True)
    out = t.until("WIFI GOT IP", 20)
    assert out.endswith("ready\r\nWIFI CONNECTED\r\nWIFI GOT IP\r\n")
    t.cmd("AT+CWAUTOCONN=0")
    t.cmd("AT+CWMODE=3")
    dev.reboot()
    t.run(10)
    out = t.take()
    assert "WIFI CONNECTED" not in out
    assert t.cmd("AT+CWMODE?").endswith("+CWMODE:3\r\n\r\nOK\r\n")


def test_uart_def_changes_the_speed_and_survives_a_reset(esp):
    sim, _, t = esp()
    fast = Term(sim, "esp", baud=115200)
    assert fast.cmd("AT+UART_DEF=9600,8,1,0,0") == "AT+UART_DEF=9600,8,1,0,0\r\n\r\nOK\r\n"
    assert "OK" not in fast.cmd("AT")                  # this terminal is still at 115200
    slow = Term(sim, "esp", baud=9600)
    assert slow.cmd("").endswith("\r\nERROR\r\n")       # what the fast terminal typed was garbage here
    assert slow.cmd("AT") == "AT\r\n\r\nOK\r\n"
    sim.devices["esp"].reboot()
    slow.run(2)
    assert slow.take().endswith("\r\nready\r\n")
    assert slow.cmd("AT+UART_CUR?") == "AT+UART_CUR?\r\n+UART_CUR:9600,8,1,0,0\r\n\r\nOK\r\n"


def test_ap_power_loss_drops_the_station_which_rejoins_when_it_is_back(lab):
    sim, ring = lab(room(esp=", ssid: Lab, key: '12345678'", extra="""faults:
  - {at: 10s, target: ap, fault: power_loss, duration: 20s}"""))
    t = Term(sim, "esp")
    t.run(9)
    assert t.take().endswith("WIFI CONNECTED\r\nWIFI GOT IP\r\n")
    t.run(2)
    assert t.take() == "WIFI DISCONNECT\r\n"
    assert t.cmd("AT+CIPSTATUS").endswith("STATUS:5\r\n\r\nOK\r\n")
    t.run(40)
    assert t.take() == "WIFI CONNECTED\r\nWIFI GOT IP\r\n"


def test_a_changed_key_drops_the_station_and_the_old_key_fails(lab):
    sim, _ = lab(room(esp=", ssid: Lab, key: '12345678'", extra="""faults:
  - {at: 10s, target: ap, fault: key_changed, key: newsecret}"""))
    t = Term(sim, "esp")
    t.run(12)
    assert "WIFI DISCONNECT" in t.take()
    assert join(t).endswith("+CWJAP:2\r\n\r\nFAIL\r\n")
    assert join(t, key="newsecret").endswith("WIFI GOT IP\r\n\r\nOK\r\n")


def test_reboot_loop_shows_repeated_ready_and_drops_the_wifi(lab):
    sim, ring = lab(room(esp=", ssid: Lab, key: '12345678'", extra="""faults:
  - {at: 10s, target: esp, fault: reboot_loop, up_s: 4, boot_s: 1}"""))
    t = Term(sim, "esp")
    t.run(10)
    assert t.take().endswith("ready\r\nWIFI CONNECTED\r\nWIFI GOT IP\r\n")
    t.run(10)                                         # down 1 s, up 4 s, down 1 s, up 4 s
    out = t.take()
    assert out.count("\r\nready\r\n") == 2
    states = [r["state"] for r in ring.records if r["src"] == "esp" and r["kind"] == "state"
              and r["state"] in ("offline", "online")]
    assert states == ["offline", "online", "offline", "online"]


def test_cipstart_without_wifi_and_cipsend_without_a_link(esp):
    _, _, t = esp()
    assert t.cmd('AT+CIPSTART="TCP","127.0.0.1",80') == 'AT+CIPSTART="TCP","127.0.0.1",80\r\nno ip\r\n\r\nERROR\r\n'
    join(t)
    assert t.cmd("AT+CIPSEND=4") == "AT+CIPSEND=4\r\nlink is not valid\r\n\r\nERROR\r\n"
    assert t.cmd("AT+CIPCLOSE") == "AT+CIPCLOSE\r\n\r\nERROR\r\n"
    assert t.cmd("AT+MQTTCONN=0,\"127.0.0.1\",1883,0") == "AT+MQTTCONN=0,\"127.0.0.1\",1883,0\r\n\r\nERROR\r\n"


def test_busy_while_joining(esp):
    _, _, t = esp()
    t.send('AT+CWJAP="Lab","12345678"\r\n')
    t.run(0.3)
    assert t.cmd("AT", 0.1) == "AT\r\nbusy p...\r\n"


def test_mqtt_usercfg_golden_and_errors(esp):
    _, _, t = esp()
    assert t.cmd('AT+MQTTUSERCFG=0,1,"esp1","user","pwd",0,0,""') == \
        'AT+MQTTUSERCFG=0,1,"esp1","user","pwd",0,0,""\r\n\r\nOK\r\n'
    assert t.cmd("AT+MQTTUSERCFG?") == 'AT+MQTTUSERCFG?\r\n+MQTTUSERCFG:0,1,"esp1","user","pwd",0,0,""\r\n\r\nOK\r\n'
    assert t.cmd("AT+MQTTCONN?") == 'AT+MQTTCONN?\r\n+MQTTCONN:0,1,1,"","0","",0\r\n\r\nOK\r\n'
    assert t.cmd('AT+MQTTUSERCFG=1,1,"esp1","","",0,0,""').endswith("\r\nERROR\r\n")     # link id 0 only
    assert t.cmd('AT+MQTTUSERCFG=0,2,"esp1","","",0,0,""').endswith("\r\nERROR\r\n")     # TLS not modelled
    assert t.cmd('AT+MQTTUSERCFG=0,1,"esp1","",""').endswith("\r\nERROR\r\n")
    assert t.cmd('AT+MQTTSUB=0,"a",0').endswith("\r\nERROR\r\n")                         # not connected


def test_an_empty_dhcp_pool_leaves_the_station_without_an_address(esp):
    sim, _, t = esp(ap=", dhcp_size: 1", extra="  - {id: esp2, type: esp8266, pos_m: [5, 5], ssid: Lab, "
                                               "key: '12345678'}")
    t.run(10)                                         # esp2 took the only address
    out = join(t)
    assert out == 'AT+CWJAP="Lab","12345678"\r\nWIFI CONNECTED\r\nWIFI DISCONNECT\r\n+CWJAP:1\r\n\r\nFAIL\r\n'
    assert t.cmd("AT+CIFSR").startswith('AT+CIFSR\r\n+CIFSR:STAIP,"0.0.0.0"')


def test_a_returning_station_keeps_its_lease(esp):
    sim, _, t = esp()
    join(t)
    t.cmd("AT+CWQAP")
    join(t)
    assert t.cmd("AT+CIFSR").startswith('AT+CIFSR\r\n+CIFSR:STAIP,"192.168.1.100"')
