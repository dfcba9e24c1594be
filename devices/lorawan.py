"""LoRaWAN-style class A nodes and an 8-path gateway (SX1301) with the network server behind it.

A node reads the sensors wired to it (``radio_inputs``), encodes them as Cayenne LPP, and sends an
unconfirmed data uplink every ``period_s`` on a random channel of its region's plan, at its
spreading factor. The frame has the LoRaWAN MAC layout: MHDR ``40``, DevAddr (little-endian),
FCtrl, FCnt, FPort 1, the payload, and a 4-byte MIC field (the lab does not encrypt or sign, so the
payload is in clear and the MIC is 00 00 00 00; the length, and so the airtime, is right). After
each uplink the node stays silent for ``t_air / dc - t_air`` (the duty-cycle limit, 1 % in EU868):
an uplink due earlier waits, and its ``frame.tx`` says how long (``dutycycle_wait_ms``); one due while
another still waits is skipped (an ``event`` says so), as a LoRaWAN stack refuses to queue a second.

A gateway listens on the 8 channels of its plan at every spreading factor at once, with 8 receive
paths (SX1301): a packet that finds all 8 busy is lost (``busy``); co-SF capture and cross-SF
isolation are the medium's. It forwards what it receives to the network server over its backhaul
(``backhaul_ms``); the server drops the copies other gateways forwarded of the same uplink, records
an ``uplink`` (node, FCnt, SF, frequency, RSSI, SNR, latency from the reading to the server) and the
readings as ``sample`` records of the sensors, ``via`` the gateway whose copy arrived first.
"""

from __future__ import annotations

import hashlib
import math
import struct
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from sim import FaultSpec
from sim.device import Device, DeviceParams
from sim.fault_effects import BatteryFaults
from sim.ports import bus
from sim.radio import RadioFaults, medium
from sim.radio_physics import duty_cycle_off_s
from sim.trace import time_key

from . import lpp
from .radio_inputs import SensorInputs, sensor_ports

EU868_MHZ = (868.1, 868.3, 868.5, 867.1, 867.3, 867.5, 867.7, 867.9)
REGIONS = {"EU868": {"duty_cycle": 0.01, "max_dbm": 16.0}, "CN470": {"duty_cycle": 1.0, "max_dbm": 19.15}}
MHDR_UNCONFIRMED_UP = 0x40
MAC_OVERHEAD = 13                       # MHDR 1, DevAddr 4, FCtrl 1, FCnt 2, FPort 1, MIC 4


def channels_mhz(region: str, sub_band: int) -> tuple[float, ...]:
    """The 8 uplink channels a node and a gateway of ``region`` use (CN470: sub-band 1..12)."""
    if region == "EU868":
        return EU868_MHZ
    return tuple(round(470.3 + 0.2 * (8 * (sub_band - 1) + k), 1) for k in range(8))


def dev_addr_of(device_id: str) -> int:
    """A stable DevAddr for a node: NetID prefix 0x26 (as TTN's) and 25 bits from its id."""
    digest = hashlib.sha256(device_id.encode()).digest()
    return 0x26000000 | (int.from_bytes(digest[:4], "big") & 0x01FFFFFF)


def build_uplink(dev_addr: int, fcnt: int, payload: bytes, fport: int = 1) -> bytes:
    frame = bytes([MHDR_UNCONFIRMED_UP]) + struct.pack("<IBH", dev_addr, 0, fcnt & 0xFFFF)
    if payload:
        frame += bytes([fport]) + payload
    return frame + b"\x00\x00\x00\x00"


def parse_uplink(frame: bytes) -> tuple[int, int, int | None, bytes]:
    """(DevAddr, FCnt, FPort or None, payload); ValueError if it is not a data uplink."""
    if len(frame) < 12 or frame[0] not in (0x40, 0x80):
        raise ValueError("not a LoRaWAN data uplink")
    dev_addr, fctrl, fcnt = struct.unpack("<IBH", frame[1:8])
    body = frame[8 + (fctrl & 0x0F):-4]
    if not body:
        return dev_addr, fcnt, None, b""
    return dev_addr, fcnt, body[0], body[1:]


class NodeParams(DeviceParams):
    region: Literal["EU868", "CN470"] = Field("CN470", description="channel plan: CN470 (China) or EU868")
    sub_band: int = Field(1, ge=1, le=12, description="CN470: which 8-channel sub-band (1..12) node and "
                          "gateway share")
    sf: int = Field(7, ge=7, le=12, description="spreading factor 7..12 (higher: further, slower)")
    tx_power_dbm: float = Field(14.0, ge=0, le=19.15, description="transmit power, dBm (EU868 allows 16)")
    period_s: float = Field(600.0, ge=1, le=86400, description="how often it sends its readings, s")
    first_s: float | None = Field(None, ge=0, le=86400, description="when the first uplink goes (unset: at a "
                                  "random moment within the first period)")
    duty_cycle: float | None = Field(None, gt=0, le=1, description="share of time it may transmit (unset: the "
                                     "region's rule, 1 % in EU868, none in CN470)")
    dev_addr: str | None = Field(None, pattern=r"^[0-9A-Fa-f]{8}$", description="DevAddr, 8 hex digits "
                                 "(unset: derived from the id)")
    SUPPLY_RANGE_V: ClassVar = (2.0, 3.6)

    @model_validator(mode="after")
    def _power(self):
        limit = REGIONS[self.region]["max_dbm"]
        if self.tx_power_dbm > limit:
            raise ValueError(f"tx_power_dbm {self.tx_power_dbm:g} is above the {self.region} limit of {limit:g} dBm")
        return self


class LoRaWANNode(BatteryFaults, SensorInputs, RadioFaults, Device):
    """LoRaWAN class A end node (SX1276): reads its sensors and sends LPP uplinks at a fixed SF."""
    FAMILY = "radios"
    TITLE = "LoRaWAN node (class A, SX1276) with sensor inputs"
    TITLE_ZH = "LoRaWAN 终端节点 (A 类, SX1276, 带传感器接口)"
    SUPPLY_RANGE_V, CURRENT_MA = (2.0, 3.6), 45.0
    Params = NodeParams

    @classmethod
    def port_specs(cls, params):
        return sensor_ports()

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self.dev_addr = int(params.dev_addr, 16) if params.dev_addr else dev_addr_of(device_id)
        self.fcnt = 0
        self.lpp_map: dict[int, tuple[str, str]] = {}
        self._lpp_channel: dict[tuple[str, str], int] = {}
        self.next_free = 0.0
        self.node = None
        self._taken: dict[int, float] = {}
        self._waiting = False

    def start(self) -> None:
        p = self.p
        self.inputs_start()
        self._freqs = [f * 1e6 for f in channels_mhz(p.region, p.sub_band)]
        self._dc = p.duty_cycle or REGIONS[p.region]["duty_cycle"]
        self._rng = self.sim.rng("lorawan:" + self.id)
        self.node = medium(self.sim).join(self, "lora", freq_hz=self._freqs[0], rate=p.sf,
                                          tx_power_dbm=p.tx_power_dbm, rx=False)
        first = p.first_s if p.first_s is not None else float(self._rng.uniform(0, p.period_s))
        self._tick = 0
        self.sim.env.timeout(first).callbacks.append(self._due)
        self._base = first

    def _due(self, _event=None) -> None:
        self._tick += 1
        env = self.sim.env
        env.timeout(self._base + self._tick * self.p.period_s - env.now).callbacks.append(self._due)
        if not self.powered:
            return
        reading_t = env.now
        if self._i2c is not None and self._i2c.parts:
            env.process(self._read_then_send(reading_t))
            return
        gen = self.acquire()
        try:
            next(gen)
        except StopIteration as done:
            self._send(done.value, reading_t)

    def _read_then_send(self, reading_t):
        values = yield from self.acquire()
        self._send(values, reading_t)

    def _send(self, readings, reading_t: float) -> None:
        if not self.powered:
            return
        items = []
        for src, values in readings:
            for field, value in values.items():
                key = (src, field)
                channel = self._lpp_channel.get(key)
                if channel is None:
                    channel = self._lpp_channel[key] = len(self._lpp_channel) + 1
                    self.lpp_map[channel] = key
                items.append((channel, field, value))
        env = self.sim.env
        if self._waiting:
            self.emit("event", error="uplink skipped: the previous one still waits for the duty cycle")
            return
        fcnt = self.fcnt
        frame = build_uplink(self.dev_addr, fcnt, lpp.encode(items))
        self.fcnt = (fcnt + 1) & 0xFFFF
        wait = max(0.0, self.next_free - env.now)
        freq = self._freqs[int(self._rng.integers(0, len(self._freqs)))]
        if wait > 0:
            self._waiting = True
            env.timeout(wait).callbacks.append(lambda _e: self._transmit(frame, fcnt, freq, reading_t, wait))
        else:
            self._transmit(frame, fcnt, freq, reading_t, 0.0)

    def _transmit(self, frame: bytes, fcnt: int, freq: float, reading_t: float, waited: float) -> None:
        self._waiting = False
        if not self.powered:
            return
        node = self.node.configure(freq_hz=freq)
        airtime = node.airtime_s(len(frame))
        fields = {"dutycycle_wait_ms": round(waited * 1000.0, 3)} if waited else {}
        end = medium(self.sim).send(node, frame, **fields)
        self.next_free = end + float(duty_cycle_off_s(airtime, self._dc)) if self._dc < 1.0 else end
        self._taken[fcnt] = reading_t
        self._taken.pop((fcnt - 16) & 0xFFFF, None)        # uplinks no server will report any more

    def reading_time(self, fcnt: int) -> float | None:
        """When the readings of uplink ``fcnt`` were taken (for the server's latency figure)."""
        return self._taken.pop(fcnt, None)


class GatewayParams(DeviceParams):
    region: Literal["EU868", "CN470"] = Field("CN470", description="channel plan: CN470 (China) or EU868")
    sub_band: int = Field(1, ge=1, le=12, description="CN470: the 8-channel sub-band (1..12) it listens on")
    backhaul_ms: float = Field(50.0, ge=0, le=10000, description="time from the gateway to the network server "
                               "(Ethernet: tens of ms; 4G: a few hundred), ms")
    antenna_gain_db: float = Field(3.0, ge=0, le=12, description="antenna gain, dBi")
    SUPPLY_RANGE_V: ClassVar = (9.0, 24.0)


class LoRaWANGateway(RadioFaults, Device):
    """8-channel LoRaWAN gateway (SX1301, 8 receive paths) and the network server behind it."""
    FAMILY = "radios"
    TITLE = "LoRaWAN gateway, 8 channels (SX1301) with network server"
    TITLE_ZH = "LoRaWAN 网关 (8 通道 SX1301, 含网络服务器)"
    SUPPLY_RANGE_V, CURRENT_MA = (9.0, 24.0), 300.0
    Params = GatewayParams
    COMMANDS = {"stats": "uplinks forwarded, duplicates, lost on the backhaul"}
    FAULTS = {"gateway_down": FaultSpec("gateway_down", "its backhaul to the network server is down: uplinks "
                                        "still reach its radio (frame.rx) but go no further (frame.lost, bus backhaul, "
                                        "reason gateway_down): no uplink and no readings from nodes only it hears")}

    @classmethod
    def port_specs(cls, params):
        return {"backhaul": bus("ethernet", "Ethernet to the network server: its delay is backhaul_ms, its loss "
                                "the gateway_down fault")}

    def start(self) -> None:
        p = self.p
        freqs = [f * 1e6 for f in channels_mhz(p.region, p.sub_band)]
        self.node = medium(self.sim).join(self, "lora", freq_hz=freqs[0], rx_freqs_hz=freqs, rx_any_rate=True,
                                          rx_paths=8, antenna_gain_db=p.antenna_gain_db)
        self.counts = {"forwarded": 0, "duplicates": 0, "backhaul_lost": 0, "bad_frames": 0}

    def command(self, name, args):
        if name != "stats":
            return super().command(name, args)
        return {"ok": True, **self.counts}

    def radio_receive(self, node, payload, sender, rssi_dbm, snr_db) -> None:
        if not self.powered:
            return
        try:
            dev_addr, fcnt, fport, data = parse_uplink(payload)
        except ValueError as exc:
            self.counts["bad_frames"] += 1
            self.emit("event", error=f"frame from {sender.id}: {exc}")
            return
        if self.has_fault("gateway_down"):
            self.counts["backhaul_lost"] += 1
            self.emit("frame.lost", bus="backhaul", reason="gateway_down", **{"from": sender.id})
            return
        up = (sender, dev_addr, fcnt, data, sender.rate, sender.freq_hz, rssi_dbm, snr_db)
        delay = self.p.backhaul_ms / 1000.0
        if delay > 0:
            self.sim.env.timeout(delay).callbacks.append(lambda _e: self._at_server(up))
        else:
            self._at_server(up)

    def _at_server(self, up) -> None:
        sender, dev_addr, fcnt, data, sf, freq, rssi, snr = up
        seen = _server(self.sim)
        key = dev_addr
        if seen.get(key) == fcnt:
            self.counts["duplicates"] += 1
            return
        seen[key] = fcnt
        self.counts["forwarded"] += 1
        node_dev = sender.device
        now = self.sim.env.now
        t = time_key(now)
        taken = node_dev.reading_time(fcnt) if hasattr(node_dev, "reading_time") else None
        record = {"t": t, "src": self.id, "kind": "uplink", "dev": node_dev.id, "dev_addr": f"{dev_addr:08X}",
                  "fcnt": fcnt, "sf": sf, "freq_mhz": round(freq / 1e6, 1), "rssi_dbm": round(rssi, 1),
                  "snr_db": round(snr, 1)}
        if taken is not None:
            record["latency_ms"] = round((now - taken) * 1000.0, 3)
        emit = self.sim.trace.emit
        emit(record)
        if not data:
            return
        try:
            values = lpp.decode(data)
        except lpp.LppError as exc:
            self.emit("event", error=f"uplink {fcnt} from {node_dev.id}: {exc}")
            return
        lpp_map = getattr(node_dev, "lpp_map", {})
        samples: dict[str, dict] = {}
        for channel, _kind, value in values:
            src, field = lpp_map.get(channel, (node_dev.id, f"ch{channel}"))
            samples.setdefault(src, {})[field] = _tidy(value)
        for src, fields in samples.items():
            emit({"t": t, "src": src, "kind": "sample", "via": self.id, **fields})


def _tidy(value: float) -> float:
    return float(round(value, 2)) if not math.isclose(value, round(value)) else float(round(value))


def _server(sim) -> dict:
    """The network server's memory of the last FCnt per DevAddr (shared by every gateway of the lab)."""
    seen = getattr(sim, "_lorawan_server", None)
    if seen is None:
        seen = sim._lorawan_server = {}
    return seen
