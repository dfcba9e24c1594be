"""What cellular modules (BC26, BC95 NB-IoT; RM500Q 5G) share: the SIM, finding and measuring the
serving cell on the radio medium, attach and PDP, the RRC and power-saving states, and the radio
part of a connection's path.

Signal: RSRP is the cell's mean received power per resource element (RSSI over the 12
subcarriers of an NB-IoT carrier, or the 3,276 of a 100 MHz NR carrier); SINR from the
medium's noise and interference. NB-IoT coverage class (ECL) from RSRP: 0 above -105 dBm, 1
down to -115 dBm, 2 below (the repetitions buy 0 / 9 / 15 dB). A transfer from idle pays the
RRC connection set-up, then scheduling and airtime at the class's rate, with up to four HARQ
tries at the PER of the repeated SNR; figures are chosen so that an uplink from idle takes
about 1.6 s in class 0 and 10 s in class 2. After ``inactivity_s`` without traffic the module
is idle, reachable only at paging occasions (every ``drx_s``, or the eDRX cycle); with PSM on,
``t3324_s`` later it sleeps and a downlink waits until it next sends or its periodic TAU
(``t3412_s``).
"""

from __future__ import annotations

import math

from pydantic import Field

from sim import FaultSpec
from sim.device import DeviceParams
from sim.radio import medium

from .base_station import BaseStation
from .wireless import Path, own_rng

# Per coverage class 0, 1, 2: RRC set-up, scheduling per transfer, rate, repetition gain.
NB_SETUP_S = (1.0, 2.5, 6.0)
NB_SCHED_S = (0.4, 1.2, 3.0)
NB_RATE_BPS = (20000.0, 4000.0, 800.0)
NB_REP_GAIN_DB = (0.0, 9.0, 15.0)
NB_MIN_SNR_DB = -14.0                     # below this even class 2 cannot hold the link
HARQ_TRIES = 4


class CellularParams(DeviceParams):
    """Parameters every cellular module has."""
    sim_card: bool = Field(True, description="a SIM card is inserted")
    imei: str = Field("", pattern=r"^(\d{15})?$", description="IMEI (15 digits); empty: one made from the id")
    imsi: str = Field("", pattern=r"^(\d{15})?$", description="the SIM's IMSI; empty: one made from the id")
    tx_power_dbm: float = Field(23.0, ge=-40, le=23, description="maximum transmit power, dBm (class 3: 23)")


def digits_of(device_id: str, prefix: str, n: int = 15) -> str:
    import hashlib
    tail = str(int.from_bytes(hashlib.sha256(device_id.encode()).digest()[:8], "big"))
    return (prefix + tail)[:n].ljust(n, "0")


class Cellular:
    """Mixed into a cellular AT module (before ``ATModule``). ``RAT`` is "nbiot" or "nr5g"."""
    RAT = "nbiot"
    FAULTS = {
        "no_sim": FaultSpec("no_sim", "the SIM card is missing or not seated: +CPIN reports an error "
                            "(+CME ERROR: 10), the module never attaches"),
    }

    def init_cellular(self) -> None:
        self.imei = self.p.imei or digits_of(self.id, "86")
        self.imsi = self.p.imsi or digits_of(self.id, "46000")
        self.node = None
        self._reset_cell()

    def _reset_cell(self) -> None:
        self.cell: BaseStation | None = None
        self.reg = 0                 # +CEREG stat: 0 not searching, 1 home, 2 searching, 3 denied
        self.cell_ip = None
        self.last_active = -math.inf
        self._wake = None
        self._attaching = False
        self.cell_generation = getattr(self, "cell_generation", 0) + 1

    def join_radio(self) -> None:
        self.node = medium(self.sim).join(self, self.RAT, tx_power_dbm=self.p.tx_power_dbm)

    @property
    def sim_ready(self) -> bool:
        return self.p.sim_card and not self.has_fault("no_sim")

    # -- measuring -------------------------------------------------------------------------------------
    def _rsrp_offset_db(self) -> float:
        return 10.0 * math.log10(12) if self.RAT == "nbiot" else 10.0 * math.log10(3276)

    def best_cell(self) -> tuple[BaseStation | None, float, float]:
        """(cell, RSRP dBm, SINR dB) of the strongest powered cell of this technology, or (None, -inf, -inf)."""
        m = medium(self.sim)
        best = (None, -math.inf, -math.inf)
        for dev in self.sim.devices.values():
            if isinstance(dev, BaseStation) and dev.p.rat == self.RAT and dev.powered and dev.node is not None:
                rssi, snr, _ = m.quality(dev.node, self.node)
                rsrp = rssi - self._rsrp_offset_db()
                if rsrp > best[1]:
                    best = (dev, rsrp, snr)
        return best

    def signal(self) -> tuple[float, float]:
        """(RSRP dBm, SINR dB) of the serving cell now (or the best one)."""
        cell = self.cell
        if cell is None:
            _, rsrp, snr = self.best_cell()
            return rsrp, snr
        m = medium(self.sim)
        rssi, snr, _ = m.quality(cell.node, self.node)
        return rssi - self._rsrp_offset_db(), snr

    def ecl(self, rsrp: float | None = None) -> int:
        rsrp = self.signal()[0] if rsrp is None else rsrp
        return 0 if rsrp >= -105 else 1 if rsrp >= -115 else 2

    def in_coverage(self, snr: float) -> bool:
        return snr >= (NB_MIN_SNR_DB if self.RAT == "nbiot" else -5.0)

    # -- attach ----------------------------------------------------------------------------------------
    def attach(self):
        """Generator: search, attach and activate the PDP context; returns None or the EMM cause."""
        env = self.sim.env
        if self.cell is not None:
            return None
        if not self.sim_ready:
            return 15
        self._attaching = True
        generation = self.cell_generation
        try:
            self.set_reg(2)
            cell, rsrp, snr = self.best_cell()
            search = 1.0 if self.RAT == "nr5g" else (2.0, 4.0, 8.0)[self.ecl(rsrp)]
            yield env.timeout(search)
            if generation != self.cell_generation:
                return 15
            if cell is None or not cell.powered or not self.in_coverage(snr):
                return 15
            yield env.timeout(cell.p.attach_s * (1.0 if self.RAT == "nr5g" else (1.0, 1.5, 2.5)[self.ecl(rsrp)]))
            if generation != self.cell_generation or not cell.powered:
                return 15
            ip, cause = cell.attach(self)
            if ip is None:
                self.set_reg(3)
                return cause
            self.cell, self.cell_ip = cell, ip
            self.last_active = env.now
            self.set_reg(1)
            self.emit("state", state="attached", cell=cell.id, ip=ip, rsrp_dbm=round(rsrp, 1), ecl=self.ecl(rsrp))
            return None
        finally:
            self._attaching = False

    def detach(self) -> None:
        if self.cell is not None:
            self.cell.detach(self)
        self.cell, self.cell_ip = None, None
        self.cell_generation += 1
        self.set_reg(0)

    def cell_lost(self, reason: str) -> None:
        """The cell went away or detached us: report it, drop sessions, search again."""
        if self.cell is None:
            return
        self.cell, self.cell_ip = None, None
        self.cell_generation += 1
        self.emit("state", state="detached", reason=reason)
        self.on_detached()
        self.set_reg(2)
        self.keep_attached(wait_first=True)

    def keep_attached(self, wait_first: bool = False) -> None:
        """Attach now (or after a pause) and go on searching every ``RETRY_S`` while there is no cell in
        reach; a network that rejects the attach (any cause but 15, no suitable cell) is not asked again
        until the module restarts or is told to attach."""
        self.sim.env.process(self._attach_loop(self.cell_generation, wait_first))

    RETRY_S = 10.0

    def _attach_loop(self, generation: int, wait_first: bool):
        env = self.sim.env
        if wait_first:
            yield env.timeout(self.RETRY_S)
        while self.powered and self.cell is None and generation == self.cell_generation and self.radio_on():
            if not self._attaching and self.sim_ready:
                cause = yield from self.attach()
                if cause is None or cause != 15 or generation != self.cell_generation:
                    return
                generation = self.cell_generation
            yield env.timeout(self.RETRY_S)

    def set_reg(self, stat: int) -> None:
        if stat != self.reg:
            self.reg = stat
            self.on_reg(stat)

    # -- what a module fills in -------------------------------------------------------------------------------
    def on_reg(self, stat: int) -> None:
        """Registration changed (a +CEREG URC, if enabled)."""

    def on_detached(self) -> None:
        """The attach was lost: close sessions, tell the student."""

    def radio_on(self) -> bool:
        return True

    def power_options(self) -> tuple[bool, bool]:
        """(PSM requested, eDRX requested)."""
        return False, False

    # -- the radio part of a path -----------------------------------------------------------------------
    def path(self) -> Path:
        return Path(self, self._cell_hop, self.cell.backhaul_s() if self.cell else 0.0)

    def _state(self) -> str:
        """connected, idle or psm, now."""
        if self.cell is None:
            return "off"
        now = self.sim.env.now
        inactivity = self.cell.p.inactivity_s
        if now < self.last_active + inactivity:
            return "connected"
        psm, _ = self.power_options()
        if psm and self.RAT == "nbiot" and now >= self.last_active + inactivity + self.cell.p.t3324_s:
            return "psm"
        return "idle"

    def _next_reachable(self) -> float:
        """When a downlink can next reach the module (a paging occasion, or the end of PSM at the next TAU)."""
        now = self.sim.env.now
        cell = self.cell
        state = self._state()
        if state == "connected":
            return now
        if state == "psm":
            base = self.last_active
            k = math.ceil((now - base) / cell.p.t3412_s)
            return base + max(1, k) * cell.p.t3412_s
        _, edrx = self.power_options()
        cycle = cell.p.edrx_s if edrx else cell.p.drx_s
        phase = (int(self.imsi[-4:]) % 1024) / 1024.0 * cycle
        k = math.ceil((now - phase) / cycle)
        return phase + k * cycle

    def _cell_hop(self, n_bytes: int, up: bool):
        env = self.sim.env
        cell = self.cell
        if cell is None or not cell.powered:
            return False
        if not up:
            due = self._next_reachable()
            if due > env.now:
                self._wake = wake = self._wake or env.event()
                yield wake | env.timeout(due - env.now)
                if self.cell is not cell:
                    return False
        rsrp, snr = self.signal()
        if self.RAT == "nbiot":
            ce = self.ecl(rsrp)
            setup, sched, rate, gain = NB_SETUP_S[ce], NB_SCHED_S[ce], NB_RATE_BPS[ce], NB_REP_GAIN_DB[ce]
        else:
            ce = 0
            setup, sched, gain = 0.02, 0.001, 0.0
            rate = min(2e9, 100e6 * math.log2(1.0 + 10.0 ** (max(snr, -5.0) / 10.0)))
        if self._state() != "connected":
            yield env.timeout(setup)
        per = float(self.node.tech.per(snr + gain, n_bytes)) if self.in_coverage(snr) else 1.0
        rng = own_rng(self, "cellular")
        for attempt in range(1, HARQ_TRIES + 1):
            yield env.timeout(sched + n_bytes * 8.0 / rate)
            if self.cell is not cell:
                return False
            if rng.random() >= per:
                self.last_active = env.now
                if up and self._wake is not None and not self._wake.triggered:
                    self._wake.succeed()
                    self._wake = None
                self.emit("frame.tx" if up else "frame.rx", bus=self.RAT, peer=cell.id, bytes=n_bytes,
                          rsrp_dbm=round(rsrp, 1), snr_db=round(snr, 1), ecl=ce, tries=attempt)
                return True
        self.emit("frame.lost", bus=self.RAT, peer=cell.id, bytes=n_bytes, reason="per", rsrp_dbm=round(rsrp, 1),
                  snr_db=round(snr, 1))
        return False
