"""``iotlab devices [TYPE]``: the catalogue, or one type's parameters, ports and faults."""

from __future__ import annotations

import sys

from .. import registry


def main(args) -> int:
    from rich.console import Console
    from rich.markdown import Markdown
    from rich.table import Table

    console = Console()
    if args.type:
        try:
            registry.load(args.type)
        except KeyError as exc:
            print(f"iotlab devices: {exc.args[0]}; `iotlab devices` lists them all", file=sys.stderr)
            return 2
        from ..schema_doc import device_section
        console.print(Markdown(device_section(args.type)))
        return 0
    table = Table(title="Device catalogue (iotlab devices TYPE for details)")
    for column in ("type", "family", "device", "器件"):
        table.add_column(column)
    for name in registry.known_types():
        cls = registry.load(name)
        table.add_row(name, cls.FAMILY, cls.TITLE, cls.TITLE_ZH)
    console.print(table)
    return 0
