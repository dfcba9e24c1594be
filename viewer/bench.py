"""``iotlab bench viewer``: how fast the viewer draws a big room, and what it costs the simulation.

1. Frames per second drawing a 1,000-device room with traffic, offscreen: 20 gateways, each with
   an RS-485 daisy chain of transmitters it polls and a row of analog sensors, the lab moving on
   0.1 simulated seconds between frames so frames keep flowing on the buses. The baseline is a
   bare pygame loop in the same run drawing, each frame, as many primitives as the viewer's
   plan had that frame (a circle per device and per frame in flight, a line per wire, a blit per
   label) onto a surface of the same size. Targets: >= 60 fps and a ratio >= 0.5.
2. The simulation's own speed at max, headless and with the viewer attached and driving it
   (a window under SDL's dummy driver), in simulated seconds per wall second.

The viewer is loaded by name (``sim`` does not import it).
"""

from __future__ import annotations

import math
import os
import time
from importlib import import_module

SIZE = (1600, 1000)
GATEWAYS = 20


def room_spec(devices: int, until_s: float) -> dict:
    """About ``devices`` parts: per gateway, an RS-485 chain of transmitters and a row of LM35s."""
    per = max(2, devices // GATEWAYS)
    slaves = max(1, per // 5)
    analog = per - 1 - slaves
    cols = 5
    spec_devices, wiring, benches = [], [], []
    for g in range(GATEWAYS):
        ox, oy = 1.0 + (g % cols) * 6.0, 1.0 + (g // cols) * 4.0
        benches.append({"pos_m": [ox - 0.3, oy - 0.3], "size_m": [5.6, 3.2], "label": f"bench {g + 1}"})
        gw = f"gw{g}"
        spec_devices.append({"id": gw, "type": "gateway", "analog_inputs": analog, "digital_inputs": 0,
                             "single_wire_pins": 0, "poll_period_s": 1.0, "pos_m": [ox + 2.5, oy + 1.4]})
        previous = f"{gw}.rs485"
        for i in range(slaves):
            dev = f"th{g}_{i + 1}"
            spec_devices.append({"id": dev, "type": "rs485_th", "address": i + 1,
                                 "pos_m": [ox + 0.5 * (i % 10), oy + 2.4 + 0.4 * (i // 10)]})
            wiring.append(f"{previous} -> {dev}.rs485")
            previous = f"{dev}.rs485"
        for i in range(analog):
            dev = f"t{g}_{i + 1}"
            spec_devices.append({"id": dev, "type": "lm35", "pos_m": [ox + 0.5 * (i % 10), oy + 0.4 * (i // 10)]})
            wiring.append(f"{gw}.ai{i + 1} -> {dev}.out")
    rows = (GATEWAYS + cols - 1) // cols
    return {"name": "viewer benchmark", "lab": "bench", "seed": 1, "duration": until_s,
            "room": {"size_m": [cols * 6.0 + 1, rows * 4.0 + 1], "benches": benches,
                     "walls": [{"from_m": [0, 0], "to_m": [cols * 6.0 + 1, 0], "material": "concrete"}]},
            "devices": spec_devices, "wiring": wiring}


def _build(devices: int, until_s: float, sinks=()):
    from sim.scenario.builder import build
    from sim.scenario.spec import Scenario
    return build(Scenario.model_validate(room_spec(devices, until_s)), sinks=list(sinks))


def draw_fps(devices: int, frames: int) -> dict:
    import pygame
    viewer = import_module("viewer")
    sim = _build(devices, 3600.0)
    try:
        surface = pygame.Surface(SIZE)
        v = viewer.Viewer(sim, 3600.0, surface=surface, lang="en")
        sim.advance_to(2.0)
        v.ingest()
        v.render()                                      # first frame: lays the plan out, renders the labels
        counts, drawn, step = [], 0.0, 0.1
        for _ in range(frames):
            sim.advance_to(sim.now + step)
            start = time.perf_counter()
            v.ingest()
            v.render()
            drawn += time.perf_counter() - start
            counts.append(dict(v.plan_renderer.counts))
        n_devices = len(sim.devices)
        in_flight = sum(c["dots"] for c in counts) / len(counts)
        labels = counts[-1]["labels"]
        bare = _bare_loop(surface, counts, v.fonts)
    finally:
        sim.close()
    return {"devices": n_devices, "frames": frames, "viewer_fps": frames / drawn, "bare_fps": frames / bare,
            "dots": in_flight, "labels": labels, "wires": counts[-1]["wires"]}


def _bare_loop(surface, counts: list[dict], fonts) -> float:
    """The same primitives, drawn the plain way: circles, lines, pre-rendered text blits."""
    import pygame
    w, h = surface.get_size()
    text = [fonts.text(f"t{i} · LM35 23.4 °C", "small", (20, 20, 20)) for i in range(64)]
    start = time.perf_counter()
    for k, c in enumerate(counts):
        surface.fill((236, 238, 241))
        for i in range(c["wires"]):
            x, y = (i * 37) % w, (i * 53) % h
            pygame.draw.line(surface, (104, 56, 204), (x, y), ((x + 40) % w, (y + 25) % h), 2)
        for i in range(c["dots"]):
            pygame.draw.circle(surface, (104, 56, 204), ((i * 29 + k) % w, (i * 31) % h), 5)
        for i in range(c["icons"]):
            pygame.draw.circle(surface, (24, 150, 110), ((i * 41) % w, (i * 43) % h), 6)
        for i in range(c["labels"]):
            surface.blit(text[i % len(text)], ((i * 47) % w, (i * 59) % h))
    return time.perf_counter() - start


def sim_speed(devices: int, until_s: float) -> dict:
    import pygame  # noqa: F401  (the window below needs SDL's video subsystem)
    viewer = import_module("viewer")
    sim = _build(devices, until_s)
    try:
        start = time.perf_counter()
        sim.run(until_s)
        headless = time.perf_counter() - start
    finally:
        sim.close()
    sim = _build(devices, until_s)
    frames = [0]

    def count(v) -> None:
        frames[0] += 1
        if sim.now >= until_s:
            v.closed = True
    try:
        sim.set_speed(math.inf)
        start = time.perf_counter()
        viewer.drive(sim, until_s, size=SIZE, lang="en", on_frame=count)
        watched = time.perf_counter() - start
    finally:
        sim.close()
    return {"until": until_s, "headless_s": headless, "viewer_s": watched, "frames": frames[0]}


def main(devices: int, until_s: float, frames: int = 300) -> int:
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame
    pygame.display.init()
    pygame.font.init()
    print(f"viewer benchmark: a {devices}-device room ({GATEWAYS} gateways, RS-485 chains and analog rows), "
          f"{SIZE[0]}x{SIZE[1]} offscreen")
    d = draw_fps(devices, frames)
    ratio = d["viewer_fps"] / d["bare_fps"]
    print(f"  drawing: {d['devices']} devices, {d['wires']} wires, {d['dots']:.0f} frames in flight on average, "
          f"{d['labels']} labels, {d['frames']} frames")
    print(f"    viewer (trace in + whole window drawn): {d['viewer_fps']:7.1f} fps   (target >= 60)")
    print(f"    bare pygame, same primitives          : {d['bare_fps']:7.1f} fps")
    print(f"    ratio viewer / bare = {ratio:.2f}  (target >= 0.5)")
    s = sim_speed(devices, until_s)
    hs, vs = s["until"] / s["headless_s"], s["until"] / s["viewer_s"]
    print(f"  simulation at --speed max, {s['until']:g} s simulated:")
    print(f"    headless     : {s['headless_s']:6.2f} s wall = {hs:8.1f} simulated s per wall s")
    print(f"    viewer open  : {s['viewer_s']:6.2f} s wall = {vs:8.1f} simulated s per wall s "
          f"({s['frames']} frames, {s['frames'] / s['viewer_s']:.0f} fps while it ran)")
    print(f"    ratio with / without the viewer = {vs / hs:.2f}")
    pygame.quit()
    return 0
