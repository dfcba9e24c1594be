"""Running a lab with the viewer open, and snapshots.

One thread does everything: the viewer's loop owns the main thread (which SDL wants for
windows and events on every platform) and moves the simulation forward between frames with
``Simulation.advance_to`` (paced: to where the wall clock says; at max: as much as fits in
the frame's budget) or ``Simulation.step``. Outside inputs (MQTT, TCP clients, the viewer's
own buttons) still arrive through the inbox and are applied inside ``advance_to``.

Errors are split at the boundary: an exception from the simulation (a model bug) is the
lab's and propagates as it does headless; an exception from the viewer (drawing, an event
handler) is contained: one line is logged, the window closes, the viewer unsubscribes from
the trace, and the caller goes on headless from where the lab is.
"""

from __future__ import annotations

import math
import os
import sys
import time
from typing import Callable

from .display import OFFSCREEN_DRIVERS, quiet_pygame

quiet_pygame()

import pygame  # noqa: E402

from .app import Viewer  # noqa: E402

FINISHED, CLOSED, FAILED, UNAVAILABLE = "finished", "closed", "failed", "unavailable"
FPS = 60
FPS_AT_MAX = 30                  # at max speed the simulation gets the rest of each frame
SIM_SHARE_AT_MAX = 5.0
SNAPSHOT_SIZE = (1600, 1000)
SNAPSHOT_TEXT = 1.15              # a picture is often shown smaller than it was drawn: a little larger text
SNAPSHOT_WINDOW_S = 1.0          # frames of the last simulated second show on a snapshot


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


class Pacer:
    """Moves the simulation on between frames, at the speed the Simulation says."""

    def __init__(self, sim, until: float, controls, records_seen: Callable[[], int]) -> None:
        self.sim, self.until, self.controls = sim, until, controls
        self.records_seen = records_seen
        self.chunk = max(until / 1000.0, 1e-3)
        self.lagging = False
        self._anchor: tuple[float, float] | None = None
        self._speed: float | None = None

    def advance(self, budget_s: float) -> None:
        sim = self.sim
        if self.controls.steps:
            self.controls.steps = 0
            self.step()
            self._anchor = None
            return
        if sim.now >= self.until:
            self._anchor = None
            return
        if sim.paused:
            sim.advance_to(sim.now)           # inputs sent while paused apply at the paused time
            self._anchor = None
            return
        speed = sim.speed
        if self._anchor is None or speed != self._speed:
            self._anchor, self._speed = (time.monotonic(), sim.now), speed
        if math.isinf(speed):
            self.lagging = False
            deadline = time.perf_counter() + budget_s
            while sim.now < self.until:
                start = time.perf_counter()
                sim.advance_to(min(self.until, sim.now + self.chunk))
                took = time.perf_counter() - start
                if took < 0.002:
                    self.chunk *= 2.0
                elif took > 0.008:
                    self.chunk = max(self.chunk / 2.0, 1e-6)
                if time.perf_counter() >= deadline:
                    break
            return
        wall0, sim0 = self._anchor
        target = sim0 + (time.monotonic() - wall0) * speed
        most = sim.now + speed * 0.1                  # never more than 100 ms of wall time in one frame
        self.lagging = target > most + speed * 0.2
        if target > most:
            target = most
            self._anchor = (time.monotonic(), most)
        sim.advance_to(min(self.until, target))

    def step(self) -> None:
        """Run events until the next one that shows in the trace (or the end)."""
        sim = self.sim
        before = self.records_seen()
        for _ in range(1_000_000):
            if sim.env.peek() > self.until:
                sim.advance_to(self.until)
                return
            sim.step()
            if self.records_seen() != before:
                return


def window_size() -> tuple[int, int]:
    try:
        info = pygame.display.Info()
        w, h = info.current_w, info.current_h
    except Exception:
        w = h = 0
    if w <= 0 or h <= 0:
        return 1400, 900
    return max(900, min(1600, int(w * 0.9))), max(600, min(1000, int(h * 0.88)))


def drive(sim, until: float, *, lang: str = "en", size: tuple[int, int] | None = None,
          log: Callable[[str], None] = _stderr, max_frames: int | None = None,
          on_frame: Callable[[Viewer], None] | None = None) -> str:
    """Run the lab to ``until`` with a window; returns FINISHED (the window was closed after the end),
    CLOSED (closed before it; the caller ends the run there), UNAVAILABLE (no window could be opened)
    or FAILED (the viewer failed while the lab ran). After the last two the caller goes on headless.
    ``max_frames`` and ``on_frame`` are for tests and scripts."""
    viewer = None
    try:
        try:
            pygame.display.init()
            driver = pygame.display.get_driver()
            if driver in OFFSCREEN_DRIVERS and os.environ.get("SDL_VIDEODRIVER", "").strip().lower() != driver:
                raise RuntimeError(f"no display answered (SDL fell back to its {driver} driver)")
            pygame.font.init()
            screen = pygame.display.set_mode(size or window_size(), pygame.RESIZABLE)
            pygame.display.set_caption(f"iotlab: {sim.scene.get('name') or sim.name}")
            viewer = Viewer(sim, until, lang=lang, surface=screen)
            if viewer.fonts.note:
                log(viewer.fonts.note)
        except Exception as exc:
            log(f"viewer: cannot open a window ({type(exc).__name__}: {exc}); the lab runs headless")
            return UNAVAILABLE
        pacer = Pacer(sim, until, viewer.controls, lambda: viewer.feed.count)
        clock = pygame.time.Clock()
        frames = 0
        drawing_s = 0.0
        while True:
            try:
                for event in pygame.event.get():
                    if event.type in (pygame.VIDEORESIZE, pygame.WINDOWSIZECHANGED):
                        viewer.resize(pygame.display.get_surface())
                    viewer.handle(event)
                if on_frame is not None:
                    on_frame(viewer)
            except Exception as exc:
                return _contained(exc, sim, log)
            if viewer.closed:
                return FINISHED if sim.now >= until else CLOSED
            flat_out = math.isinf(sim.speed) and not sim.paused and sim.now < until
            frame_s = 1.0 / (FPS_AT_MAX if flat_out else FPS)
            start = time.perf_counter()
            # At max the lab gets most of the time: at least 80 % of a frame, and five times what drawing costs.
            budget = max(frame_s * 0.8, SIM_SHARE_AT_MAX * drawing_s) if flat_out else frame_s * 0.5
            pacer.advance(budget)                  # the lab's errors are not contained: they are the lab's
            try:
                viewer.lagging = pacer.lagging
                viewer.ingest()
                drawn = time.perf_counter()
                viewer.render()
                pygame.display.flip()
            except Exception as exc:
                return _contained(exc, sim, log)
            drawing_s = 0.8 * drawing_s + 0.2 * min(time.perf_counter() - drawn, frame_s)
            frames += 1
            if max_frames is not None and frames >= max_frames:
                return FINISHED if sim.now >= until else CLOSED
            if not flat_out:
                clock.tick(FPS)
            elif time.perf_counter() - start < frame_s:
                pygame.event.pump()
    finally:
        if viewer is not None:
            viewer.detach()
        try:
            pygame.display.quit()
        except Exception:
            pass


def _contained(exc: BaseException, sim, log) -> str:
    where = ""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is not None:
        where = f" in {tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}"
    log(f"viewer: stopped by {type(exc).__name__}: {exc}{where} at t={sim.now:.3f}s; "
        "the lab keeps running headless")
    return FAILED


class Snapshot:
    """One frame drawn offscreen at the lab's current time. Create it before the run (it subscribes to the
    trace), run the lab to the moment wanted, then ``save``."""

    def __init__(self, sim, until: float, *, lang: str = "en", size: tuple[int, int] = SNAPSHOT_SIZE,
                 text_scale: float = SNAPSHOT_TEXT) -> None:
        pygame.font.init()
        self.sim = sim
        self.viewer = Viewer(sim, until, size=size, lang=lang, text_scale=text_scale)

    def render(self) -> pygame.Surface:
        viewer, now = self.viewer, self.sim.now
        life = viewer.traffic.life
        for batch in viewer.feed.take():
            # frames older than the last simulated second are born too early to be on screen (they still
            # count in radio links' loss)
            viewer.traffic.ingest(viewer.state.ingest(batch), 0.0,
                                  born_of=lambda r: (r["t"] - now) * life / SNAPSHOT_WINDOW_S)
        return viewer.render(anim_now=0.0)

    def save(self, path: str) -> None:
        surface = self.render()
        pygame.image.save(surface, str(path))

    def close(self) -> None:
        self.viewer.detach()
