"""The event list: every trace record as it happens, to pause on and inspect (in the spirit of
Packet Tracer's simulation mode). Filter by kind (chips) and by device (the selected one, key E);
the wheel scrolls back; clicking a row selects its device and shows the whole record."""

from __future__ import annotations

import pygame

from . import dock, style
from .state import details
from .widgets import chip, wrap

KIND_ORDER = ("frame.tx", "frame.rx", "frame.lost", "sample", "event", "state", "alarm", "output", "rule",
              "fault.on", "fault.off", "input", "input.error", "env.event")


def draw(v, rect: pygame.Rect) -> None:
    target, fonts, words, spots = v.surface, v.fonts, v.words, v.hotspots
    target.fill(style.PANEL, rect)
    pygame.draw.line(target, style.PANEL_EDGE, rect.topleft, rect.topright)
    line = fonts.line_height("small") + 2
    y = rect.y + 5
    x = dock.tabs(v, rect)
    if v.event_device:
        x = chip(target, fonts, spots, x, y, f"{words('only')} {v.event_device} ×", "events.device",
                 lambda: v.filter_events_by(None), on=True, colour=style.HILITE).right + 8
    elif v.selected:
        x = chip(target, fonts, spots, x, y, f"{words('only')} {v.selected}", "events.device",
                 lambda: v.filter_events_by(v.selected), on=False, colour=style.HILITE).right + 8
    kinds = sorted(v.state.kinds, key=lambda k: (KIND_ORDER.index(k) if k in KIND_ORDER else 99, k))
    for kind in kinds:
        if x > rect.right - 80:
            break
        x = chip(target, fonts, spots, x, y, kind, f"events.kind:{kind}", lambda k=kind: v.toggle_kind(k),
                 on=kind not in v.hidden_kinds, colour=style.kind_colour(kind)).right + 4
    y += line + 6
    detail_lines = []
    if v.event_record is not None:
        detail_lines = wrap(fonts, _full(v.event_record), rect.width - 20)[:2]
    rows = max(1, (rect.bottom - y - 4 - len(detail_lines) * line) // line)
    v.event_rows = rows
    shown = v.visible_kinds()
    records = v.state.events(v.event_device, shown, rows, v.event_scroll)
    col_t = rect.x + 8
    col_src = col_t + fonts.size("00000.000000 s", "small")[0] + 10
    col_kind = col_src + fonts.size("relay10_", "small", bold=True)[0] + 10
    col_details = col_kind + fonts.size("input.error", "small", bold=True)[0] + 10
    for record in records:
        row = pygame.Rect(rect.x + 2, y, rect.width - 4, line)
        if record is v.event_record:
            pygame.draw.rect(target, (222, 233, 250), row)
        target.blit(fonts.text(f"{record['t']:.6f}".rstrip("0").rstrip(".") + " s", "small", style.TEXT_DIM),
                    (col_t, y))
        target.blit(fonts.text(str(record["src"]), "small", style.TEXT, bold=True), (col_src, y),
                    (0, 0, col_kind - col_src - 6, line))
        kind = record["kind"]
        target.blit(fonts.text(kind, "small", style.kind_colour(kind), bold=True), (col_kind, y))
        text = details(record)
        target.blit(fonts.text(text[:240], "small", style.TEXT), (col_details, y),
                    (0, 0, rect.right - col_details - 8, line))
        spots.add(row, f"events.row:{record['t']}:{record['src']}:{kind}", lambda r=record: v.pick_record(r))
        y += line
    if not records:
        target.blit(fonts.text("…", "small", style.TEXT_DIM), (col_t, y))
    y = rect.bottom - 4 - len(detail_lines) * line
    for text in detail_lines:
        target.blit(fonts.text(text, "small", style.TEXT), (rect.x + 8, y))
        y += line
    if v.event_scroll:
        image = fonts.text(f"-{v.event_scroll}", "small", style.HILITE, bold=True)
        target.blit(image, (rect.right - image.get_width() - 10, rect.y + 6))


def _full(record: dict) -> str:
    return f"t={record['t']} src={record['src']} kind={record['kind']} " + details(record)
