"""A cellular base station: an NB-IoT eNodeB or a 5G NR gNodeB, with its operator, cell identity,
coverage, network timers and the core network's way out to the internet. A mast outdoors goes on
the campus plan (``plan: campus``); a small cell can stand in the room.

Modules (BC26, BC95, RM500Q) measure it on the radio medium (RSRP, SINR), attach to it and
reach the internet through it (``backhaul_ms`` one way, and the ``wan_down``/``dns_failure``
faults of every access node). ``attach_reject`` makes the core network refuse attaches
(``+CEREG: ...,3``: registration denied), as with an unpaid SIM or a wrong APN.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from sim import FaultParams, FaultSpec
from sim.device import Device, DeviceParams
from sim.ports import bus
from sim.radio import RadioFaults, medium

from .wireless import AccessNode


class BaseStationParams(DeviceParams):
    rat: Literal["nbiot", "nr5g"] = Field("nbiot", description="radio technology: nbiot (NB-IoT, band 8) or "
                                                               "nr5g (5G NR SA, band n78)")
    tx_power_dbm: float = Field(43.0, ge=0, le=46, description="transmit power, dBm (macro cell 43-46, small "
                                                               "cell 20-30)")
    operator: str = Field("CHINA MOBILE", min_length=1, max_length=32, description="operator name shown by AT+COPS?")
    plmn: str = Field("46000", pattern=r"^\d{5,6}$", description="MCC+MNC, e.g. 46000 China Mobile, "
                                                                "46011 China Telecom")
    cell_id: int = Field(0x0C8F5A2, ge=0, le=0xFFFFFFFFF, description="cell identity (ECI / NCI)")
    tac: int = Field(0x2F4B, ge=0, le=0xFFFFFF, description="tracking area code")
    pci: int = Field(338, ge=0, le=1007, description="physical cell id")
    earfcn: int = Field(3686, ge=0, le=3279165, description="channel number (NB-IoT EARFCN, NR-ARFCN for 5G)")
    attach_s: float = Field(2.0, ge=0.1, le=120, description="how long an attach and PDP activation take, s")
    t3324_s: float = Field(10.0, ge=0, le=11160, description="PSM active timer a module gets (T3324), s")
    t3412_s: float = Field(3600.0, ge=60, le=35712000, description="periodic TAU timer (T3412): a module in PSM "
                                                                   "wakes this often, s")
    edrx_s: float = Field(20.48, ge=5.12, le=10485.76, description="eDRX cycle a module gets when it asks for "
                                                                   "eDRX, s")
    drx_s: float = Field(2.56, ge=0.32, le=10.24, description="idle-mode paging cycle without eDRX, s")
    inactivity_s: float = Field(20.0, ge=1, le=600, description="RRC inactivity timer: idle after this long "
                                                                "without traffic, s")
    backhaul_ms: float = Field(30.0, ge=0, le=2000, description="one-way delay from the core network to the "
                                                                "internet, ms")
    SUPPLY_RANGE_V: ClassVar = (40.0, 57.0)


class AttachReject(FaultParams):
    cause: int = Field(15, ge=1, le=111, description="EMM cause: 15 no suitable cells in the tracking area, "
                       "7 EPS services not allowed, 3 illegal UE")


class BaseStation(RadioFaults, AccessNode, Device):
    """Cellular base station (NB-IoT eNodeB or 5G NR gNodeB) with its core network's internet uplink."""
    FAMILY = "network"
    TITLE = "Cellular base station (NB-IoT / 5G NR)"
    TITLE_ZH = "蜂窝基站 (NB-IoT / 5G)"
    SUPPLY_RANGE_V, CURRENT_MA = (40.0, 57.0), 4000.0
    Params = BaseStationParams
    FAULTS = {
        "attach_reject": FaultSpec("attach_reject", "the core network refuses attaches: modules stay unregistered "
                                   "(+CEREG: ...,3 registration denied; +CGATT: 0), their connections fail",
                                   AttachReject),
    }
    OFF_REASON = "cell_off"
    DROPPING_FAULTS = {"attach_reject": "detached"}

    @classmethod
    def port_specs(cls, params):
        return {"backhaul": bus("ethernet", "S1/NG backhaul to the core network: its state is backhaul_ms and the "
                                            "wan_down and dns_failure faults")}

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self.node = None
        self.ues: dict[str, object] = {}

    def start(self) -> None:
        super().start()
        self.node = medium(self.sim).join(self, self.p.rat, tx_power_dbm=self.p.tx_power_dbm)

    @property
    def mcc_mnc(self) -> tuple[str, str]:
        return self.p.plmn[:3], self.p.plmn[3:]

    def attach(self, ue) -> tuple[str | None, int]:
        """(IP address, 0) for an accepted attach, or (None, EMM cause)."""
        reject = self.faults.get(("attach_reject", None))
        if reject is not None or not self.powered:
            return None, reject.cause if reject is not None else 15
        if ue.id not in self.ues:
            self.ues[ue.id] = ue
            ue.cell_ip = getattr(ue, "cell_ip", None) or self._address()
        self.emit("state", state="attached", ue=ue.id, ip=ue.cell_ip)
        return ue.cell_ip, 0

    def _address(self) -> str:
        """The next address of the lab's core network: one pool for every cell, so two cells never
        hand out the same one."""
        pool = self.sim.__dict__.setdefault("core_ip_pool", [0])
        n = pool[0]
        pool[0] += 1
        return f"10.84.{n // 250}.{n % 250 + 2}"

    def detach(self, ue) -> None:
        if self.ues.pop(ue.id, None) is not None:
            self.emit("state", state="detached", ue=ue.id)

    def drop_clients(self, reason: str) -> None:
        ues, self.ues = list(self.ues.values()), {}
        for ue in ues:
            ue.cell_lost(reason)
