"""What the network modules share: acknowledged frames over the radio medium, the access node
(Wi-Fi access point, cell) a module reaches the internet through, and the path a real connection's
bytes take: radio hops with their retries and losses, then the access node's backhaul.

``deliver(device, node, dst, payload)`` sends one unicast frame with link-layer retries (each
try is a real frame on the medium, with its airtime, PER and collisions) and returns whether an
attempt got through and how many it took. ``Path`` carries a connection's bytes in order:
``yield from path.up(n)`` / ``path.down(n)`` take the radio and backhaul time (TCP-style: a
frame lost on every link-layer try is sent again after a retransmission timeout that doubles;
after ``TCP_TRIES`` the connection is given up), or for a datagram the first loss is final.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Callable, ClassVar

from sim import FaultSpec
from sim.radio import medium

#: IP + TCP header bytes added to each segment on the air.
TCP_OVERHEAD = 40
UDP_OVERHEAD = 28
TCP_TRIES = 5
RTO_S = 0.2


def deliver(device, node, dst, payload: bytes, *, tries: int = 7, slot_s: float = 20e-6, n_bytes: int | None = None,
            rng=None, **fields):
    """SimPy process body: unicast ``payload`` from ``node`` to ``dst`` with up to ``tries`` link-layer
    attempts and random back-off; returns (delivered, attempts)."""
    m = medium(device.sim)
    env = device.sim.env
    rng = rng or own_rng(device, "wireless")
    cw = 15
    for attempt in range(1, tries + 1):
        got = yield from m.transmit(node, payload, dst, n_bytes=n_bytes, **fields)
        if dst in got:
            return True, attempt
        cw = min(1023, cw * 2 + 1)
        yield env.timeout(float(rng.integers(0, cw + 1)) * slot_s + slot_s)
    return False, tries


def own_rng(device, purpose: str):
    """``device``'s own random stream for ``purpose`` (``"<purpose>:<device id>"``, made once, kept on it)."""
    streams = vars(device).setdefault("_own_rngs", {})
    if purpose not in streams:
        streams[purpose] = device.sim.rng(f"{purpose}:{device.id}")
    return streams[purpose]


class Listening:
    """Mixed in (before ``Device``) by a device with a node on the radio medium, ``self.node``: its receiver
    is on only while the device is powered."""

    def set_power(self, on: bool) -> None:
        super().set_power(on)
        if self.node is not None:
            self.node.listening = on


# -- access nodes: an AP or a cell ----------------------------------------------------------------------------
class AccessNode(Listening):
    """Mixed into a Wi-Fi access point or a base station (before ``Device``): its uplink to the internet
    (parameters ``backhaul_ms``, one way, and the faults below) and its clients, every one dropped
    (``drop_clients``) when it goes off (``OFF_REASON``) or a fault of ``DROPPING_FAULTS`` starts."""
    OFF_REASON: ClassVar[str] = "off"
    DROPPING_FAULTS: ClassVar[dict[str, str]] = {}      # fault -> the reason its clients are given
    FAULTS = {
        "wan_down": FaultSpec("wan_down", "its uplink to the internet is down: the radio side still works (the "
                              "module joins and gets an address) but connections to brokers and servers time out"),
        "dns_failure": FaultSpec("dns_failure", "its DNS server does not answer: connections by host name fail "
                                 "with the module's DNS error; by IP address they still work"),
    }

    def internet_problem(self, host: str) -> str | None:
        """Why ``host`` cannot be reached through this node now: "wan" or "dns", or None."""
        down = not self.powered or self.has_fault("wan_down")
        if not is_ip(host) and (down or self.has_fault("dns_failure")):
            return "dns"                     # no DNS server answers the name
        return "wan" if down else None

    def backhaul_s(self) -> float:
        return float(getattr(self.p, "backhaul_ms", 20.0)) / 1000.0

    def drop_clients(self, reason: str) -> None:
        """Tell every client it has lost this node."""
        raise NotImplementedError

    def set_power(self, on: bool) -> None:
        super().set_power(on)
        if not on:
            self.drop_clients(self.OFF_REASON)

    def fault_on(self, spec, params, port) -> None:
        super().fault_on(spec, params, port)
        if spec.name in self.DROPPING_FAULTS:
            self.drop_clients(self.DROPPING_FAULTS[spec.name])

    def radio_receive(self, node, payload, sender, rssi_dbm, snr_db) -> None:
        """Frames addressed to the node are handled by the exchange their sender runs."""


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


# -- a connection's path -------------------------------------------------------------------------------------
class Path:
    """The way a module's connection travels: ``hop(n_bytes, up)`` is a generator for the radio part (returns
    False when the frame could not be delivered on any try), ``backhaul_s`` the wired rest, one way."""

    def __init__(self, device, hop: Callable[[int, bool], Any], backhaul_s: float, datagram: bool = False) -> None:
        self.device, self.hop, self.backhaul_s, self.datagram = device, hop, backhaul_s, datagram
        self.free = {True: 0.0, False: 0.0}
        self.broken = False

    def up(self, n_bytes: int):
        return self._carry(n_bytes, True)

    def down(self, n_bytes: int):
        return self._carry(n_bytes, False)

    def _carry(self, n_bytes: int, up: bool):
        """Generator: True once the bytes are through (in order with this path's earlier ones), False if lost
        (a datagram) or the connection gave up (TCP)."""
        env = self.device.sim.env
        overhead = UDP_OVERHEAD if self.datagram else TCP_OVERHEAD
        rto = RTO_S
        tries = 1 if self.datagram else TCP_TRIES
        for _ in range(tries):
            if self.broken:
                return False
            ok = yield from self.hop(n_bytes + overhead, up)
            if ok:
                break
            if self.datagram:
                return False
            yield env.timeout(rto)
            rto *= 2
        else:
            self.broken = True
            return False
        # keep the stream in order: a segment never overtakes an earlier one
        due = max(env.now + self.backhaul_s, self.free[up])
        self.free[up] = due
        if due > env.now:
            yield env.timeout(due - env.now)
        return True
