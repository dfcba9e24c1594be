"""The radio medium: who hears a frame, how strongly, what collides, and what gets through.

Device models use this API (it is stable; the physics behind it lives in ``radio_physics``
and the PHY figures in ``radio_tech``)::

    from sim.radio import medium

    m = medium(sim)                                   # the lab's medium, made on first use
    node = m.join(device, "zigbee", channel=15)       # tx_power_dbm=, rate=, bandwidth_hz=, coding_rate=,
                                                      # freq_hz=, rx=True, rx_freqs_hz=(...), rx_any_rate=False,
                                                      # rx_paths=1, antenna_gain_db=0, on_receive=None
    node.configure(channel=20, tx_power_dbm=0)        # retune (AT+WLRATE, AT+TPOWER ...)
    node.listening = False                            # receiver off (sleep, power down, TX-only)
    rssi_dbm, snr_db, per = m.quality(a, b)           # mean link a -> b now, for a reference frame
    delivered = yield from m.transmit(node, payload, dst=None)   # inside a SimPy process
    m.send(node, payload, dst=None, on_done=callback)            # the same, without a process
    m.channel_clear(node)                             # CCA: is the channel quiet at this node now?
    src = m.add_noise(device, "2g4", freq_hz, bandwidth_hz, eirp_dbm); src.on = True
    m.airtime_s(node, n_bytes)

``transmit`` queues behind the node's own earlier frames, records ``frame.tx`` (``bus`` = the
technology, ``channel``, or ``freq_mhz`` for a node tuned by frequency, ``data`` in hex,
``airtime_ms``, ``to``, ``queued_ms`` if it waited), takes the airtime, then resolves every
receiver and calls ``device.radio_receive(node, payload, sender_node, rssi_dbm, snr_db)`` (or
the node's ``on_receive``) for each that got it; its value is the list of receiving nodes.
``frame.rx`` and ``frame.lost`` (``bus`` = the technology) are recorded for the destination,
or, for a broadcast (``dst=None``), for every receiver that detected the frame. Loss reasons:
``off`` (receiver unpowered or not listening), ``channel`` (listening on another channel or
rate), ``below_sensitivity``, ``busy`` (the receiver was transmitting, or all its receive paths
were taken: an SX1301 gateway has 8), ``collision`` (an overlapping frame left too little SIR), ``noise`` (PER loss
with the noise floor raised by a noise source), ``per`` (PER loss on thermal noise).

The model. Positions are metres on the room plan, or on the campus plan for a device with
``plan: campus``; the room sits on the campus at ``room.campus.room_at_m``, so a link from
the room to a campus gateway crosses the room's walls. Mean loss of a link = log-distance
loss of the receiver's technology + the walls the straight line crosses (per material, at
the band's frequency) + log-normal shadowing fixed per link (a hash of the seed and the two
device ids, symmetric, independent of creation order and of every other device), plus
per-frame Rayleigh fading if the scenario sets ``radio.fading: rayleigh``. A receiver locks
on a frame whose RSSI reaches its sensitivity if it is not transmitting and has a free
receive path; the frame survives overlaps if its SIR beats the capture threshold against
their summed power (LoRa: per interfering SF, against the Goursaud matrix, whose diagonal is
the 6 dB co-SF capture threshold; interference that ended before the last 6 preamble symbols
does not count); then it is lost with probability PER(SINR), the interference averaged over
the frame. Noise sources (a microwave oven, a jammer) raise the noise floor of
receivers on overlapping frequencies. Link tables are numpy arrays per band (every node
against every receiver), built once and extended as nodes join.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from . import radio_physics as rp
from .radio_tech import TECHS, LoRaTech, Tech, tech as tech_named
from .trace import time_key

__all__ = ["RadioMedium", "Node", "NoiseSource", "RadioFaults", "medium", "TECHS"]

LOSS_REASONS = ("off", "channel", "below_sensitivity", "busy", "collision", "noise", "per")


def medium(sim) -> "RadioMedium":
    """The lab's radio medium (one per simulation, made on first use)."""
    m = getattr(sim, "_radio_medium", None)
    if m is None:
        m = RadioMedium(sim)
        sim._radio_medium = m
    return m


class Node:
    """One radio of a device on the medium. Settings change through ``configure``."""

    def __init__(self, m: "RadioMedium", device, tech: Tech, on_receive) -> None:
        self.medium, self.device, self.tech = m, device, tech
        self.id: str = device.id
        self.band: _Band = m._band(tech.band)
        self.on_receive = on_receive
        self.row = -1                 # index among the band's nodes
        self.col = -1                 # index among the band's receivers (-1: cannot receive)
        self.channel = tech.channels[0]
        self.freq_hz = tech.channel_hz(self.channel)
        self.rate = None
        self.bandwidth_hz = tech.bandwidth_hz
        self.coding_rate = 1
        self.preamble_symbols = 8
        self.tx_power_dbm = tech.tx_power_dbm
        self._gain_db = 0.0
        self._extra_db = 0.0          # an attenuation fault, an antenna knocked off
        self.rx_freqs_hz: tuple[float, ...] = ()
        self.rx_any_rate = False
        self.rx_paths = 1
        self.free_at = 0.0            # the end of the last frame queued on this radio
        self.tx_start = -math.inf
        self.tx_end = -math.inf
        self._listening = True
        self._fade_rng = None
        self._rx_rng = None

    def __repr__(self) -> str:
        return f"<radio {self.tech.name} node {self.id} ch {self.channel}>"

    # -- settings ---------------------------------------------------------------------------------
    def configure(self, *, channel: int | None = None, freq_hz: float | None = None, rate=None,
                  bandwidth_hz: float | None = None, coding_rate: int | None = None,
                  preamble_symbols: int | None = None, tx_power_dbm: float | None = None,
                  antenna_gain_db: float | None = None, rx_freqs_hz=None, rx_any_rate: bool | None = None,
                  rx_paths: int | None = None) -> "Node":
        """Change settings; a channel sets the frequency from the technology's plan unless ``freq_hz``
        is given too. Raises ValueError on a value the technology does not have."""
        t = self.tech
        if channel is not None:
            t.check_channel(channel)
            self.channel = int(channel)
            self.freq_hz = t.channel_hz(self.channel)
        if freq_hz is not None:
            self.freq_hz = float(freq_hz)
        if rate is not None:
            if isinstance(t, LoRaTech):
                if rate not in range(7, 13):
                    raise ValueError(f"LoRa spreading factor must be 7..12, got {rate!r}")
            elif rate not in t.rates:
                allowed = ", ".join(f"{r:g}" for r in t.rates) or "none (fixed rate)"
                raise ValueError(f"{t.name} rate must be one of {allowed}, got {rate!r}")
            self.rate = rate
        if bandwidth_hz is not None:
            if not bandwidth_hz > 0:
                raise ValueError(f"bandwidth must be > 0 Hz, got {bandwidth_hz!r}")
            self.bandwidth_hz = float(bandwidth_hz)
        if coding_rate is not None:
            if coding_rate not in (1, 2, 3, 4):
                raise ValueError(f"coding rate must be 1..4 (4/5..4/8), got {coding_rate!r}")
            self.coding_rate = coding_rate
        if preamble_symbols is not None:
            self.preamble_symbols = int(preamble_symbols)
        if tx_power_dbm is not None:
            if tx_power_dbm > t.max_tx_power_dbm:
                raise ValueError(f"{t.name} transmit power is at most {t.max_tx_power_dbm:g} dBm, "
                                 f"got {tx_power_dbm:g}")
            self.tx_power_dbm = float(tx_power_dbm)
        if antenna_gain_db is not None:
            self.antenna_gain_db = float(antenna_gain_db)
        if rx_freqs_hz is not None:
            self.rx_freqs_hz = tuple(float(f) for f in rx_freqs_hz)
        if rx_any_rate is not None:
            self.rx_any_rate = bool(rx_any_rate)
        if rx_paths is not None:
            self.rx_paths = int(rx_paths)
            if self.col >= 0:
                self.band.paths_max[self.col] = self.rx_paths
        self.band.masks.clear()
        return self

    @property
    def antenna_gain_db(self) -> float:
        return self._gain_db

    @antenna_gain_db.setter
    def antenna_gain_db(self, value: float) -> None:
        self._gain_db = float(value)
        self.band.adj_dirty = True

    @property
    def extra_loss_db(self) -> float:
        """Extra loss on every link of this radio, both ways (an attenuation fault), dB."""
        return self._extra_db

    @extra_loss_db.setter
    def extra_loss_db(self, value: float) -> None:
        self._extra_db = float(value)
        self.band.adj_dirty = True

    @property
    def listening(self) -> bool:
        return self._listening

    @listening.setter
    def listening(self, on: bool) -> None:
        self._listening = bool(on)
        if self.col >= 0:
            self.band.masks.clear()

    def listens_on(self) -> tuple[float, ...]:
        return self.rx_freqs_hz or (self.freq_hz,)

    @property
    def xy(self) -> tuple[float, float]:
        return self.medium.position(self.device)

    def airtime_s(self, n_bytes: int) -> float:
        return self.tech.airtime_s(n_bytes, self.rate, self.bandwidth_hz, self.coding_rate, self.preamble_symbols)

    def sensitivity_dbm(self, rate=None) -> float:
        return self.tech.rate_sensitivity_dbm(self.rate if rate is None else rate, self.bandwidth_hz)


class NoiseSource:
    """A transmitter of noise (a microwave oven, a jammer): raises the noise floor of receivers
    whose band overlaps it while ``on``."""

    def __init__(self, m: "RadioMedium", device, band: str, freq_hz: float, bandwidth_hz: float,
                 eirp_dbm: float) -> None:
        self.medium, self.device, self.band = m, device, band
        self.freq_hz, self.bandwidth_hz, self.eirp_dbm = float(freq_hz), float(bandwidth_hz), float(eirp_dbm)
        self._on = False
        self.loss_db: np.ndarray | None = None    # to each receiver of the band

    @property
    def on(self) -> bool:
        return self._on

    @on.setter
    def on(self, value: bool) -> None:
        self._on = bool(value)

    def remove(self) -> None:
        band = self.medium._band(self.band)
        if self in band.noise:
            band.noise.remove(self)


class _Frame:
    __slots__ = ("node", "payload", "dst", "n_bytes", "channel", "where", "fields", "start", "end", "lock_at",
                 "power_dbm",
                 "freq_hz", "bw_hz", "emit_hz", "rate", "locked", "locked_rssi", "busy", "dst_state",
                 "dst_rssi", "done", "result", "asked_at")


class _Band:
    """The nodes of one interference domain and their link table."""

    def __init__(self, m: "RadioMedium", name: str) -> None:
        self.medium, self.name = m, name
        self.nodes: list[Node] = []
        self.rx: list[Node] = []
        self.noise: list[NoiseSource] = []
        self.on_air: list[_Frame] = []
        self.loss = np.zeros((0, 0))
        self.paths_used = np.zeros(0, dtype=np.int32)
        self.paths_max = np.zeros(0, dtype=np.int32)
        self.built_rows = 0
        self.built_cols = 0
        self.masks: dict[tuple, np.ndarray] = {}
        self.noise_built = -1
        self.rx_adj = np.zeros(0)          # per receiver: antenna gain less extra loss, dB
        self.rx_tx_end = np.zeros(0)       # per receiver: when its own transmission ends
        self.adj_dirty = True

    # -- link table -------------------------------------------------------------------------------
    def ensure(self) -> None:
        n, k = len(self.nodes), len(self.rx)
        if n == self.built_rows and k == self.built_cols:
            return
        m = self.medium
        old = self.loss
        table = np.empty((n, k))
        r0, c0 = self.built_rows, self.built_cols
        table[:r0, :c0] = old[:r0, :c0]
        if n > r0 and k:
            table[r0:, :] = m.loss_block(self.nodes[r0:], self.rx)
        if k > c0 and r0:
            table[:r0, c0:] = m.loss_block(self.nodes[:r0], self.rx[c0:])
        self.loss = table
        grow = k - len(self.paths_used)
        if grow > 0:
            self.paths_used = np.concatenate([self.paths_used, np.zeros(grow, dtype=np.int32)])
            self.paths_max = np.concatenate([self.paths_max, np.array([n.rx_paths for n in self.rx[c0:]],
                                                                      dtype=np.int32)])
            self.rx_tx_end = np.concatenate([self.rx_tx_end, np.array([n.tx_end for n in self.rx[c0:]])])
        self.adj_dirty = True
        self.built_rows, self.built_cols = n, k
        self.masks.clear()
        self.noise_built = -1

    def rebuild(self) -> None:
        """Positions or the plan changed: recompute the whole table."""
        self.built_rows = self.built_cols = 0
        self.loss = np.zeros((0, 0))
        self.ensure()

    def adjust(self) -> np.ndarray:
        if self.adj_dirty:
            self.rx_adj = np.array([n._gain_db - n._extra_db for n in self.rx])
            self.adj_dirty = False
            self.masks.clear()
        return self.rx_adj

    def candidates(self, tech: Tech, freq_hz: float, rate, bw_hz: float) -> np.ndarray:
        """Receiver columns that listen to a frame of this technology, frequency and rate."""
        key = (tech.name, freq_hz, rate, bw_hz)
        cols = self.masks.get(key)
        if cols is None:
            cols = np.array([j for j, n in enumerate(self.rx)
                             if n.tech is tech and n._listening and freq_hz in n.listens_on()
                             and n.bandwidth_hz == bw_hz and (n.rx_any_rate or n.rate == rate)], dtype=np.int64)
            self.masks[key] = cols
        return cols

    def reach(self, node: Node, tech: Tech, f: "_Frame", sens_dbm: float, fading: bool):
        """The receivers that may detect a frame from ``node`` (mean RSSI at least the sensitivity, or
        within 40 dB of it with fading) and their mean RSSI; cached until something changes."""
        key = ("reach", node.row, tech.name, f.freq_hz, f.rate, f.bw_hz, f.power_dbm, fading)
        hit = self.masks.get(key)
        if hit is None:
            cols = self.candidates(tech, f.freq_hz, f.rate, f.bw_hz)
            if node.col >= 0 and len(cols):
                cols = cols[cols != node.col]
            mean = f.power_dbm - self.loss[node.row, cols] + self.adjust()[cols]
            keep = mean >= sens_dbm - (40.0 if fading else 0.0)
            hit = self.masks[key] = (cols[keep], mean[keep])
        return hit

    def noise_loss(self) -> None:
        if self.noise_built == len(self.noise):
            return
        for src in self.noise:
            if src.loss_db is None or len(src.loss_db) != len(self.rx):
                src.loss_db = self.medium.loss_block_from(src.device, self.rx)
        self.noise_built = len(self.noise)


class RadioMedium:
    """The lab's radio medium (see the module doc)."""

    def __init__(self, sim) -> None:
        self.sim = sim
        self.bands: dict[str, _Band] = {}
        self.by_device: dict[str, list[Node]] = {}
        self._plan: dict[str, Any] | None = None
        self._keys: dict[str, int] = {}
        self.stats: dict[str, dict[str, int]] = {}

    # -- plan ---------------------------------------------------------------------------------------
    def set_plan(self, walls=(), room_at_m=(0.0, 0.0), fading: str = "none", shadowing: bool = True) -> None:
        """Set the plan by hand (a scenario's room and radio sections do it otherwise). ``walls``:
        ``[((x1, y1), (x2, y2), material), ...]`` in campus coordinates."""
        self._plan = {"walls": [(tuple(a), tuple(b), mat) for a, b, mat in walls],
                      "room_at_m": tuple(room_at_m), "fading": fading, "shadowing": bool(shadowing)}
        for band in self.bands.values():
            band.rebuild()

    def plan(self) -> dict[str, Any]:
        if self._plan is None:
            scene = getattr(self.sim, "scene", {}) or {}
            room = scene.get("room") or {}
            campus = room.get("campus") or {}
            at = tuple(campus.get("room_at_m") or (0.0, 0.0))
            walls = [((w["from_m"][0] + at[0], w["from_m"][1] + at[1]), (w["to_m"][0] + at[0], w["to_m"][1] + at[1]),
                      w.get("material", "brick")) for w in room.get("walls", [])]
            walls += [(tuple(w["from_m"]), tuple(w["to_m"]), w.get("material", "brick"))
                      for w in campus.get("walls", [])]
            radio = scene.get("radio") or {}
            plan = {"walls": walls, "room_at_m": at, "fading": radio.get("fading", "none"),
                    "shadowing": radio.get("shadowing", True)}
            if not scene:
                return plan              # not built from a scenario yet: do not keep it
            self._plan = plan
        return self._plan

    def position(self, device) -> tuple[float, float]:
        """A device's position in campus coordinates."""
        x, y = device.pos_m
        if getattr(device, "plan", "room") == "campus":
            return float(x), float(y)
        ax, ay = self.plan()["room_at_m"]
        return float(x) + ax, float(y) + ay

    def moved(self, device) -> None:
        """A device changed position: recompute the link tables it is in."""
        for node in self.by_device.get(device.id, []):
            node.band.rebuild()

    def _key(self, device_id: str) -> int:
        key = self._keys.get(device_id)
        if key is None:
            key = self._keys[device_id] = rp.device_key(self.sim.seed, device_id)
        return key

    # -- membership -------------------------------------------------------------------------------------
    def _band(self, name: str) -> _Band:
        band = self.bands.get(name)
        if band is None:
            band = self.bands[name] = _Band(self, name)
        return band

    def join(self, device, tech: str | Tech, *, channel: int | None = None, rx: bool = True,
             on_receive: Callable | None = None, **settings) -> Node:
        """Put a radio of ``device`` on the medium. ``settings`` are those of ``Node.configure``.
        ``rx=False``: a transmitter only (a LoRaWAN class A node between its receive windows)."""
        t = tech if isinstance(tech, Tech) else tech_named(tech)
        node = Node(self, device, t, on_receive)
        node.configure(channel=channel, **settings)
        band = node.band
        node.row = len(band.nodes)
        band.nodes.append(node)
        if rx:
            node.col = len(band.rx)
            band.rx.append(node)
        self.by_device.setdefault(device.id, []).append(node)
        band.masks.clear()
        return node

    def nodes_of(self, device) -> list[Node]:
        return self.by_device.get(device.id, [])

    # -- link budget ---------------------------------------------------------------------------------------
    def loss_block(self, rows: list[Node], cols: list[Node]) -> np.ndarray:
        """Mean path loss (dB) from each of ``rows`` to each of ``cols``, by the receiver's technology."""
        if not rows or not cols:
            return np.zeros((len(rows), len(cols)))
        plan = self.plan()
        a = np.array([self.position(n.device) for n in rows])
        b = np.array([self.position(n.device) for n in cols])
        ref = np.array([n.tech.ref_loss_db for n in cols])
        exp = np.array([n.tech.exponent for n in cols])
        sigma = np.array([n.tech.shadow_sigma_db for n in cols]) if plan["shadowing"] else None
        ka = np.array([self._key(n.id) for n in rows], dtype=np.uint64)
        kb = np.array([self._key(n.id) for n in cols], dtype=np.uint64)
        freq = cols[0].tech.nominal_hz
        loss = link_loss_db(a, b, ref, exp, ka, kb, sigma, plan["walls"], freq)
        ids_a = np.array([n.id for n in rows], dtype=object)
        ids_b = np.array([n.id for n in cols], dtype=object)
        same = ids_a[:, None] == ids_b[None, :]
        if same.any():
            loss[same] = np.inf          # a device does not hear its own radios
        return loss

    def loss_block_from(self, device, cols: list[Node]) -> np.ndarray:
        """Loss from a noise source on ``device`` to each receiver (no shadowing, at least 1 m)."""
        if not cols:
            return np.zeros(0)
        plan = self.plan()
        a = np.array([self.position(device)])
        b = np.array([self.position(n.device) for n in cols])
        ref = np.array([n.tech.ref_loss_db for n in cols])
        exp = np.array([n.tech.exponent for n in cols])
        d = np.maximum(rp.distances_m(a[:, None, :], b[None, :, :]), 1.0)
        loss = np.maximum(rp.log_distance_loss_db(d, ref[None, :], exp[None, :]),
                          rp.friis_loss_db(d, cols[0].tech.nominal_hz))
        loss += wall_loss_matrix(a, b, plan["walls"], cols[0].tech.nominal_hz)
        return loss[0]

    def quality(self, a: Node, b: Node, n_bytes: int | None = None) -> tuple[float, float, float]:
        """Mean RSSI (dBm), SNR (dB) and PER of a frame from ``a`` to ``b`` now (no fading, no
        interference; noise sources count). ``n_bytes``: payload length (default: the technology's
        reference frame)."""
        if a.band is not b.band:
            return -math.inf, -math.inf, 1.0
        band = a.band
        band.ensure()
        if b.col >= 0:
            loss = float(band.loss[a.row, b.col])
        else:
            loss = float(self.loss_block([a], [b])[0, 0])
        rssi = a.tx_power_dbm + a.antenna_gain_db + b.antenna_gain_db - loss - a.extra_loss_db - b.extra_loss_db
        noise, _ = self._noise_at(b, a.freq_hz, a.bandwidth_hz)
        snr = rssi - noise
        per = float(b.tech.per(snr, b.tech.ref_bytes if n_bytes is None else n_bytes, a.rate, a.bandwidth_hz))
        return rssi, snr, per

    def _noise_at(self, node: Node, freq_hz: float, bw_hz: float) -> tuple[float, float]:
        """(noise floor dBm, of which thermal dBm) at ``node`` for a signal at ``freq_hz``/``bw_hz``."""
        thermal = node.tech.noise_dbm(bw_hz)
        band = node.band
        if not band.noise or node.col < 0:
            return thermal, thermal
        band.noise_loss()
        total = 10.0 ** (thermal / 10.0)
        for src in band.noise:
            if not src.on:
                continue
            share = _overlap(src.freq_hz, src.bandwidth_hz, freq_hz, bw_hz)
            if share > 0.0:
                level = src.eirp_dbm - src.loss_db[node.col] - node._extra_db + node._gain_db
                total += share * 10.0 ** (level / 10.0)
        return 10.0 * math.log10(total), thermal

    def channel_clear(self, node: Node) -> bool:
        """Clear channel assessment (energy detect) at ``node`` on its own frequency, now."""
        threshold = node.tech.cca_dbm
        if threshold is None or node.col < 0:
            return True
        band = node.band
        band.ensure()
        now = self.sim.env.now
        total = 0.0
        for f in band.on_air:
            if f.done or f.start > now or f.node is node:
                continue
            share = _overlap(f.freq_hz, f.emit_hz, node.freq_hz, node.bandwidth_hz)
            if share > 0.0:
                loss = band.loss[f.node.row, node.col]
                total += share * 10.0 ** ((f.power_dbm - loss - node.extra_loss_db + node.antenna_gain_db) / 10.0)
        if band.noise:
            band.noise_loss()
            for src in band.noise:
                if src.on:
                    share = _overlap(src.freq_hz, src.bandwidth_hz, node.freq_hz, node.bandwidth_hz)
                    total += share * 10.0 ** ((src.eirp_dbm - src.loss_db[node.col] - node._extra_db
                                               + node._gain_db) / 10.0)
        return total <= 0.0 or 10.0 * math.log10(total) < threshold

    def add_noise(self, device, band: str, freq_hz: float, bandwidth_hz: float, eirp_dbm: float) -> NoiseSource:
        """A noise transmitter at ``device``'s position in ``band`` (off until ``.on = True``)."""
        b = self._band(band)
        src = NoiseSource(self, device, band, freq_hz, bandwidth_hz, eirp_dbm)
        b.noise.append(src)
        b.noise_built = -1
        return src

    def airtime_s(self, node: Node, n_bytes: int) -> float:
        return node.airtime_s(n_bytes)

    # -- transmission ----------------------------------------------------------------------------------------
    def transmit(self, node: Node, payload: bytes, dst: Node | None = None, n_bytes: int | None = None,
                 channel: int | None = None, **fields):
        """SimPy process body: send ``payload``; returns the list of nodes that received it. ``n_bytes``:
        the length on air if not ``len(payload)``; ``channel``: send this frame on another channel of the
        node's technology (a module that retunes per packet); ``fields`` go into the ``frame.tx`` record."""
        env = self.sim.env
        frame = self._reserve(node, payload, dst, n_bytes, fields, channel)
        if frame.start > env.now:
            yield env.timeout(frame.start - env.now)
        self._start(frame)
        yield env.timeout(frame.end - env.now)
        return self._end(frame)

    def send(self, node: Node, payload: bytes, dst: Node | None = None, on_done: Callable | None = None,
             n_bytes: int | None = None, channel: int | None = None, **fields) -> float:
        """``transmit`` without a process: ``on_done(delivered)`` is called at the end of the frame.
        Returns when the frame will end."""
        env = self.sim.env
        frame = self._reserve(node, payload, dst, n_bytes, fields, channel)

        def finish(_event=None):
            delivered = self._end(frame)
            if on_done is not None:
                on_done(delivered)

        def begin(_event=None):
            self._start(frame)
            env.timeout(frame.end - env.now).callbacks.append(finish)

        if frame.start > env.now:
            env.timeout(frame.start - env.now).callbacks.append(begin)
        else:
            begin()
        return frame.end

    def _reserve(self, node, payload, dst, n_bytes, fields, channel=None) -> _Frame:
        now = self.sim.env.now
        f = _Frame()
        f.node, f.payload, f.dst, f.fields = node, payload, dst, fields
        if channel is not None:
            node.tech.check_channel(channel)
        f.channel = channel
        f.n_bytes = len(payload) if n_bytes is None else int(n_bytes)
        f.asked_at = now
        f.start = max(now, node.free_at)
        f.end = f.start + node.airtime_s(f.n_bytes)
        node.free_at = f.end
        return f

    def _start(self, f: _Frame) -> None:
        node, band, t = f.node, f.node.band, f.node.tech
        band.ensure()
        now = self.sim.env.now
        f.freq_hz = node.freq_hz if f.channel is None else t.channel_hz(f.channel)
        f.bw_hz, f.rate = node.bandwidth_hz, node.rate
        f.emit_hz = t.emission_hz or node.bandwidth_hz
        f.power_dbm = node.tx_power_dbm + node.antenna_gain_db - node.extra_loss_db
        f.lock_at = f.start + t.lock_s(node.rate, node.bandwidth_hz, node.preamble_symbols)
        f.done, f.result = False, []
        node.tx_start, node.tx_end = now, f.end
        if node.col >= 0:
            band.rx_tx_end[node.col] = f.end
        stats = self.stats.setdefault(t.name, {"tx": 0, "rx": 0})
        stats["tx"] += 1
        if f.channel is not None:
            f.where = ("channel", f.channel)
        elif f.freq_hz == t.channel_hz(node.channel):
            f.where = ("channel", node.channel)
        else:                                   # set by frequency (a LoRaWAN channel plan)
            f.where = ("freq_mhz", round(f.freq_hz / 1e6, 3))
        record = {"t": time_key(now), "src": node.id, "kind": "frame.tx", "bus": t.name, f.where[0]: f.where[1]}
        if isinstance(t, LoRaTech):
            record["sf"] = node.rate or 7
        if f.dst is not None:
            record["to"] = f.dst.id
        record["data"] = f.payload.hex(" ").upper() if isinstance(f.payload, (bytes, bytearray)) else str(f.payload)
        record["airtime_ms"] = round((f.end - f.start) * 1000.0, 3)
        if f.start > f.asked_at:
            record["queued_ms"] = round((f.start - f.asked_at) * 1000.0, 3)
        if f.fields:
            record.update(f.fields)
        self.sim.trace.emit(record)

        sens = t.rate_sensitivity_dbm(f.rate, f.bw_hz)
        fading = self.plan()["fading"] == "rayleigh"
        cols, mean = band.reach(node, t, f, sens, fading)
        f.busy, f.dst_state, f.dst_rssi = (), None, None
        if not len(cols):
            f.locked, f.locked_rssi = cols, np.zeros(0)
        else:
            rssi = mean
            if fading:
                if node._fade_rng is None:
                    node._fade_rng = self.sim.rng("radio.fading:" + node.id)
                rssi = mean + rp.rayleigh_fading_db(node._fade_rng, len(cols))
            detected = rssi >= sens
            # a free receive path, and not transmitting itself (half duplex)
            free = (band.paths_used[cols] < band.paths_max[cols]) & (band.rx_tx_end[cols] <= now)
            lock = detected & free
            f.locked, f.locked_rssi = cols[lock], rssi[lock]
            band.paths_used[f.locked] += 1
            busy = detected & ~free
            if f.dst is None and busy.any():
                f.busy = [(cols[k], float(rssi[k])) for k in np.flatnonzero(busy)]
            if f.dst is not None and f.dst.col >= 0 and f.dst.band is band:
                pos = np.searchsorted(cols, f.dst.col)
                if pos < len(cols) and cols[pos] == f.dst.col:
                    f.dst_rssi = float(rssi[pos])
                    f.dst_state = "locked" if lock[pos] else "busy" if detected[pos] else "below_sensitivity"
        if f.dst is not None and f.dst_state is None and f.dst.col >= 0 and f.dst.band is band:
            every = band.candidates(t, f.freq_hz, f.rate, f.bw_hz)
            pos = np.searchsorted(every, f.dst.col)
            if pos < len(every) and every[pos] == f.dst.col:     # it listens, but the frame is too weak
                f.dst_state = "below_sensitivity"
                f.dst_rssi = float(f.power_dbm - band.loss[node.row, f.dst.col] + band.adjust()[f.dst.col])
        band.on_air.append(f)

    def _end(self, f: _Frame) -> list[Node]:
        band = f.node.band
        f.done = True
        if len(f.locked):
            band.paths_used[f.locked] -= 1
        delivered: list[Node] = []
        if f.dst is not None:
            dst = f.dst
            if f.dst_state == "locked":
                j = int(np.searchsorted(f.locked, dst.col))
                self._resolve(f, dst.col, float(f.locked_rssi[j]), delivered, self._overlapping(f))
            else:
                reason = f.dst_state
                if reason is None:
                    reason = "off" if (not dst._listening or not dst.device.powered or dst.col < 0) else "channel"
                self._lost(f, dst, reason, f.dst_rssi)
        else:
            others = self._overlapping(f) if len(f.locked) else []
            for j, rssi in zip(f.locked.tolist(), f.locked_rssi.tolist()):
                self._resolve(f, j, rssi, delivered, others)
            for j, rssi in f.busy:
                self._lost(f, band.rx[j], "busy", rssi)
        active = [g for g in band.on_air if not g.done]
        earliest = min((g.start for g in active), default=math.inf)
        band.on_air = [g for g in band.on_air if not g.done or g.end > earliest]
        f.result = delivered
        return delivered

    def _overlapping(self, f: _Frame) -> list:
        """The frames that overlap ``f`` after its lock point, in time and spectrum: (frame, share)."""
        out = []
        for g in f.node.band.on_air:
            if g is f or g.start >= f.end or g.end <= f.lock_at:
                continue
            share = _overlap(g.freq_hz, g.emit_hz, f.freq_hz, f.bw_hz)
            if share > 0.0:
                out.append((g, share))
        return out

    def _resolve(self, f: _Frame, j: int, rssi: float, delivered: list, others: list) -> None:
        band = f.node.band
        rx = band.rx[j]
        t = rx.tech
        if not rx.device.powered or not rx._listening:
            if f.dst is rx:
                self._lost(f, rx, "off", rssi)
            return
        if rx.tx_start < f.end and rx.tx_end > f.start:       # it started transmitting meanwhile
            self._lost(f, rx, "busy", rssi)
            return
        collided = False
        avg_sum = 0.0              # time-averaged interference for the SINR
        if others:
            p_mw = 10.0 ** (rssi / 10.0)
            duration = f.end - f.start
            power_sum = 0.0        # interferers that count by power (every overlap)
            lora_power: dict[int, float] = {}      # LoRa interferers by spreading factor
            lora = isinstance(t, LoRaTech)
            adj = rx._gain_db - rx._extra_db
            for g, share in others:
                if g.node is rx:
                    continue
                pg = share * 10.0 ** ((g.power_dbm - band.loss[g.node.row, j] + adj) / 10.0)
                overlap = min(g.end, f.end) - max(g.start, f.lock_at)
                if lora and isinstance(g.node.tech, LoRaTech):
                    sf = g.rate or 7
                    lora_power[sf] = lora_power.get(sf, 0.0) + pg
                    if sf == (f.rate or 7):       # other SFs are quasi-orthogonal: the matrix covers them
                        avg_sum += pg * overlap / duration
                else:
                    avg_sum += pg * overlap / duration
                    power_sum += pg
            if power_sum > 0.0 and 10.0 * math.log10(p_mw / power_sum) < t.capture_db:
                collided = True
            for sf, power in lora_power.items():
                if 10.0 * math.log10(p_mw / power) < rp.LORA_SIR_DB[(f.rate or 7) - 7, sf - 7]:
                    collided = True
                    break
        if band.noise:
            noise, thermal = self._noise_at(rx, f.freq_hz, f.bw_hz)
        else:
            noise = thermal = t.noise_dbm(f.bw_hz)
        snr = rssi - noise
        if collided:
            self._lost(f, rx, "collision", rssi, snr)
            return
        sinr = snr if not avg_sum else rssi - 10.0 * math.log10(10.0 ** (noise / 10.0) + avg_sum)
        per = t.per_one(sinr, f.n_bytes, f.rate, f.bw_hz)
        if per > 1e-12:
            if rx._rx_rng is None:
                rx._rx_rng = self.sim.rng("radio.rx:" + rx.id)
            if rx._rx_rng.random() < per:
                self._lost(f, rx, "noise" if noise - thermal >= 3.0 else "per", rssi, snr)
                return
        self.stats[t.name]["rx"] += 1
        self.sim.trace.emit({"t": time_key(self.sim.env.now), "src": rx.id, "kind": "frame.rx", "bus": t.name,
                             "from": f.node.id, f.where[0]: f.where[1], "rssi_dbm": round(rssi, 1),
                             "snr_db": round(snr, 1)})
        delivered.append(rx)
        handler = rx.on_receive or getattr(rx.device, "radio_receive", None)
        if handler is not None:
            handler(rx, f.payload, f.node, rssi, snr)

    def _lost(self, f: _Frame, rx: Node, reason: str, rssi: float | None, snr: float | None = None) -> None:
        stats = self.stats.setdefault(rx.tech.name, {"tx": 0, "rx": 0})
        stats[reason] = stats.get(reason, 0) + 1
        record = {"t": time_key(self.sim.env.now), "src": rx.id, "kind": "frame.lost", "bus": rx.tech.name,
                  "from": f.node.id, "reason": reason}
        if rssi is not None and math.isfinite(rssi):
            record["rssi_dbm"] = round(rssi, 1)
        if snr is not None:
            record["snr_db"] = round(snr, 1)
        self.sim.trace.emit(record)

    # -- the whole table at once (the benchmark's channel step) --------------------------------------------------
    def link_table(self, band_name: str) -> dict[str, np.ndarray]:
        """Every node against every receiver of a band: mean RSSI, SNR on thermal noise, and PER of a
        reference frame at the transmitter's rate, as [nodes, receivers] arrays."""
        band = self.bands[band_name]
        band.ensure()
        return link_budget(band.loss, *_band_arrays(band))


def _overlap(f1: float, bw1: float, f2: float, bw2: float) -> float:
    """``radio_physics.spectral_overlap`` for one pair, in plain floats."""
    if f1 == f2 and bw1 <= bw2:
        return 1.0
    lo = max(f1 - bw1 / 2.0, f2 - bw2 / 2.0)
    hi = min(f1 + bw1 / 2.0, f2 + bw2 / 2.0)
    return 0.0 if hi <= lo else min(1.0, (hi - lo) / bw1)


# -- pure functions the medium is made of -------------------------------------------------------------------------
def wall_loss_matrix(a: np.ndarray, b: np.ndarray, walls, freq_hz: float) -> np.ndarray:
    """Total wall loss (dB) between each point of ``a`` (R, 2) and each of ``b`` (C, 2)."""
    out = np.zeros((len(a), len(b)))
    if not walls:
        return out
    ax = np.repeat(a, len(b), axis=0)
    bx = np.tile(b, (len(a), 1))
    for p, q, material in walls:
        crossed = rp.walls_crossed(ax, bx, np.array([p]), np.array([q]))[:, 0]
        if crossed.any():
            out += crossed.reshape(len(a), len(b)) * rp.wall_loss_db(material, freq_hz)
    return out


def link_loss_db(a, b, ref_db, exponent, key_a, key_b, sigma_db, walls, freq_hz) -> np.ndarray:
    """Mean loss [len(a), len(b)]: log-distance by the receiver's model (at least free space) + walls +
    shadowing."""
    d = rp.distances_m(a[:, None, :], b[None, :, :])
    # Never less than free space: a model fitted to long outdoor links (LoRa: 7.7 dB at 1 m) would
    # otherwise make a bench link stronger than free space.
    loss = np.maximum(rp.log_distance_loss_db(d, ref_db[None, :], exponent[None, :]),
                      rp.friis_loss_db(np.maximum(d, 0.1), freq_hz))
    loss += wall_loss_matrix(a, b, walls, freq_hz)
    if sigma_db is not None:
        loss += rp.link_normals(key_a[:, None], key_b[None, :]) * sigma_db[None, :]
    return loss


def _band_arrays(band: _Band):
    rows, cols = band.nodes, band.rx
    tx = np.array([n.tx_power_dbm + n.antenna_gain_db - n.extra_loss_db for n in rows])
    rx_gain = np.array([n.antenna_gain_db - n.extra_loss_db for n in cols])
    noise = np.array([n.tech.noise_dbm(n.bandwidth_hz) for n in cols])
    snr50 = np.array([n.tech.snr50_db(n.rate, n.bandwidth_hz) for n in rows])
    width = np.array([n.tech.per_width_db for n in rows])
    return tx, rx_gain, noise, snr50, width


def link_budget(loss_db, tx_dbm, rx_gain_db, noise_dbm, snr50_db, width_db) -> dict[str, np.ndarray]:
    """RSSI, SNR and PER (of a reference frame at the transmitter's rate) for every link of a table."""
    rssi = tx_dbm[:, None] - loss_db + rx_gain_db[None, :]
    snr = rssi - noise_dbm[None, :]
    per = rp.per_logistic(snr, snr50_db[:, None], width_db[:, None])
    return {"rssi_dbm": rssi, "snr_db": snr, "per": per}


from .radio_faults import Attenuation, Interference, Jamming, RadioFaults  # noqa: E402 (re-exported)
