"""The bar across the top: run/pause, step, speed, the simulated clock, the plan switch."""

from __future__ import annotations

import math

import pygame

from . import style
from .widgets import button, fit_button

SPEEDS = ((1.0, "×1"), (10.0, "×10"), (100.0, "×100"), (math.inf, "max"))


def clock_text(t: float) -> str:
    hours, rest = divmod(max(t, 0.0), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{int(hours)}:{int(minutes):02d}:{seconds:06.3f}"


def draw(v, rect: pygame.Rect) -> None:
    target, fonts, words, spots = v.surface, v.fonts, v.words, v.hotspots
    controls = v.controls
    target.fill(style.BAR, rect)
    h = rect.height - 10
    x, y = rect.x + 8, rect.y + 5
    paused = controls.paused
    label = words("run") if paused else words("pause")
    r = button(target, fonts, spots, fit_button(fonts, "  " + label, x, y, h), "  " + label, "time.pause",
               controls.toggle_pause, on=paused)
    _play_pause_glyph(target, r, paused)
    x = r.right + 6
    r = button(target, fonts, spots, fit_button(fonts, words("step"), x, y, h), words("step"), "time.step",
               controls.step, enabled=not controls.finished)
    x = r.right + 14
    for speed, text in SPEEDS:
        shown = words("max") if math.isinf(speed) else text
        r = button(target, fonts, spots, fit_button(fonts, shown, x, y, h, pad=6), shown, f"time.speed:{text}",
                   lambda s=speed: controls.set_speed(s), on=controls.speed == speed)
        x = r.right + 3
    x += 14
    clock = fonts.text(f"{words('t')} {clock_text(v.sim.now)} / {clock_text(controls.until)}", "title",
                       style.BAR_TEXT, bold=True)
    target.blit(clock, (x, rect.centery - clock.get_height() // 2))
    x += clock.get_width() + 12
    status = words("finished") if controls.finished else words("paused") if paused else words("running")
    if v.lagging and not paused and not controls.finished:
        status += f" ({words('lagging')})"
    image = fonts.text(status, "normal", (255, 210, 90) if paused else (170, 220, 170))
    target.blit(image, (x, rect.centery - image.get_height() // 2))
    right = rect.right - 8
    r = fit_button(fonts, words("fit"), 0, y, h)
    r.right = right
    button(target, fonts, spots, r, words("fit"), "view.fit", v.fit)
    right = r.left - 6
    if len(v.scene.plans) > 1:
        for plan in reversed(v.scene.plans):
            r = fit_button(fonts, plan, 0, y, h)
            r.right = right
            button(target, fonts, spots, r, plan, f"view.plan:{plan}", lambda p=plan: v.show_plan(p),
                   on=v.plan == plan)
            right = r.left - 4
    title = fonts.text(v.scene.name, "normal", style.BAR_TEXT, bold=True)
    if title.get_width() < right - x - 160:
        target.blit(title, (right - 10 - title.get_width(), rect.centery - title.get_height() // 2))


def _play_pause_glyph(target, rect: pygame.Rect, paused: bool) -> None:
    cx, cy = rect.x + 11, rect.centery
    if paused:
        pygame.draw.polygon(target, (255, 255, 255), [(cx - 4, cy - 6), (cx - 4, cy + 6), (cx + 5, cy)])
    else:
        pygame.draw.rect(target, (255, 255, 255), (cx - 5, cy - 6, 3, 12))
        pygame.draw.rect(target, (255, 255, 255), (cx + 1, cy - 6, 3, 12))
