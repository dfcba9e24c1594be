"""The dock under the plan: named tabs (``Viewer.dock_tab``), the event list and a serial console
per open UART (``console:DEVICE.PORT``). With no console open the strip is only the event list's
title, as before consoles existed."""

from __future__ import annotations

import pygame

from . import style
from .widgets import button, fit_button


def tabs(v, rect: pygame.Rect) -> int:
    """Draw the tab strip at the dock's top left; the x where the panel's own row goes on."""
    target, fonts, words, spots = v.surface, v.fonts, v.words, v.hotspots
    x, y = rect.x + 8, rect.y + 5
    if not v.consoles:
        title = fonts.text(words("events"), "normal", style.TEXT, bold=True)
        target.blit(title, (x, y))
        return x + title.get_width() + 12
    h = fonts.line_height("small") + 2
    r = button(target, fonts, spots, fit_button(fonts, words("events"), x, y, h), words("events"), "dock.tab:events",
               lambda: v.show_dock("events"), on=v.dock_tab == "events")
    x = r.right + 6
    uart = style.form_colour("uart")
    for key, con in list(v.consoles.items()):
        tab = f"console:{key}"
        on = v.dock_tab == tab
        r = button(target, fonts, spots, fit_button(fonts, con.label, x, y, h), con.label, f"dock.tab:{tab}",
                   lambda t=tab: v.show_dock(t), on=on, colour=None if on else uart)
        r = button(target, fonts, spots, fit_button(fonts, "×", r.right + 1, y, h, pad=4), "×", f"dock.close:{tab}",
                   lambda k=key: v.close_console(k), on=on, colour=None if on else uart)
        x = r.right + 6
    return x + 8
