"""A ZigBee stack for the lab's CC2530 parts: 802.15.4 MAC with unslotted CSMA/CA, joining, mesh routing.

What is modelled:

- MAC. Unslotted CSMA/CA as 802.15.4-2006 gives it: NB = 0, BE = macMinBE (3); wait a random
  0..2^BE-1 backoff periods (320 us each), clear channel assessment (energy detect on the medium,
  128 us), busy: NB + 1, BE + 1 up to macMaxBE (5), give up after macMaxCSMABackoffs (4) more
  (``frame.lost`` at the sender, reason ``cca_failure``); clear: turnaround (192 us), send.
  Unicast frames ask for an ACK (sent by the receiver 192 us after the frame, without CSMA); no ACK
  within 864 us (54 symbols): up to macMaxFrameRetries (3) retries, then ``frame.lost`` at the
  sender with reason ``no_ack``. Repeated frames (same sender and sequence) are ACKed again but
  passed up once.
- Joining. A device scans with a beacon request; coordinators and routers of any PAN on the channel
  answer with beacons; it picks a parent of its PAN with room for it: a good link (15 dB above
  sensitivity) first, then the smallest depth, then the strongest. It asks with a NWK rejoin
  request and takes the address in the rejoin response (its configured one). No parent: scan again
  after 1 s, then 2, 4 ... up to 30 s. ``state`` records say ``joined`` (with parent and depth).
- Routing (AODV-like, as ZigBee PRO). Routers and the coordinator route to a destination through a
  routing table entry, to a neighbour or child directly, and otherwise find a route: a route request
  flooded by routers (each router re-sends the first copy it hears; a later copy with a lower path
  cost updates its route without another broadcast; link cost 1..7 from the link's delivery
  probability, as ZigBee's ``min(7, round(1/p^4))``), answered by the destination with a route reply
  along the reverse path (again for a copy with a lower cost). Application broadcasts are relayed by every router, each
  sending twice (ZigBee's broadcast retries, without its passive acknowledgements). The coordinator
  is a concentrator: it floods a many-to-one route request, which gives every router its route to
  the coordinator, at 2 s, then 4, 8, 16 ... s later while the network forms, then every
  ``mto_period_s``.
  Routers learn the way back to a frame's source from the frames they forward.
- Healing. A hop that fails (no ACK after the retries) removes that route and neighbour; towards the
  concentrator the router switches to the next best neighbour the last many-to-one flood came through
  (the failed one drops to the end of that list), otherwise it looks for a new route (route
  request); the frame is sent again the new way. An end device whose
  parent fails 3 times in a row leaves it and joins again under another parent. A router that loses
  power forgets its tables; when power returns it joins again.

Not modelled: security (no keys, no frame counters), sleepy end devices (every end device keeps its
receiver on), address conflict detection, the ZDO/APS layers (application bytes ride in NWK data
frames), source routing.
"""

from __future__ import annotations

from collections import deque
from typing import Callable

from sim import radio_physics as rp
from sim.radio import medium

from . import zigbee_frames as zf

MIN_BE, MAX_BE, MAX_CSMA_BACKOFFS, MAX_FRAME_RETRIES = 3, 5, 4, 3
ACK_WAIT_S = 54 * rp.IEEE802154_SYMBOL_S
SCAN_S = 0.15
JOIN_RESPONSE_S = 0.5
ROUTE_DISCOVERY_S = 1.0
ROUTE_DISCOVERY_TRIES = 3
MAX_RADIUS = 15
MAX_CHILDREN = 20
PARENT_FAILURES = 3
BROADCAST_JITTER_S = 0.02
BROADCAST_REPEAT_S = 0.1
MAX_PAYLOAD = 127 - 11 - 8             # application bytes in one frame: 127 less the MAC and NWK headers


class ZigbeeNet:
    """What the lab knows about its ZigBee parts: which radio has which (PAN, address), so a unicast
    frame's destination can be named in the trace; and, when asked, delivery statistics."""

    def __init__(self) -> None:
        self.by_addr: dict[tuple[int, int], "ZigbeeStack"] = {}
        self.track = False
        self.sent: dict[tuple[int, int, int], float] = {}
        self.latencies: list[float] = []
        self.counts = {"sent": 0, "delivered": 0}


def zigbee_net(sim) -> ZigbeeNet:
    net = getattr(sim, "_zigbee_net", None)
    if net is None:
        net = sim._zigbee_net = ZigbeeNet()
    return net


def link_cost(tech, snr_db: float) -> int:
    """ZigBee link cost from the delivery probability of a reference frame: min(7, round(1/p^4))."""
    p = max(1e-3, 1.0 - tech.per_one(snr_db, tech.ref_bytes))
    return max(1, min(7, round(1.0 / p ** 4)))


class ZigbeeStack:
    """The stack of one CC2530 (see the module doc). ``on_data(src_addr, payload, src_stack)`` gets
    application bytes addressed to this device (or broadcast)."""

    def __init__(self, device, role: str, pan: int, channel: int, addr: int, tx_power_dbm: float,
                 on_data: Callable, mto_period_s: float = 120.0) -> None:
        self.dev, self.sim = device, device.sim
        self.role, self.pan, self.channel, self.addr = role, pan, channel, addr
        self.tx_power_dbm = tx_power_dbm
        self.on_data = on_data
        self.mto_period_s = mto_period_s
        self.net = zigbee_net(self.sim)
        self.node = None
        self.gen = 0
        self._u = None
        self._reset()

    def _reset(self) -> None:
        self.joined = False
        self.parent: int | None = None
        self.depth = 0
        self.children: dict[int, str] = {}
        self.neighbors: dict[int, float] = {}
        self.routes: dict[int, int] = {}
        self.route_cost: dict[int, int] = {}
        self.mto_hops: dict[int, dict[int, int]] = {}    # concentrator -> {neighbour: path cost}
        self.mto_id: dict[int, int] = {}
        self.rreq_seen: dict[tuple[int, int], int] = {}
        self.bcast_seen: set[tuple[int, int]] = set()
        self.pending: dict[int, list] = {}
        self.discovering: dict[int, int] = {}
        self.queue: deque = deque()
        self.last_seq: dict[int, int] = {}
        self.beacons: list = []
        self.parent_failures = 0
        self.mac_seq = self.nwk_seq = self.rreq_id = 0
        self._wake = None
        self._ack_for = None
        self._acked = False
        self._asked: int | None = None

    # -- life cycle ----------------------------------------------------------------------------------
    def start(self) -> None:
        m = medium(self.sim)
        self.node = m.join(self.dev, "zigbee", channel=self.channel, tx_power_dbm=self.tx_power_dbm,
                           on_receive=self.radio_receive)
        self._register()
        self._u = self.sim.rng("zigbee:" + self.dev.id).random
        self._begin()

    def _register(self) -> None:
        self.net.by_addr[(self.pan, self.addr)] = self

    def _begin(self) -> None:
        self.gen += 1
        self._reset()
        gen = self.gen
        self.node.listening = True
        env = self.sim.env
        env.process(self._mac_loop(gen))
        if self.role == "coordinator":
            self.addr, self.joined, self.depth = 0x0000, True, 0
            self._register()
            self.dev.emit("state", state="joined", role=self.role, pan=f"0x{self.pan:04X}", channel=self.channel,
                          addr="0x0000", depth=0)
            if self.mto_period_s > 0:
                env.process(self._concentrator(gen))
        else:
            env.process(self._join(gen))

    def power(self, on: bool) -> None:
        """The part lost or got back its supply."""
        if on:
            self._begin()
        else:
            self.gen += 1
            self._reset()
            self.node.listening = False

    def reconfigure(self, pan: int, channel: int, addr: int) -> None:
        """New PAN, channel or address (a config frame): leave the network and join again."""
        self.net.by_addr.pop((self.pan, self.addr), None)
        self.pan, self.channel, self.addr = pan, channel, addr
        self.node.configure(channel=channel)
        self._register()
        if self.dev.powered:
            self._begin()

    def _rand(self) -> float:
        return float(self._u())

    # -- application ---------------------------------------------------------------------------------
    def send(self, dst: int, payload: bytes) -> bool:
        """Send application bytes to ``dst`` (0xFFFF: every device); False if not in a network."""
        if not self.joined or not self.dev.powered:
            return False
        self.nwk_seq = (self.nwk_seq + 1) & 0xFF
        frame = zf.nwk(zf.NWK_DATA, dst, self.addr, MAX_RADIUS, self.nwk_seq, payload)
        if self.net.track:
            self.net.counts["sent"] += 1
            self.net.sent[(self.pan, self.addr, self.nwk_seq)] = self.sim.env.now
        if dst == zf.BROADCAST:
            self.bcast_seen.add((self.addr, self.nwk_seq))
            self._broadcast(frame)
        else:
            self._route(frame, dst, 0)
        return True

    # -- MAC -----------------------------------------------------------------------------------------------
    def _mac_tx(self, mac_dst: int, nwk_frame: bytes, ack: bool, done: Callable | None = None,
                raw: bytes | None = None) -> None:
        """Queue a frame for the radio: a NWK frame in a MAC data frame, or ``raw`` MAC bytes."""
        self.queue.append((mac_dst, nwk_frame, ack, done, raw))
        if self._wake is not None and not self._wake.triggered:
            self._wake.succeed()

    def _mac_loop(self, gen):
        env = self.sim.env
        while gen == self.gen:
            if not self.queue:
                self._wake = env.event()
                yield self._wake
                continue
            mac_dst, nwk_frame, ack, done, raw = self.queue.popleft()
            ok = yield from self._mac_send(gen, mac_dst, nwk_frame, ack, raw)
            if gen != self.gen:
                return
            if done is not None:
                done(ok)

    def _mac_send(self, gen, mac_dst, nwk_frame, ack, raw):
        env, m, node = self.sim.env, medium(self.sim), self.node
        self.mac_seq = seq = (self.mac_seq + 1) & 0xFF
        frame = raw if raw is not None else zf.data(seq, self.pan, mac_dst, self.addr, nwk_frame, ack)
        target = self.net.by_addr.get((self.pan, mac_dst)) if mac_dst != zf.BROADCAST else None
        dst_node = target.node if target is not None else None
        tries = 1 + MAX_FRAME_RETRIES if ack else 1
        for _attempt in range(tries):
            nb, be = 0, MIN_BE
            while True:
                yield env.timeout(int(self._rand() * (1 << be)) * rp.IEEE802154_BACKOFF_S)
                if gen != self.gen:
                    return False
                if m.channel_clear(node):
                    break
                nb += 1
                be = min(be + 1, MAX_BE)
                if nb > MAX_CSMA_BACKOFFS:
                    self.dev.emit("frame.lost", bus="zigbee", reason="cca_failure", to=_hex(mac_dst))
                    return False
            yield env.timeout(rp.IEEE802154_CCA_S + rp.IEEE802154_TURNAROUND_S)
            if gen != self.gen:
                return False
            self._ack_for, self._acked = (seq if ack else None), False
            yield from m.transmit(node, frame, dst_node)
            if not ack:
                return True
            yield env.timeout(ACK_WAIT_S)
            if self._acked:
                return True
        self.dev.emit("frame.lost", bus="zigbee", reason="no_ack", to=_hex(mac_dst))
        return False

    def radio_receive(self, node, frame: bytes, sender, rssi_dbm: float, snr_db: float) -> None:
        if not self.dev.powered:
            return
        try:
            mac = zf.parse(frame)
        except ValueError:
            return
        if mac.kind == zf.MAC_ACK:
            if self._ack_for is not None and mac.seq == self._ack_for:
                self._acked = True
            return
        if mac.kind == zf.MAC_CMD:
            if mac.payload[:1] == bytes([zf.CMD_BEACON_REQUEST]) and self.joined and self.role != "end_device":
                delay = self._rand() * BROADCAST_JITTER_S
                self.sim.env.timeout(delay).callbacks.append(lambda _e, g=self.gen: self._send_beacon(g))
            return
        if mac.kind == zf.MAC_BEACON:
            if not self.joined and mac.pan == self.pan:
                try:
                    self.beacons.append((mac.src, zf.parse_beacon(mac.payload), rssi_dbm))
                except ValueError:
                    pass
            return
        if mac.pan != self.pan or (mac.dst != self.addr and mac.dst != zf.BROADCAST):
            return
        if mac.ack:
            self.sim.env.timeout(rp.IEEE802154_TURNAROUND_S).callbacks.append(
                lambda _e, s=mac.seq, to=sender: self._send_ack(s, to))
            if self.last_seq.get(mac.src) == mac.seq:
                return                                          # a repeat: its ACK was lost
            self.last_seq[mac.src] = mac.seq
        try:
            nwk = zf.parse_nwk(mac.payload)
        except ValueError:
            return
        if self.role != "end_device":
            self.neighbors[mac.src] = self.sim.env.now
        if nwk.kind == zf.NWK_CMD:
            self._command(mac, nwk, snr_db)
        elif self.joined:
            self._data(mac, nwk)

    def _send_ack(self, seq: int, to) -> None:
        if self.dev.powered:
            medium(self.sim).send(self.node, zf.ack(seq), dst=to)

    def _send_beacon(self, gen: int) -> None:
        if gen != self.gen or not self.joined:
            return
        end_devices = sum(1 for r in self.children.values() if r == "end_device")
        self.mac_seq = (self.mac_seq + 1) & 0xFF
        frame = zf.beacon(self.mac_seq, self.pan, self.addr, self.role == "coordinator", True,
                          len(self.children) < MAX_CHILDREN, self.depth, end_devices < MAX_CHILDREN)
        self._mac_tx(zf.BROADCAST, b"", False, raw=frame)

    # -- NWK: data ------------------------------------------------------------------------------------------
    def _data(self, mac, nwk) -> None:
        if nwk.dst == zf.BROADCAST:
            key = (nwk.src, nwk.seq)
            if key in self.bcast_seen or nwk.src == self.addr:
                return
            self.bcast_seen.add(key)
            if self.role != "end_device" and nwk.radius > 1:
                self._broadcast(zf.nwk(zf.NWK_DATA, nwk.dst, nwk.src, nwk.radius - 1, nwk.seq, nwk.payload))
            self._deliver(nwk)
            return
        if self.role != "end_device" and nwk.src not in self.children and nwk.src != self.addr:
            self.routes[nwk.src] = mac.src               # the way back to the source
        if nwk.dst == self.addr:
            self._deliver(nwk)
            return
        if self.role == "end_device":
            return
        if nwk.radius <= 1:
            return
        frame = zf.nwk(zf.NWK_DATA, nwk.dst, nwk.src, nwk.radius - 1, nwk.seq, nwk.payload)
        self._route(frame, nwk.dst, 0)

    def _broadcast(self, frame: bytes) -> None:
        """A data broadcast: sent after a random jitter, and once more a little later (ZigBee's
        broadcast retries; passive acknowledgements are not modelled)."""
        env = self.sim.env
        for delay in (self._rand() * BROADCAST_JITTER_S, BROADCAST_REPEAT_S + self._rand() * BROADCAST_JITTER_S):
            env.timeout(delay).callbacks.append(
                lambda _e, g=self.gen: g == self.gen and self._mac_tx(zf.BROADCAST, frame, False))

    def _deliver(self, nwk) -> None:
        net = self.net
        if net.track:
            sent = net.sent.pop((self.pan, nwk.src, nwk.seq), None)
            if sent is not None:
                net.counts["delivered"] += 1
                net.latencies.append(self.sim.env.now - sent)
        self.on_data(nwk.src, nwk.payload, net.by_addr.get((self.pan, nwk.src)))

    def _route(self, frame: bytes, dst: int, repaired: int) -> None:
        if self.role == "end_device":
            if self.parent is None:
                return
            self._mac_tx(self.parent, frame, True, lambda ok: self._parent_result(ok))
            return
        if dst in self.children:
            hop = dst
        elif dst in self.routes:
            hop = self.routes[dst]
        elif dst in self.neighbors:
            hop = dst
        else:
            self.pending.setdefault(dst, []).append((frame, repaired))
            self._discover(dst)
            return
        self._mac_tx(hop, frame, True, lambda ok: self._hop_result(ok, frame, dst, hop, repaired))

    def _hop_result(self, ok: bool, frame: bytes, dst: int, hop: int, repaired: int) -> None:
        if ok:
            return
        if self.routes.get(dst) == hop:
            del self.routes[dst]
        self.route_cost.pop(dst, None)
        self.neighbors.pop(hop, None)
        self.children.pop(hop, None)
        for d in [d for d, h in self.routes.items() if h == hop]:
            del self.routes[d]
        for d, hops in self.mto_hops.items():
            if hop in hops:                        # keep it as a last resort: a lost ACK is not a dead router
                hops[hop] += 7
            if d not in self.routes and hops:      # the best neighbour the concentrator's flood came through
                self.routes[d] = min(hops, key=hops.get)
                self.route_cost[d] = hops[self.routes[d]]
        if repaired >= 2:
            return
        if dst in self.routes:
            self.dev.emit("event", zigbee="route_repair", dst=_hex(dst), failed_hop=_hex(hop),
                          new_hop=_hex(self.routes[dst]))
            self._route(frame, dst, repaired + 1)
            return
        self.dev.emit("event", zigbee="route_repair", dst=_hex(dst), failed_hop=_hex(hop), new_hop="discovery")
        self.pending.setdefault(dst, []).append((frame, repaired + 1))
        self._discover(dst)

    def _parent_result(self, ok: bool) -> None:
        if ok:
            self.parent_failures = 0
            return
        self.parent_failures += 1
        if self.parent_failures >= PARENT_FAILURES and self.joined:
            self.dev.emit("state", state="orphaned", parent=_hex(self.parent))
            self.gen += 1
            gen = self.gen
            self._reset()
            self.sim.env.process(self._mac_loop(gen))
            self.sim.env.process(self._join(gen))

    # -- NWK: route discovery and commands ----------------------------------------------------------------
    def _discover(self, dst: int) -> None:
        if dst in self.discovering:
            return
        self.discovering[dst] = 0
        self.sim.env.process(self._discovery(self.gen, dst))

    def _discovery(self, gen: int, dst: int):
        env = self.sim.env
        for _try in range(ROUTE_DISCOVERY_TRIES):
            self.rreq_id = (self.rreq_id + 1) & 0xFF
            self.rreq_seen[(self.addr, self.rreq_id)] = 0
            self.nwk_seq = (self.nwk_seq + 1) & 0xFF
            cmd = zf.nwk(zf.NWK_CMD, zf.MTO_DST, self.addr, MAX_RADIUS, self.nwk_seq,
                         zf.rreq(0, self.rreq_id, dst, 0))
            self._mac_tx(zf.BROADCAST, cmd, False)
            yield env.timeout(ROUTE_DISCOVERY_S)
            if gen != self.gen:
                return
            if dst in self.routes:
                break
        self.discovering.pop(dst, None)
        waiting = self.pending.pop(dst, [])
        if dst in self.routes:
            for frame, repaired in waiting:
                self._route(frame, dst, repaired)
        elif waiting:
            self.dev.emit("event", zigbee="no_route", dst=_hex(dst), dropped=len(waiting))

    def _concentrator(self, gen: int):
        """Many-to-one route requests: at 2 s, then after 4, 8, 16 ... s (routers are still joining),
        then every ``mto_period_s``."""
        env = self.sim.env
        yield env.timeout(2.0 + self._rand())
        wait = 4.0
        while gen == self.gen:
            self.rreq_id = (self.rreq_id + 1) & 0xFF
            self.rreq_seen[(self.addr, self.rreq_id)] = 0
            self.nwk_seq = (self.nwk_seq + 1) & 0xFF
            cmd = zf.nwk(zf.NWK_CMD, zf.MTO_DST, self.addr, MAX_RADIUS, self.nwk_seq,
                         zf.rreq(zf.MANY_TO_ONE, self.rreq_id, zf.MTO_DST, 0))
            self._mac_tx(zf.BROADCAST, cmd, False)
            yield env.timeout(min(wait, self.mto_period_s))
            wait *= 2.0

    def _command(self, mac, nwk, snr_db: float) -> None:
        body = nwk.payload
        if not body:
            return
        cmd = body[0]
        if cmd == zf.REJOIN_REQ and self.joined and self.role != "end_device":
            self._child_joins(mac, nwk, body)
        elif cmd == zf.REJOIN_RSP and not self.joined and len(body) >= 4:
            addr, code = int.from_bytes(body[1:3], "little"), body[3]
            if code == 0 and mac.src == self._asked:
                self._joined(addr, mac.src)
        elif not self.joined or self.role == "end_device":
            return
        elif cmd == zf.RREQ and len(body) >= 6:
            self._rreq(mac, nwk, body, snr_db)
        elif cmd == zf.RREP and len(body) >= 8:
            self._rrep(mac, nwk, body, snr_db)

    def _rreq(self, mac, nwk, body: bytes, snr_db: float) -> None:
        options, rreq_id, dst, cost = body[1], body[2], int.from_bytes(body[3:5], "little"), body[5]
        if nwk.src == self.addr:
            return
        their_cost = cost
        cost += link_cost(self.node.tech, snr_db)
        mto = bool(options & zf.MANY_TO_ONE)
        if mto:
            if self.mto_id.get(nwk.src) != rreq_id:              # a new flood: forget the old ways
                self.mto_id[nwk.src] = rreq_id
                self.mto_hops[nwk.src] = {}
            hops = self.mto_hops[nwk.src]
            mine = min(hops.values(), default=255)
            # every neighbour nearer the concentrator than this router is a way there (no loops)
            if their_cost < mine or not hops:
                hops[mac.src] = min(cost, hops.get(mac.src, 255))
                self.routes[nwk.src] = best_hop = min(hops, key=hops.get)
                self.route_cost[nwk.src] = hops[best_hop]
        key = (nwk.src, rreq_id)
        best = self.rreq_seen.get(key)
        if best is not None and best <= cost:
            return
        first = best is None
        self.rreq_seen[key] = cost
        if len(self.rreq_seen) > 512:
            for old in list(self.rreq_seen)[:256]:
                del self.rreq_seen[old]
        if not mto and (self.route_cost.get(nwk.src, 255) >= cost or nwk.src not in self.routes):
            self.routes[nwk.src] = mac.src
            self.route_cost[nwk.src] = cost
        if not mto and (dst == self.addr or dst in self.children):
            self.nwk_seq = (self.nwk_seq + 1) & 0xFF
            reply = zf.nwk(zf.NWK_CMD, nwk.src, self.addr, MAX_RADIUS, self.nwk_seq,
                           zf.rrep(0, rreq_id, nwk.src, dst, cost))
            self._mac_tx(mac.src, reply, True)
            return
        if nwk.radius > 1 and first:
            relay = zf.nwk(zf.NWK_CMD, nwk.dst, nwk.src, nwk.radius - 1, nwk.seq,
                           zf.rreq(options, rreq_id, dst, cost))
            delay = self._rand() * BROADCAST_JITTER_S
            self.sim.env.timeout(delay).callbacks.append(
                lambda _e, g=self.gen: g == self.gen and self._mac_tx(zf.BROADCAST, relay, False))

    def _rrep(self, mac, nwk, body: bytes, snr_db: float) -> None:
        originator, responder = int.from_bytes(body[3:5], "little"), int.from_bytes(body[5:7], "little")
        cost = body[7] + link_cost(self.node.tech, snr_db)
        if self.route_cost.get(responder, 255) >= cost or responder not in self.routes:
            self.routes[responder] = mac.src
            self.route_cost[responder] = cost
        if originator == self.addr:
            return                   # the discovery process sees the route
        hop = self.routes.get(originator)
        if hop is not None and nwk.radius > 1:
            relay = zf.nwk(zf.NWK_CMD, nwk.dst, nwk.src, nwk.radius - 1, nwk.seq, body[:7] + bytes([min(cost, 255)]))
            self._mac_tx(hop, relay, True)

    # -- joining -------------------------------------------------------------------------------------------
    def _join(self, gen: int):
        env = self.sim.env
        yield env.timeout(0.05 + self._rand() * 0.5)
        wait = 1.0
        while gen == self.gen and not self.joined:
            if not self.dev.powered:
                return
            self.beacons = []
            self.mac_seq = (self.mac_seq + 1) & 0xFF
            self._mac_tx(zf.BROADCAST, b"", False, raw=zf.beacon_request(self.mac_seq))
            yield env.timeout(SCAN_S)
            if gen != self.gen:
                return
            parent = self._pick_parent()
            if parent is not None:
                self._asked = parent
                capability = zf.CAP_RX_ON | (zf.CAP_ROUTER if self.role == "router" else 0)
                self.nwk_seq = (self.nwk_seq + 1) & 0xFF
                req = zf.nwk(zf.NWK_CMD, parent, self.addr, 1, self.nwk_seq, zf.rejoin_request(capability))
                self._mac_tx(parent, req, True)
                yield env.timeout(JOIN_RESPONSE_S)
                if gen != self.gen or self.joined:
                    return
            yield env.timeout(wait * (1.0 + self._rand()))
            wait = min(30.0, wait * 2.0)

    def _pick_parent(self) -> int | None:
        want_router = self.role == "router"
        good = self.node.sensitivity_dbm() + 15.0
        options = [(rssi < good, info.depth, -rssi, src) for src, info, rssi in self.beacons
                   if (info.router_capacity if want_router else info.end_device_capacity) and info.depth < 14]
        return min(options)[3] if options else None

    def _child_joins(self, mac, nwk, body: bytes) -> None:
        role = "router" if len(body) > 1 and body[1] & zf.CAP_ROUTER else "end_device"
        if len(self.children) >= MAX_CHILDREN and nwk.src not in self.children:
            code = 0x01                                  # at capacity
        else:
            code = 0x00
            self.children[nwk.src] = role
            self.neighbors[nwk.src] = self.sim.env.now
        self.nwk_seq = (self.nwk_seq + 1) & 0xFF
        rsp = zf.nwk(zf.NWK_CMD, nwk.src, self.addr, 1, self.nwk_seq, zf.rejoin_response(nwk.src, code))
        self._mac_tx(nwk.src, rsp, True)

    def _joined(self, addr: int, parent: int) -> None:
        self.addr, self.parent, self.joined = addr, parent, True
        self._register()
        depths = {src: info.depth for src, info, _ in self.beacons}
        self.depth = depths.get(parent, 0) + 1
        self.parent_failures = 0
        if self.role == "router":
            self.routes[0x0000] = parent
            self.neighbors[parent] = self.sim.env.now
        self.dev.emit("state", state="joined", role=self.role, pan=f"0x{self.pan:04X}", channel=self.channel,
                      addr=_hex(addr), parent=_hex(parent), depth=self.depth)


def _hex(addr: int | None) -> str:
    return "none" if addr is None else f"0x{addr:04X}"
