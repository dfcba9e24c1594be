"""The eight training rooms of the curriculum and where their scenarios live."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path


@dataclass(frozen=True)
class RoomInfo:
    id: str
    name: str
    name_zh: str
    activities: str


ROOMS = (
    RoomInfo("sensor-lab", "Sensor application", "传感器应用实训室",
             "data acquisition, interfaces, sensor selection, sensor-network installation and debugging"),
    RoomInfo("wireless-lab", "Wireless transmission", "无线传输实训室",
             "Wi-Fi, Bluetooth, ZigBee, LoRa, NB-IoT and 5G modules configured with AT commands"),
    RoomInfo("autoid-lab", "Automatic identification", "自动识别实训室",
             "barcodes, RFID, biometrics, access control and smart parking"),
    RoomInfo("embedded-lab", "Embedded development", "嵌入式开发实训室",
             "GPIO, interrupts, timers and bus sensors on a dev board"),
    RoomInfo("maintenance-lab", "Device installation and maintenance", "设备安装与维护实训室",
             "installing, networking, debugging and linkage control"),
    RoomInfo("ops-lab", "System deployment and operations", "系统部署与运维实训室",
             "gateways, servers and cloud services deployed and kept running"),
    RoomInfo("design-lab", "Engineering design and management", "工程设计与管理实训室",
             "designing, building and running the subsystems of IoT projects"),
    RoomInfo("appdev-lab", "Application development", "应用开发实训室",
             "apps that read lab data and control devices through the cloud"),
)


def scenario_dir() -> Path:
    spec = find_spec("scenarios")
    if spec is None or not spec.origin:
        raise RuntimeError("the scenarios package is missing; reinstall iotlab with `pip install .`")
    return Path(spec.origin).parent


def room_file(room_id: str) -> Path:
    return scenario_dir() / "rooms" / f"{room_id}.yaml"


def available(room_id: str) -> bool:
    return room_file(room_id).is_file()
