"""``iotlab rooms``: the eight rooms of the curriculum."""

from __future__ import annotations

from ..rooms import ROOMS, available


def main(args) -> int:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Training rooms (IoT Application Technology, 510102)")
    table.add_column("id", no_wrap=True)
    for column in ("room", "实训室", "status", "what students do"):
        table.add_column(column)
    for room in ROOMS:
        status = "[green]available[/green]" if available(room.id) else "[dim]planned[/dim]"
        table.add_row(room.id, room.name, room.name_zh, status, room.activities)
    Console().print(table)
    return 0
