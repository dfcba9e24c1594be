"""The pygame viewer: the room plan with its devices and wires, frames in flight, an event list,
an inspector, time controls, a fault menu and a serial console per UART. It draws from the
trace (a sink) and the read-only scene description (``Simulation.scene``), sends every input
(typed bytes too) through the lab's inbox, and never imports device modules.

Importing this package does not import pygame: ``display_available`` answers whether a
window can be opened without it, and the rest loads on first use.
"""

from importlib import import_module

from .display import display_available

_EXPORTS = {
    "Viewer": "app",
    "drive": "driver", "Snapshot": "driver", "Pacer": "driver",
    "FINISHED": "driver", "CLOSED": "driver", "FAILED": "driver", "UNAVAILABLE": "driver",
    "Scene": "scene", "LabState": "state", "TraceFeed": "state", "Traffic": "traffic",
    "default_lang": "i18n",
}

__all__ = sorted([*_EXPORTS, "display_available"])


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'viewer' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
