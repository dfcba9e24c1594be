"""A Wi-Fi access point / home router (无线路由器): SSID, WPA2 key, channel, DHCP pool, client limit,
and the uplink to the internet that stations' connections go out through.

Stations (an ESP8266) find it by scanning (its beacons on the medium), associate, run the WPA2
4-way handshake (a wrong key fails there) and ask DHCP for an address from the pool (a station
that comes back gets its old lease). The frames of each step are real frames on the radio
medium, so a weak or jammed link fails the join as on the bench. When the AP loses power or
its key is changed, every station is dropped.
"""

from __future__ import annotations

import hashlib
import ipaddress
from typing import ClassVar

from pydantic import Field, model_validator

from sim import FaultParams, FaultSpec
from sim.device import Device, DeviceParams
from sim.ports import bus
from sim.radio import RadioFaults, medium

from .wireless import AccessNode


def mac_of(device_id: str, prefix: str) -> str:
    """A stable MAC address for a device: the vendor ``prefix`` and three bytes from its id."""
    tail = hashlib.sha256(device_id.encode()).digest()[:3]
    return prefix + ":" + ":".join(f"{b:02x}" for b in tail)


class WifiApParams(DeviceParams):
    ssid: str = Field("IoT-Lab", min_length=1, max_length=32, description="network name (SSID)")
    key: str = Field("12345678", max_length=63, description="WPA2-PSK key, 8-63 characters; empty: an open network")
    channel: int = Field(6, ge=1, le=13, description="2.4 GHz channel 1..13")
    tx_power_dbm: float = Field(20.0, ge=0, le=20.5, description="transmit power, dBm")
    lan_ip: str = Field("192.168.1.1", description="the router's own address; the LAN is its /24")
    dhcp_first: int = Field(100, ge=2, le=254, description="last byte of the first address DHCP hands out")
    dhcp_size: int = Field(50, ge=1, le=253, description="how many addresses the DHCP pool holds")
    max_clients: int = Field(16, ge=1, le=64, description="stations associated at once; one more is refused")
    backhaul_ms: float = Field(15.0, ge=0, le=2000, description="one-way delay from the router to the internet, ms")
    SUPPLY_RANGE_V: ClassVar = (5.0, 12.0)

    @model_validator(mode="after")
    def _checks(self):
        if self.key and len(self.key) < 8:
            raise ValueError(f"a WPA2 key has 8-63 characters; {len(self.key)} given (empty: an open network)")
        try:
            ip = ipaddress.IPv4Address(self.lan_ip)
        except ValueError:
            raise ValueError(f"lan_ip {self.lan_ip!r} is not an IPv4 address") from None
        if self.dhcp_first + self.dhcp_size - 1 > 254:
            raise ValueError(f"the DHCP pool {self.dhcp_first}..{self.dhcp_first + self.dhcp_size - 1} runs past .254")
        if self.dhcp_first <= int(ip) % 256 < self.dhcp_first + self.dhcp_size:
            raise ValueError(f"the router's own address {self.lan_ip} lies inside its DHCP pool")
        return self


class KeyChanged(FaultParams):
    key: str = Field("87654321", min_length=8, max_length=63, description="the new WPA2 key")


class WifiAP(RadioFaults, AccessNode, Device):
    """Wi-Fi access point and router: SSID, WPA2 key, channel, DHCP, client limit, internet uplink."""
    FAMILY = "network"
    TITLE = "Wi-Fi access point / router (2.4 GHz, WPA2, DHCP)"
    TITLE_ZH = "无线路由器 / Wi-Fi 接入点"
    SUPPLY_RANGE_V, CURRENT_MA = (5.0, 12.0), 300.0
    Params = WifiApParams
    FAULTS = {
        "key_changed": FaultSpec("key_changed", "someone changed the Wi-Fi password: every station is dropped "
                                 "(WIFI DISCONNECT) and joining with the old key fails with +CWJAP:2", KeyChanged),
    }
    OFF_REASON = "ap_off"
    DROPPING_FAULTS = {"key_changed": "key_changed"}

    @classmethod
    def port_specs(cls, params):
        return {"wan": bus("ethernet", "WAN port to the internet: its state is the backhaul_ms delay and the "
                               "wan_down and dns_failure faults")}

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self.bssid = mac_of(device_id, "c8:3a:35")
        self.stations: dict[str, object] = {}         # associated station id -> device
        self.leases: dict[str, str] = {}              # station MAC -> IP
        self.node = None

    def start(self) -> None:
        super().start()
        self.node = medium(self.sim).join(self, "wifi", channel=self.p.channel, tx_power_dbm=self.p.tx_power_dbm)

    # -- what stations see and ask --------------------------------------------------------------------
    @property
    def key(self) -> str:
        changed = self.faults.get(("key_changed", None))
        return changed.key if changed is not None else self.p.key

    @property
    def encryption(self) -> int:
        """ESP-AT's ecn: 0 open, 3 WPA2-PSK."""
        return 3 if self.key else 0

    def key_ok(self, key: str) -> bool:
        return key == self.key if self.key else True

    def admit(self, station) -> str | None:
        """None, or why the association is refused."""
        if not self.powered:
            return "off"
        if station.id not in self.stations and len(self.stations) >= self.p.max_clients:
            return "full"
        return None

    def join(self, station, mac: str) -> str | None:
        """Associate ``station`` and lease it an address (None: the pool is used up)."""
        net = ipaddress.IPv4Network(f"{self.p.lan_ip}/24", strict=False)
        ip = self.leases.get(mac)
        if ip is None:
            taken = set(self.leases.values())
            for i in range(self.p.dhcp_first, self.p.dhcp_first + self.p.dhcp_size):
                candidate = str(net.network_address + i)
                if candidate not in taken:
                    ip = candidate
                    break
            if ip is None:
                return None
            self.leases[mac] = ip
        self.stations[station.id] = station
        self.emit("state", state="associated", station=station.id, ip=ip)
        return ip

    def leave(self, station) -> None:
        if self.stations.pop(station.id, None) is not None:
            self.emit("state", state="disassociated", station=station.id)

    def gateway_ip(self) -> str:
        return self.p.lan_ip

    def drop_clients(self, reason: str) -> None:
        stations, self.stations = list(self.stations.values()), {}
        for station in stations:
            station.wifi_lost(reason)
