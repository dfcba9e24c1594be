"""What the Bluetooth serial modules (HC-05 classic SPP, ``devices.hc05``; HM-10 BLE, ``devices.hm10``)
share: a radio on the medium, finding a module of the same model, the link and the settings.

Once two modules are connected, bytes into one's UART come out of the other's: they cross the
radio medium in packets (classic: up to 27 bytes a baseband packet; BLE: 20 bytes a connection
event every ``interval``), each with its link-layer retries, so range, walls and interference
show as delay and, past the edge, a dropped link.
"""

from __future__ import annotations

import math
from typing import ClassVar

from sim.device import Device
from sim.fault_effects import FirmwareFaults
from sim.radio import RadioFaults, medium
from sim.uart import uart_port

from .at import ATModule
from .wireless import Listening, deliver


class Link:
    """A connected pair of Bluetooth modules: bytes each side sends, in order, over the medium."""

    def __init__(self, a, b, tech: str, packet: int, interval_s: float) -> None:
        self.a, self.b, self.tech, self.packet, self.interval_s = a, b, tech, packet, interval_s
        self.up = True
        self.queue: dict[str, bytearray] = {a.id: bytearray(), b.id: bytearray()}
        self.pumping: set[str] = set()

    def other(self, dev):
        return self.b if dev is self.a else self.a

    def send(self, sender, data: bytes) -> None:
        if not self.up:
            return
        self.queue[sender.id] += data
        if sender.id not in self.pumping:
            self.pumping.add(sender.id)
            sender.sim.env.process(self._pump(sender))

    def _pump(self, sender):
        """One direction's packets, in order, each with its link-layer retries."""
        env = sender.sim.env
        receiver = self.other(sender)
        queue = self.queue[sender.id]
        try:
            while queue and self.up:
                chunk = bytes(queue[:self.packet])
                del queue[:self.packet]
                if self.interval_s:                         # BLE: the next connection event
                    wait = math.ceil(env.now / self.interval_s) * self.interval_s - env.now
                    if wait > 0:
                        yield env.timeout(wait)
                ok, _ = yield from deliver(sender, sender.node, receiver.node, chunk, tries=10, slot_s=625e-6)
                if not self.up:
                    return
                if not ok:
                    self.drop("link_lost")
                    return
                receiver.bt_data(chunk)
        finally:
            self.pumping.discard(sender.id)

    def drop(self, reason: str) -> None:
        if not self.up:
            return
        self.up = False
        for dev in (self.a, self.b):
            if dev.link is self:
                dev.link = None
                dev.bt_lost(reason)


class BtModule(Listening, RadioFaults, FirmwareFaults, ATModule, Device):
    """What HC-05 and HM-10 share: a radio on the medium, a link, finding modules of the same model, a
    master's connecting by itself, settings written through to flash. A model gives ``findable()``
    (can be found and connected to now) and, for connecting by itself, ``auto_connecting()``,
    ``wants(peer)`` and ``paged(peer)``."""
    FAMILY = "modules"
    TECH: ClassVar[str] = "bt"
    PACKET: ClassVar[int] = 27                 # bytes a packet on the link
    INTERVAL_S: ClassVar[float] = 0.0          # BLE connection interval (0: none)
    PACK_S: ClassVar[float] = 0.005            # transparent mode: a gap this long ends a packet from the UART
    PACK_MAX: ClassVar[int] = 128              # ... and one has at most this many bytes
    PAGE_S: ClassVar[float] = 1.5              # connecting by itself: paging a module it found
    RESCAN_S: ClassVar[float] = 2.0            # ... and the pause before it looks again

    @classmethod
    def port_specs(cls, params):
        return {"uart": uart_port("UART: TXD, RXD (3.3 V TTL)")}

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self.node = None
        self.link: Link | None = None

    def start(self) -> None:
        self.node = medium(self.sim).join(self, self.TECH)
        super().start()

    def power_lost(self) -> None:
        if self.link is not None:
            self.link.drop("power")

    def set(self, **values) -> None:
        """Settings written through to flash, as these modules do."""
        self.nv.update(values)
        self.save(list(values))

    # -- finding ----------------------------------------------------------------------------------------
    def findable(self) -> bool:
        raise NotImplementedError

    def in_range(self, other) -> float | None:
        """RSSI (dBm) of ``other`` here if it can be heard, else None."""
        if other.node is None or not other.powered:
            return None
        rssi, _, per = medium(self.sim).quality(other.node, self.node)
        return rssi if per < 0.9 else None

    def nearby(self) -> list[tuple[BtModule, float]]:
        """Findable modules of this model in range, strongest first: (module, RSSI dBm)."""
        found = []
        for dev in self.sim.devices.values():
            if isinstance(dev, type(self)) and dev is not self and dev.findable():
                rssi = self.in_range(dev)
                if rssi is not None:
                    found.append((dev, rssi))
        return sorted(found, key=lambda item: -item[1])

    def by_address(self, address: str) -> BtModule | None:
        return next((d for d in self.sim.devices.values() if isinstance(d, type(self)) and d.address == address),
                    None)

    # -- the link ----------------------------------------------------------------------------------------
    def link_to(self, peer: BtModule) -> None:
        self.link = peer.link = Link(self, peer, self.TECH, self.PACKET, self.INTERVAL_S)
        for dev, other in ((self, peer), (peer, self)):
            dev.linked(other)

    def linked(self, peer: BtModule) -> None:
        """This module is now connected to ``peer``."""
        self.emit("state", state="connected", peer=peer.id)

    def pass_through(self):
        """Transparent mode: bytes from the UART go over the link (the event fires when it ends)."""
        return self.at.transparent(self._from_uart, escape=b"", pack_s=self.PACK_S, pack_max=self.PACK_MAX)

    def _from_uart(self, data: bytes) -> None:
        if self.link is not None:
            self.link.send(self, data)

    def bt_data(self, data: bytes) -> None:
        """Bytes from the other end of the link: out of the UART."""
        self.uart_send(self.AT_PORT, data)

    def bt_lost(self, reason: str) -> None:
        self.emit("state", state="disconnected", reason=reason)

    # -- a master connecting by itself ----------------------------------------------------------------------
    def auto_connecting(self) -> bool:
        """Whether the master should go on connecting by itself."""
        return False

    def wants(self, peer: BtModule) -> bool:
        """Whether to page ``peer`` (a bound or last address, say)."""
        return True

    def paged(self, peer: BtModule) -> bool:
        """After paging ``peer``: connect if it may be; True to stop looking this round."""
        return True

    def _auto_connect(self):
        env = self.sim.env
        while self.auto_connecting():
            if self.link is None and not self.at.busy:
                for peer, _ in self.nearby():
                    if not self.wants(peer):
                        continue
                    yield env.timeout(self.PAGE_S)
                    if self.paged(peer):
                        break
            yield env.timeout(self.RESCAN_S)
