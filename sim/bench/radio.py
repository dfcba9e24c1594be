"""``iotlab bench radio``: a LoRaWAN campus and a ZigBee mesh, headless, through the real device models.

The lab: ``lora`` LoRaWAN nodes (each with a light sensor, one uplink every 10 minutes, EU868 with
its 1 % duty cycle, spreading factor chosen per node for its distance to the nearest of 4
gateways, as ADR would) spread over a 10 km x 10 km campus, and ``zigbee`` CC2530 kit nodes (one
report a minute each, one in seven a router on a grid) meshed to one coordinator over a 1 km x 1 km
part of the campus with a few brick walls. It reports wall time, SimPy events per second, delivery ratio and latency
percentiles for each network, and the channel step: every link's RSSI, SNR and PER computed by
the medium's vectorised link table against a per-link Python loop computing the same values in the
same run (both checked equal).
"""

from __future__ import annotations

import math
import time

import numpy as np

from .. import radio_physics as rp
from ..radio import medium
from ..units import format_duration
from .kernel import _scheduled

CAMPUS_M = 10000.0
BLOCK_M = 1000.0                  # the ZigBee block's side for 1,000 nodes; the same density for other counts
LORA_PERIOD_S = 600.0
ZIGBEE_PERIOD_S = 60.0
GATEWAYS = ((2500.0, 2500.0), (7500.0, 2500.0), (2500.0, 7500.0), (7500.0, 7500.0))
BLOCK_WALLS = [((300.0, 0.0), (300.0, 400.0)), ((700.0, 600.0), (700.0, 1000.0)), ((0.0, 500.0), (450.0, 500.0)),
               ((550.0, 500.0), (1000.0, 500.0))]


def lab_spec(lora: int, zigbee: int, until_s: float, seed: int = 1) -> dict:
    rng = np.random.default_rng(seed)
    devices: list[dict] = []
    wiring: list[str] = []
    # -- LoRaWAN: 4 gateways, nodes anywhere on the campus, SF by distance to the nearest gateway
    for g, (x, y) in enumerate(GATEWAYS):
        devices.append({"id": f"gw{g}", "type": "lorawan_gateway", "plan": "campus", "pos_m": [x, y],
                        "region": "EU868", "backhaul_ms": 50})
    xy = rng.uniform(0, CAMPUS_M, size=(lora, 2))
    d = np.min(np.hypot(xy[:, None, 0] - np.array(GATEWAYS)[None, :, 0],
                        xy[:, None, 1] - np.array(GATEWAYS)[None, :, 1]), axis=1)
    rssi = 14.0 + 3.0 - rp.log_distance_loss_db(d, 7.7, 3.76)
    sf = np.full(lora, 12)
    for s in range(11, 6, -1):
        sf[rssi - 6.0 >= rp.lora_sensitivity_dbm(s)] = s
    for i in range(lora):
        devices.append({"id": f"n{i}", "type": "lorawan_node", "plan": "campus",
                        "pos_m": [round(float(xy[i, 0]), 1), round(float(xy[i, 1]), 1)], "region": "EU868",
                        "sf": int(sf[i]), "period_s": LORA_PERIOD_S})
        devices.append({"id": f"l{i}", "type": "photoresistor", "plan": "campus",
                        "pos_m": [round(float(xy[i, 0]), 1), round(float(xy[i, 1]), 1)]})
        wiring.append(f"n{i}.ai1 -> l{i}.ao")
    # -- ZigBee: a coordinator in the middle, routers on a grid, kit nodes anywhere in the block
    ox = oy = 100.0                                        # the block's corner on the campus
    block = max(100.0, BLOCK_M * math.sqrt(zigbee / 1000.0))
    devices.append({"id": "zc", "type": "zigbee_cc2530", "role": "coordinator", "plan": "campus",
                    "pos_m": [ox + block / 2 + 5, oy + block / 2 + 5], "mto_period_s": 600})
    routers = max(1, zigbee // 7)
    side = max(1, int(math.ceil(math.sqrt(routers))))
    step = block / side
    zxy = rng.uniform(0, block, size=(zigbee, 2))
    for k in range(zigbee):
        router = k < routers
        x, y = (((k % side) + 0.5) * step, ((k // side) + 0.5) * step) if router else zxy[k]
        devices.append({"id": f"z{k}", "type": "zigbee_node", "role": "router" if router else "end_device",
                        "plan": "campus", "pos_m": [round(ox + float(x), 1), round(oy + float(y), 1)],
                        "addr": k + 1, "period_s": ZIGBEE_PERIOD_S})
        devices.append({"id": f"zl{k}", "type": "photoresistor", "plan": "campus",
                        "pos_m": [round(ox + float(x), 1), round(oy + float(y), 1)]})
        wiring.append(f"z{k}.ai1 -> zl{k}.ao")
    k = block / BLOCK_M
    walls = [{"from_m": [ox + k * a[0], oy + k * a[1]], "to_m": [ox + k * b[0], oy + k * b[1]], "material": "brick"}
             for a, b in BLOCK_WALLS]
    return {"name": "radio benchmark", "lab": "bench-radio", "seed": seed, "duration": until_s,
            "room": {"size_m": [10, 10], "campus": {"size_m": [CAMPUS_M, CAMPUS_M], "room_at_m": [0, 0],
                                                     "walls": walls}},
            "devices": devices, "wiring": wiring}


class _Tally:
    """A trace sink that keeps only what the report needs."""

    def __init__(self) -> None:
        self.lora_tx = 0
        self.uplinks = 0
        self.lora_latency: list[float] = []
        self.lost: dict[str, int] = {}
        self.records = 0

    def write_batch(self, records) -> None:
        self.records += len(records)
        for r in records:
            kind = r["kind"]
            if kind == "frame.tx":
                if r.get("bus") == "lora":
                    self.lora_tx += 1
            elif kind == "uplink":
                self.uplinks += 1
                if "latency_ms" in r:
                    self.lora_latency.append(r["latency_ms"])
            elif kind == "frame.lost":
                key = f"{r.get('bus')}:{r.get('reason')}"
                self.lost[key] = self.lost.get(key, 0) + 1

    def close(self) -> None:
        pass


# -- the channel step, both ways ---------------------------------------------------------------------------
def channel_step_vectorised(m, band_name: str) -> dict:
    band = m.bands[band_name]
    band.rebuild()
    return m.link_table(band_name)


def _splitmix(x: int) -> int:
    mask = 0xFFFFFFFFFFFFFFFF
    x = (x + 0x9E3779B97F4A7C15) & mask
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & mask
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & mask
    return x ^ (x >> 31)


def channel_step_loop(m, band_name: str) -> dict:
    """The same table, one link at a time in plain Python."""
    band = m.bands[band_name]
    plan = m.plan()
    walls = [(p, q, rp.wall_loss_db(mat, band.rx[0].tech.nominal_hz)) for p, q, mat in plan["walls"]]
    shadowing = plan["shadowing"]
    rows, cols = band.nodes, band.rx
    out_rssi = [[0.0] * len(cols) for _ in rows]
    out_snr = [[0.0] * len(cols) for _ in rows]
    out_per = [[0.0] * len(cols) for _ in rows]
    col_info = []
    for c in cols:
        t = c.tech
        col_info.append((m.position(c.device), t.ref_loss_db, t.exponent, t.shadow_sigma_db, m._key(c.id), c.id,
                         c.antenna_gain_db - c.extra_loss_db, t.noise_dbm(c.bandwidth_hz)))
    for i, r in enumerate(rows):
        (ax, ay), ka = m.position(r.device), m._key(r.id)
        tx = r.tx_power_dbm + r.antenna_gain_db - r.extra_loss_db
        snr50, width = r.tech.snr50_db(r.rate, r.bandwidth_hz), r.tech.per_width_db
        row_r, row_s, row_p = out_rssi[i], out_snr[i], out_per[i]
        for j, ((bx, by), ref, n, sigma, kb, cid, gain, noise) in enumerate(col_info):
            if cid == r.id:
                row_r[j] = row_s[j] = -math.inf
                row_p[j] = 1.0
                continue
            d = max(math.hypot(ax - bx, ay - by), rp.MIN_DISTANCE_M)
            loss = ref + 10.0 * n * math.log10(d)
            for (px, py), (qx, qy), db in walls:
                d1 = (qx - px) * (ay - py) - (qy - py) * (ax - px)
                d2 = (qx - px) * (by - py) - (qy - py) * (bx - px)
                d3 = (bx - ax) * (py - ay) - (by - ay) * (px - ax)
                d4 = (bx - ax) * (qy - ay) - (by - ay) * (qx - ax)
                if d1 * d2 < 0 and d3 * d4 < 0:
                    loss += db
            if shadowing:
                lo, hi = min(ka, kb), max(ka, kb)
                h1 = _splitmix(lo ^ _splitmix(hi))
                h2 = _splitmix(h1 ^ 0xD1B54A32D192ED03)
                u1 = ((h1 >> 11) + 0.5) / 2.0 ** 53
                u2 = (h2 >> 11) / 2.0 ** 53
                loss += math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2) * sigma
            rssi = tx - loss + gain
            snr = rssi - noise
            x = max(-60.0, min(60.0, (snr - snr50) / width))
            row_r[j], row_s[j], row_p[j] = rssi, snr, 1.0 / (1.0 + math.exp(x))
    return {"rssi_dbm": np.array(out_rssi), "snr_db": np.array(out_snr), "per": np.array(out_per)}


def compare_channel_step(m, repeats: int = 3) -> tuple[float, float, int]:
    """(vectorised s, loop s, links) over every band, the vectorised time the best of ``repeats``."""
    vec_s = loop_s = 0.0
    links = 0
    for name in sorted(m.bands):
        band = m.bands[name]
        if not band.rx:
            continue
        best = math.inf
        for _ in range(repeats):
            t0 = time.perf_counter()
            fast = channel_step_vectorised(m, name)
            best = min(best, time.perf_counter() - t0)
        t0 = time.perf_counter()
        slow = channel_step_loop(m, name)
        loop_s += time.perf_counter() - t0
        vec_s += best
        links += fast["rssi_dbm"].size
        for key in ("rssi_dbm", "snr_db", "per"):
            a, b = fast[key], slow[key]
            finite = np.isfinite(a)
            if not (np.array_equal(finite, np.isfinite(b)) and np.allclose(a[finite], b[finite], rtol=0, atol=1e-6)):
                raise AssertionError(f"channel step {name}: {key} differs between the two computations")
    return vec_s, loop_s, links


def _pct(values, q) -> str:
    return f"{np.percentile(values, q):.1f}" if len(values) else "-"


def main(lora: int = 10_000, zigbee: int = 1_000, until_s: float = 3600.0, default_until: bool = False) -> int:
    from ..scenario.builder import build
    from ..scenario.spec import Scenario

    print(f"radio benchmark: {lora:,} LoRaWAN nodes (1 uplink / {LORA_PERIOD_S / 60:g} min, 4 gateways) and "
          f"{zigbee:,} ZigBee kit nodes (1 report / {ZIGBEE_PERIOD_S:g} s) for {format_duration(until_s)} simulated")
    if default_until:
        print("  (one simulated hour by default: a whole day of this lab took 25 minutes of wall time on "
              "a 2-core machine; --until 1d runs it)")
    t0 = time.perf_counter()
    scenario = Scenario.model_validate(lab_spec(lora, zigbee, until_s))
    tally = _Tally()
    sim = build(scenario, sinks=[tally])
    zig = getattr(sim, "_zigbee_net", None)        # the ZigBee parts' shared table: it keeps delivery figures
    if zig is not None:
        zig.track = True
    m = medium(sim)
    build_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    sim.run(until_s)
    run_s = time.perf_counter() - t1
    events = _scheduled(sim.env)
    print(f"  build {build_s:.1f} s; run {run_s:.1f} s wall for {until_s:,.0f} s simulated "
          f"({until_s / run_s:,.0f}x real time)")
    print(f"  SimPy events {events:,} ({events / run_s:,.0f} events/s); trace records {tally.records:,}")
    ratio = tally.uplinks / tally.lora_tx if tally.lora_tx else 0.0
    print(f"  LoRaWAN: {tally.lora_tx:,} uplinks sent, {tally.uplinks:,} reached the network server "
          f"(delivery {ratio:.3f}); latency reading->server ms p50 {_pct(tally.lora_latency, 50)} "
          f"p95 {_pct(tally.lora_latency, 95)} p99 {_pct(tally.lora_latency, 99)}")
    if zig is not None:
        lat = [x * 1000.0 for x in zig.latencies]
        sent, got = zig.counts["sent"], zig.counts["delivered"]
        print(f"  ZigBee: {sent:,} reports sent, {got:,} reached the coordinator (delivery "
              f"{got / sent if sent else 0:.3f}); latency ms p50 {_pct(lat, 50)} p95 {_pct(lat, 95)} "
              f"p99 {_pct(lat, 99)}")
    lost = ", ".join(f"{k} {v:,}" for k, v in sorted(tally.lost.items(), key=lambda kv: -kv[1]))
    print(f"  losses: {lost or 'none'}")
    vec_s, loop_s, links = compare_channel_step(m)
    print(f"  channel step over {links:,} links (RSSI, SNR, PER; path loss, walls, shadowing): vectorised "
          f"{vec_s * 1000:.1f} ms, per-link Python loop {loop_s * 1000:.0f} ms: {loop_s / vec_s:.0f}x")
    sim.close()
    return 0
