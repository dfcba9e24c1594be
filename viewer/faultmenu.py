"""The fault menu of the selected device: every fault its catalogue entry lists (from the scene),
with its symptom, its parameters and their defaults, and for wire faults the port. Inject and
Clear post ``fault.inject`` / ``fault.clear`` to the inbox; the simulation validates them as it
does a scenario's timeline or an MQTT command, and a refusal comes back in the status line."""

from __future__ import annotations

import pygame

from . import style
from .controls import parse_value
from .widgets import button, fit_button, wrap

WIDTH = 460


def rect_for(plan_area: pygame.Rect) -> pygame.Rect:
    w = min(WIDTH, plan_area.width - 20)
    return pygame.Rect(plan_area.right - w - 8, plan_area.y + 8, w, plan_area.height - 16)


def target_of(v, dev, entry: dict) -> str:
    if not entry.get("on_port"):
        return dev.id
    ports = entry.get("ports") or list(dev.ports)
    port = v.fault_ports.get((dev.id, entry["name"])) or (ports[0] if ports else "")
    return f"{dev.id}.{port}"


def params_of(v, dev, entry: dict) -> dict:
    typed = v.fault_values.get((dev.id, entry["name"]), {})
    return {k: parse_value(text) for k, text in typed.items() if parse_value(text) is not None}


def draw(v, plan_area: pygame.Rect) -> None:
    dev = v.scene.devices.get(v.selected or "")
    if dev is None:
        v.fault_menu_open = False
        return
    fonts, words, target, spots = v.fonts, v.words, v.surface, v.hotspots
    rect = rect_for(plan_area)
    shadow = rect.move(3, 3)
    pygame.draw.rect(target, (180, 184, 192), shadow, border_radius=6)
    pygame.draw.rect(target, style.PANEL, rect, border_radius=6)
    pygame.draw.rect(target, style.PANEL_EDGE, rect, 1, border_radius=6)
    spots.add(rect, "faultmenu", lambda: None)            # clicks inside never reach the plan
    line = fonts.line_height("small") + 2
    x, y = rect.x + 12, rect.y + 10
    title = fonts.text(f"{words('fault_menu')} {dev.id} ({dev.type})", "normal", style.TEXT, bold=True)
    target.blit(title, (x, y))
    close = fit_button(fonts, "×", 0, y - 2, line + 2)
    close.right = rect.right - 10
    button(target, fonts, spots, close, "×", "faultmenu.close", v.close_fault_menu)
    y += title.get_height() + 8
    body = pygame.Rect(rect.x + 1, y, rect.width - 2, rect.bottom - y - 4)
    target.set_clip(body)
    y -= v.fault_menu_scroll
    width = rect.width - 24
    active = v.state.active_faults(dev.id)
    for entry in dev.faults:
        name = entry["name"]
        where = target_of(v, dev, entry)
        is_on = (name, where) in active
        head = fonts.text(name, "normal", style.FAULT if is_on else style.TEXT, bold=True)
        if body.collidepoint(x, y + 4):
            target.blit(head, (x, y))
        inject = fit_button(fonts, words("inject"), 0, y, line + 2)
        inject.right = rect.right - 12
        clear = fit_button(fonts, words("clear"), 0, y, line + 2)
        clear.right = inject.left - 6
        if body.collidepoint(inject.center):
            button(target, fonts, spots, inject, words("inject"), f"fault.inject:{name}",
                   lambda e=entry, d=dev: v.controls.inject(target_of(v, d, e), e["name"], params_of(v, d, e)),
                   colour=style.FAULT)
            button(target, fonts, spots, clear, words("clear"), f"fault.clear:{name}",
                   lambda e=entry, d=dev: v.controls.clear(target_of(v, d, e), e["name"]), enabled=is_on)
        y += line + 6
        for part in wrap(fonts, entry.get("symptom", ""), width)[:3]:
            if body.collidepoint(x, y + 2):
                target.blit(fonts.text(part, "small", style.TEXT_DIM), (x, y))
            y += line
        if entry.get("on_port"):
            ports = entry.get("ports") or list(dev.ports)
            port = where.partition(".")[2]
            text = f"{words('port')}: {port}  >" if len(ports) > 1 else f"{words('port')}: {port}"
            image = fonts.text(text, "small", style.HILITE, bold=True)
            area = pygame.Rect(x + 8, y, image.get_width(), line)
            if body.colliderect(area):
                target.blit(image, area.topleft)
                spots.add(area, f"fault.port:{name}", lambda e=entry, d=dev: v.next_fault_port(d.id, e))
            y += line
        typed = v.fault_values.get((dev.id, name), {})
        for pname, info in (entry.get("params") or {}).items():
            field_name = f"fault:{dev.id}:{name}:{pname}"
            editing = v.text_field is not None and v.text_field.name == field_name
            default = info.get("default")
            current = typed.get(pname, "" if default is None else str(default))
            value = v.text_field.text + "|" if editing else current
            label = fonts.text(f"{pname} =", "small", style.TEXT)
            box = pygame.Rect(x + 16 + label.get_width() + 6, y, 120, line)
            if body.colliderect(box):
                target.blit(label, (x + 16, y))
                pygame.draw.rect(target, (255, 255, 255), box)
                pygame.draw.rect(target, style.HILITE if editing else style.PANEL_EDGE, box, 1)
                target.blit(fonts.text(value or "", "small", style.TEXT), (box.x + 4, box.y), (0, 0, box.width - 6, line))
                spots.add(box, f"fault.param:{name}:{pname}",
                          lambda d=dev.id, n=name, p=pname, val=current: v.edit_fault_param(d, n, p, val))
                note = words("required") if info.get("required") and not typed.get(pname) else info.get("description", "")
                colour = style.FAULT if info.get("required") and not typed.get(pname) else style.TEXT_DIM
                target.blit(fonts.text(note, "small", colour), (box.right + 6, y), (0, 0, rect.right - box.right - 16, line))
            y += line + 2
        y += 6
        pygame.draw.line(target, style.PANEL_EDGE, (x, y), (rect.right - 12, y))
        y += 6
    v.fault_menu_height = y + v.fault_menu_scroll - body.y
    target.set_clip(None)
