"""The ESP8266's Wi-Fi station (``devices.esp8266``): scanning, joining an access point over the radio
medium (authentication, association, the WPA2 4-way handshake and DHCP, each step real frames),
watching its beacons, joining again by itself, and the ``AT+CW...`` commands.
"""

from __future__ import annotations

from sim.radio import medium

from .at import SILENT, ATError, Reply, at_command
from .wifi_ap import WifiAP, mac_of
from .wireless import Path, deliver

#: +CWJAP:<code> on failure: 1 timeout, 2 wrong password, 3 no such AP, 4 connection failed.
JAP_TIMEOUT, JAP_PASSWORD, JAP_NO_AP, JAP_FAILED = 1, 2, 3, 4


class EspWifi:
    """Mixed into ``Esp8266``: the station's link to an access point."""

    def _clear_wifi(self) -> None:
        self.ap: WifiAP | None = None
        self.ip = "0.0.0.0"
        self.rssi = 0
        self.joining = False
        self._generation = getattr(self, "_generation", 0) + 1

    def _aps(self, ssid: str | None = None) -> list[tuple[WifiAP, float]]:
        """Access points this module hears now, strongest first: (ap, rssi)."""
        m = medium(self.sim)
        found = []
        for dev in self.sim.devices.values():
            if isinstance(dev, WifiAP) and dev.powered and dev.node is not None and (ssid is None or dev.p.ssid == ssid):
                rssi, _, _ = m.quality(dev.node, self.node)
                if rssi >= self.node.sensitivity_dbm(1e6):
                    found.append((dev, rssi))
        return sorted(found, key=lambda item: -item[1])

    def _hop(self, n_bytes: int, up: bool):
        if self.ap is None or not self.ap.powered:
            return False
        src, dst = (self.node, self.ap.node) if up else (self.ap.node, self.node)
        ok, _ = yield from deliver(self, src, dst, bytes(min(n_bytes, 64)), n_bytes=n_bytes)
        return ok

    def _path(self) -> Path:
        return Path(self, self._hop, self.ap.backhaul_s() if self.ap else 0.0)

    def _join(self, ssid: str, key: str, bssid: str | None = None):
        """Generator: None once joined with an address (having printed WIFI CONNECTED / WIFI GOT IP), else
        the +CWJAP failure code."""
        env = self.sim.env
        self.joining = True
        try:
            yield env.timeout(1.2)                                  # a scan of every channel
            aps = [(ap, r) for ap, r in self._aps(ssid) if bssid is None or ap.bssid == bssid.lower()]
            if not aps:
                yield env.timeout(2.0)
                return JAP_NO_AP
            ap, rssi = aps[0]
            self.node.configure(channel=ap.p.channel)
            tmp = self.ap
            self.ap = ap
            ok = True
            for size, up in ((30, True), (30, False), (60, True), (90, False)):   # authentication, association
                ok = ok and (yield from self._hop(size, up))
            if not ok:
                self.ap = tmp
                return JAP_TIMEOUT
            if ap.admit(self) is not None:
                self.ap = tmp
                return JAP_FAILED
            if not ap.key_ok(key):                                  # the 4-way handshake's MIC does not check
                yield env.timeout(4.0)
                self.ap = tmp
                return JAP_PASSWORD
            for size, up in ((121, False), (121, True), (155, False), (99, True)):   # EAPOL-Key 1-4
                ok = ok and (yield from self._hop(size, up))
            if not ok:
                self.ap = tmp
                return JAP_TIMEOUT
            self.at.urc("WIFI CONNECTED")
            yield env.timeout(0.3)
            for up in (True, False, True, False):                   # DHCP discover, offer, request, ack
                ok = ok and (yield from self._hop(300, up))
            ip = ap.join(self, self.mac) if ok else None
            if ip is None:
                yield env.timeout(10.0)
                ap.leave(self)
                self.ap = tmp
                self.at.urc("WIFI DISCONNECT")
                return JAP_TIMEOUT
            self.ip, self.rssi = ip, int(round(rssi))
            self.emit("state", state="wifi", ssid=ssid, ap=ap.id, ip=ip, rssi_dbm=self.rssi)
            self.at.urc("WIFI GOT IP")
            self.sim.env.process(self._supervise(ap, self._generation))
            return None
        finally:
            self.joining = False

    def _supervise(self, ap: WifiAP, generation: int):
        """While joined: every few seconds the AP's beacons must still be heard."""
        env = self.sim.env
        m = medium(self.sim)
        while self.ap is ap and self._generation == generation:
            yield env.timeout(5.0)
            if self.ap is not ap or self._generation != generation or not self.powered:
                return
            rssi, _, per = m.quality(ap.node, self.node)
            if rssi < self.node.sensitivity_dbm(1e6) or per > 0.95:
                self.wifi_lost("beacon_lost")
                return
            self.rssi = int(round(rssi))

    def _leave_ap(self) -> tuple[bool, bool]:
        """Leave the access point: the sessions are dropped, the address goes. Returns whether there was a
        TCP/UDP connection and whether an MQTT session."""
        had = (self.tcp is not None, self.mqtt is not None)
        self.ap.leave(self)
        self._drop_sessions()
        self.ap, self.ip = None, "0.0.0.0"
        self._generation += 1
        return had

    def wifi_lost(self, reason: str) -> None:
        """The AP went away (off, key changed, out of range): drop everything and try again later."""
        if self.ap is None or not self.powered:
            return
        had_tcp, had_mqtt = self._leave_ap()
        if self.passthrough:
            self.at.leave_transparent()
        if had_tcp:
            self.at.urc("CLOSED")
        if had_mqtt:
            self.at.urc("+MQTTDISCONNECTED:0")
            if self.mqtt_cfg is not None:
                self.mqtt_cfg["state"] = 3
        self.at.urc("WIFI DISCONNECT")
        self.emit("state", state="wifi_lost", reason=reason)
        if self.nv["autoconn"] and self.nv["ssid"]:
            self.sim.env.process(self._auto_join(self._generation))

    def _auto_join(self, generation: int):
        env = self.sim.env
        while self.powered and self._generation == generation and self.ap is None:
            if not self.joining and not self.at.busy:
                code = yield from self._join(self.nv["ssid"], self.nv["key"])
                if code is None or self._generation != generation:
                    return
            yield env.timeout(5.0)

    # -- commands -------------------------------------------------------------------------------------
    @at_command("+CWMODE", "query", "set", "test")
    def _cwmode(self, call):
        if call.form == "test":
            return "+CWMODE:(1-3)"
        reply = self.int_setting(call, "mode", 1, 3, save=bool(self.nv["sysstore"]))
        if call.form == "set" and self.nv["mode"] == 2 and self.ap is not None:
            self.wifi_lost("mode")
        return reply

    @at_command("+CWJAP", "query")
    def _cwjap_q(self, call):
        if self.ap is None:
            return "No AP"
        return (f'+CWJAP:"{self.ap.p.ssid}","{self.ap.bssid}",{self.ap.p.channel},{self.rssi}')

    @at_command("+CWJAP", "set", "exec")
    def _cwjap(self, call):
        if call.form == "exec":
            ssid, key, bssid = self.nv["ssid"], self.nv["key"], None
            if not ssid:
                raise ATError("state")
        else:
            call.count(2, 3)
            ssid = call.str(0, max_len=32, min_len=1, quoted=True)
            key = call.str(1, max_len=64, quoted=True) if call.args[1] or call.quoted[1] else ""
            bssid = call.str(2, max_len=17, quoted=True) if call.has(2) else None
        if self.nv["mode"] not in (1, 3):
            raise ATError("state")
        return self._cwjap_run(ssid, key, bssid)

    def _cwjap_run(self, ssid: str, key: str, bssid: str | None):
        if self.ap is not None:
            self._leave_ap()
            self.at.urc("WIFI DISCONNECT")
        while self.joining:                                           # an automatic attempt is under way
            yield self.sim.env.timeout(0.1)
        code = yield from self._join(ssid, key, bssid)
        if code is not None:
            return Reply([f"+CWJAP:{code}"], "FAIL")
        self.nv["ssid"], self.nv["key"] = ssid, key
        if self.nv["sysstore"]:
            self.save(["ssid", "key"])
        return None

    @at_command("+CWQAP", "exec")
    def _cwqap(self, call):
        if self.ap is not None:
            self._leave_ap()
            self.at.final("OK")
            self.at.urc("WIFI DISCONNECT")
            return SILENT
        return None

    @at_command("+CWLAP", "exec")
    def _cwlap(self, call):
        if self.nv["mode"] not in (1, 3):
            raise ATError("state")
        yield self.sim.env.timeout(1.5)
        return [f'+CWLAP:({ap.encryption},"{ap.p.ssid}",{int(round(r))},"{ap.bssid}",{ap.p.channel})'
                for ap, r in self._aps()]

    @at_command("+CWAUTOCONN", "query", "set")
    def _autoconn(self, call):
        return self.int_setting(call, "autoconn", 0, 1, save=True)

    @at_command("+CIFSR", "exec")
    def _cifsr(self, call):
        lines = []
        if self.nv["mode"] in (2, 3):
            lines += ['+CIFSR:APIP,"192.168.4.1"', f'+CIFSR:APMAC,"{mac_of(self.id, "5e:cf:7f")}"']
        if self.nv["mode"] in (1, 3):
            lines += [f'+CIFSR:STAIP,"{self.ip}"', f'+CIFSR:STAMAC,"{self.mac}"']
        return lines
