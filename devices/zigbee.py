"""ZigBee parts of the classroom: the CC2530 serial module and the CC2530 sensor/actuator kit node.

**CC2530 serial module** (``zigbee_cc2530``): a coordinator, router or end device whose UART is
transparent: bytes in go over the network, bytes received come out. Configuration is by hex frames
on the same UART (9600 8N1 by default), recognised when a packet is exactly one of them::

    AA C7 BB                                     query
    AA C7 5A <ch> <PAN hi> <PAN lo> <addr hi> <addr lo> BB     set channel (11..26), PAN id, address

Both are answered with the module's configuration in the set frame's layout. A set frame with a
value out of range (channel outside 11..26, PAN id FFFF, an address of FFF8..FFFF, a coordinator at
another address than 0000, a router or end device at 0000) changes nothing, and the answer shows the
configuration the module keeps. Settings are kept over a power cycle. A coordinator sends what it
gets on its UART to every device (``dest_mode: broadcast``) or, with ``dest_mode: addressed``, to the
address in the first two bytes of each packet (big-endian); routers and end devices send to the
coordinator. A packet is what arrived before the UART went quiet for 3.5 characters, at most 108
bytes (longer input is split).

**Kit node** (``zigbee_node``): a CC2530 board with sensor inputs (``ai1``, ``di1``, ``dio1``,
``i2c``) and two relay outputs (``lamp``, ``fan``). Every ``period_s`` it sends its readings to the
coordinator as text, one ``KEY:value`` line each, as classroom firmware does (``T:25\\nH:55\\nL:300\\n``:
T temperature °C, H humidity %RH, L light lx, C CO2 ppm, G gas ppm, S soil moisture %, D door, F
flame, W water leak; whole numbers). One-byte commands switch its outputs: 0x01 lamp on, 0x02 lamp
off, 0x03 fan on, 0x04 fan off. The coordinator puts the text on its UART and records the readings
as ``sample`` records of the sensors, ``via`` the coordinator, like a gateway's readings.
"""

from __future__ import annotations

import hashlib
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from sim.device import Device, DeviceParams
from sim.fault_effects import BatteryFaults
from sim.ports import source
from sim.radio import RadioFaults
from sim.trace import time_key
from sim.uart import UartPort, uart_port

from . import zigbee_frames as zf
from .radio_inputs import SensorInputs, sensor_ports
from .zigbee_stack import MAX_PAYLOAD, ZigbeeStack

TEXT_KEYS = {"temperature_c": "T", "humidity_rh": "H", "illuminance_lux": "L", "co2_ppm": "C", "gas_ppm": "G",
             "soil_moisture_pct": "S", "door_open": "D", "flame": "F", "water_leak": "W"}
KIT_COMMANDS = {0x01: ("lamp", True), 0x02: ("lamp", False), 0x03: ("fan", True), 0x04: ("fan", False)}
BAUDS = (2400, 4800, 9600, 19200, 38400, 57600, 115200)


class ZigbeeParams(DeviceParams):
    role: Literal["coordinator", "router", "end_device"] = Field("end_device", description="network role")
    pan_id: int = Field(0x1234, ge=0, le=0xFFFE, description="PAN id, 0..65534 (0x1234 is 4660)")
    channel: int = Field(11, ge=11, le=26, description="IEEE 802.15.4 channel 11..26 (2405 + 5 (ch - 11) MHz)")
    addr: int | None = Field(None, ge=0, le=0xFFF7, description="16-bit network address (the coordinator is "
                             "always 0; unset: derived from the id)")
    tx_power_dbm: float = Field(4.5, ge=-22, le=20, description="transmit power, dBm (CC2530: up to 4.5; "
                                "with a CC2591 PA: 20)")
    mto_period_s: float = Field(120.0, ge=0, le=3600, description="coordinator: how often it floods a "
                                "many-to-one route request (0: never), s")

    @model_validator(mode="after")
    def _address(self):
        if self.role == "coordinator" and self.addr not in (None, 0):
            raise ValueError(f"a coordinator's address is always 0, not {self.addr}")
        if self.role != "coordinator" and self.addr == 0:
            raise ValueError("address 0 belongs to the coordinator; give a router or end device 1..65527")
        return self


def default_addr(device_id: str) -> int:
    """A network address for a router or end device whose scenario gives none (1..65526, from its id)."""
    return 1 + int.from_bytes(hashlib.sha256(device_id.encode()).digest()[:2], "big") % 0xFFF6


class ZigbeePart(RadioFaults, Device):
    """What the CC2530 parts share: the stack, power, and where a kit's readings go."""
    FAMILY = "radios"

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        addr = 0 if params.role == "coordinator" else (params.addr if params.addr is not None
                                                        else default_addr(device_id))
        self.stack = ZigbeeStack(self, params.role, params.pan_id, params.channel, addr, params.tx_power_dbm,
                                 self.zigbee_data, params.mto_period_s)

    @property
    def node(self):
        return self.stack.node

    def start(self) -> None:
        super().start()
        self.stack.start()

    def set_power(self, on: bool) -> None:
        was = self.powered
        super().set_power(on)
        if was != on and self.stack.node is not None:
            self.stack.power(on)

    def zigbee_data(self, src_addr: int, payload: bytes, src_stack) -> None:
        """Application bytes from the network."""

    def kit_samples(self, payload: bytes, src_stack) -> None:
        """A kit's text report: record its readings as samples of its sensors, via this device."""
        kit = src_stack.dev if src_stack is not None else None
        sources = getattr(kit, "text_sources", None)
        if not sources:
            return
        samples: dict[str, dict] = {}
        for line in payload.decode("latin-1").splitlines():
            key, sep, value = line.partition(":")
            if not sep or key not in sources:
                continue
            try:
                number = float(value)
            except ValueError:
                continue
            src, field = sources[key]
            samples.setdefault(src, {})[field] = number
        t = time_key(self.sim.now)
        for src, fields in samples.items():
            self.sim.trace.emit({"t": t, "src": src, "kind": "sample", "via": self.id, **fields})


class CC2530Params(ZigbeeParams):
    baud: Literal[BAUDS] = Field(9600, description="UART speed, bit/s (8N1)")
    dest_mode: Literal["broadcast", "addressed"] = Field("broadcast", description="coordinator: UART data goes "
                                                         "to every device, or to the address in each packet's "
                                                         "first two bytes")
    SUPPLY_RANGE_V: ClassVar = (3.3, 5.5)


class CC2530Module(UartPort, ZigbeePart):
    """CC2530 ZigBee serial module: hex configuration frames, then UART-transparent."""
    TITLE = "ZigBee serial module (CC2530, hex configuration, transparent UART)"
    TITLE_ZH = "ZigBee 无线串口模块 (CC2530, 十六进制配置帧, 透明传输)"
    SUPPLY_RANGE_V, CURRENT_MA = (3.3, 5.5), 34.0
    Params = CC2530Params

    @classmethod
    def port_specs(cls, params):
        return {"uart": uart_port("UART: TXD, RXD (TTL), 8N1; hex configuration frames and transparent data")}

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self.baud, self.parity = params.baud, "N"
        self._buf = bytearray()
        self._token = 0

    def uart(self, port: str) -> tuple[int, str]:
        return self.baud, "N"

    def uart_receive(self, port: str, data: bytes) -> None:
        if not self.powered:
            return
        self._buf += data
        self._token += 1
        token = self._token
        gap = max(3.5 * 10 / self.baud, 0.002)
        self.sim.env.timeout(gap).callbacks.append(lambda _e: self._packet(token))

    def _packet(self, token: int) -> None:
        if token != self._token or not self._buf:
            return
        packet = bytes(self._buf)
        self._buf.clear()
        if packet == b"\xAA\xC7\xBB":
            self._reply_config()
        elif len(packet) == 9 and packet[:3] == b"\xAA\xC7\x5A" and packet[8] == 0xBB:
            self._set_config(packet)
        else:
            self._send_data(packet)

    def _config_frame(self) -> bytes:
        s = self.stack
        return bytes([0xAA, 0xC7, 0x5A, s.channel, s.pan >> 8, s.pan & 0xFF, s.addr >> 8, s.addr & 0xFF, 0xBB])

    def _reply_config(self) -> None:
        self.uart_send("uart", self._config_frame())

    def _set_config(self, packet: bytes) -> None:
        channel, pan, addr = packet[3], (packet[4] << 8) | packet[5], (packet[6] << 8) | packet[7]
        role = self.p.role
        problem = None
        if not 11 <= channel <= 26:
            problem = f"channel {channel} is not 11..26"
        elif pan == 0xFFFF:
            problem = "PAN id FFFF is reserved"
        elif addr >= 0xFFF8:
            problem = f"address {addr:04X} is reserved (FFF8..FFFF)"
        elif role == "coordinator" and addr != 0:
            problem = f"a coordinator's address is 0000, not {addr:04X}"
        elif role != "coordinator" and addr == 0:
            problem = "address 0000 belongs to the coordinator"
        if problem:
            self.emit("event", error=f"configuration frame {packet.hex(' ').upper()} refused: {problem}")
        else:
            s = self.stack
            if (channel, pan, addr) != (s.channel, s.pan, s.addr):
                self.stack.reconfigure(pan, channel, addr)
                self.emit("state", state="config", channel=channel, pan=f"0x{pan:04X}", addr=f"0x{addr:04X}")
        self._reply_config()

    def _send_data(self, packet: bytes) -> None:
        s = self.stack
        if s.role == "coordinator" and self.p.dest_mode == "addressed":
            if len(packet) < 3:
                self.emit("event", error=f"addressed packet of {len(packet)} bytes: it needs a 2-byte address "
                                         "and data; not sent")
                return
            dst, packet = (packet[0] << 8) | packet[1], packet[2:]
        else:
            dst = zf.BROADCAST if s.role == "coordinator" else 0x0000
        for i in range(0, len(packet), MAX_PAYLOAD):
            if not s.send(dst, packet[i:i + MAX_PAYLOAD]):
                self.emit("frame.lost", bus="zigbee", reason="not_joined", to=f"0x{dst:04X}")
                return

    def zigbee_data(self, src_addr, payload, src_stack) -> None:
        self.uart_send("uart", payload)
        if self.stack.role == "coordinator":
            self.kit_samples(payload, src_stack)


class KitParams(ZigbeeParams):
    role: Literal["router", "end_device"] = Field("end_device", description="network role")
    period_s: float = Field(10.0, ge=0.5, le=3600, description="how often it reports its readings, s")
    SUPPLY_RANGE_V: ClassVar = (3.3, 5.5)


class ZigbeeKitNode(BatteryFaults, SensorInputs, ZigbeePart):
    """CC2530 kit node with sensor inputs and lamp/fan relays: text reports, one-byte commands."""
    TITLE = "ZigBee kit node (CC2530 board: sensor inputs, lamp and fan relays)"
    TITLE_ZH = "ZigBee 实训节点 (CC2530 板: 传感器接口, 灯/风扇继电器)"
    SUPPLY_RANGE_V, CURRENT_MA = (3.3, 5.5), 40.0
    Params = KitParams

    @classmethod
    def port_specs(cls, params):
        ports = sensor_ports()
        ports["lamp"] = source("switched", "relay contact for a lamp (command 0x01 on, 0x02 off)")
        ports["fan"] = source("switched", "relay contact for a fan (command 0x03 on, 0x04 off)")
        return ports

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self.outputs = {"lamp": False, "fan": False}
        self.text_sources: dict[str, tuple[str, str]] = {}

    def start(self) -> None:
        super().start()
        self.inputs_start()
        rng = self.sim.rng("zigbee-kit:" + self.id)
        self.sim.env.process(self._report(float(rng.uniform(1.0, 1.0 + self.p.period_s))))

    def _report(self, first: float):
        env = self.sim.env
        yield env.timeout(first)
        while True:
            if self.powered and self.stack.joined:
                readings = yield from self.acquire()
                text = self.report_text(readings)
                if text:
                    self.stack.send(0x0000, text.encode("ascii"))
            yield env.timeout(self.p.period_s)

    def report_text(self, readings) -> str:
        lines = []
        for src, values in readings:
            for field, value in values.items():
                key = TEXT_KEYS.get(field)
                if key is None or key in self.text_sources and self.text_sources[key][0] != src:
                    continue
                self.text_sources[key] = (src, field)
                lines.append(f"{key}:{round(value)}\n")
        return "".join(lines)

    def zigbee_data(self, src_addr, payload, src_stack) -> None:
        for byte in payload:
            action = KIT_COMMANDS.get(byte)
            if action is None:
                self.emit("event", error=f"unknown command byte 0x{byte:02X}; the kit takes 0x01..0x04")
                continue
            self.switch(*action)

    def switch(self, output: str, on: bool) -> None:
        if self.outputs[output] == on:
            return
        self.outputs[output] = on
        self.emit("output", output=output, on=on)
        for link in self.links[output]:
            if not link.broken:
                load, port = link.peer(self)
                load.on_supply(port, on)

    def set_power(self, on: bool) -> None:
        super().set_power(on)
        if not on:
            for output in self.outputs:
                self.switch(output, False)
