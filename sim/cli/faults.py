"""``iotlab faults [TYPE]``: the fault catalogue — every fault each device type supports, and its symptom."""

from __future__ import annotations

import sys

from .. import registry


def main(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from ..faults import faults_of
    from ..reference import field_rows

    types = registry.known_types()
    if args.type:
        try:
            registry.load(args.type)
        except KeyError as exc:
            print(f"iotlab faults: {exc.args[0]}; `iotlab devices` lists the types", file=sys.stderr)
            return 2
        types = [args.type]
    table = Table(title="Fault catalogue" + (f": {args.type}" if args.type else " (iotlab faults TYPE for one type)"),
                  title_justify="left", show_lines=bool(args.type))
    for column in ("type", "fault", "target", "parameters", "symptom"):
        table.add_column(column)
    for name in types:
        cls = registry.load(name)
        first = True
        for fault, spec in faults_of(cls).items():
            target = ("a wire on a port" + (f" ({', '.join(spec.forms)})" if spec.forms else "")) if spec.on_port \
                else "the device"
            params = ", ".join(f"{r['key']}" + (f" [{r['unit']}]" if r["unit"] else "")
                               + (f" = {r['default']}" if r["default"] not in ("", "—") else "")
                               for r in field_rows(spec.params)) or "—"
            table.add_row(name if first else "", fault, target, params, spec.symptom)
            first = False
    console = Console()
    if console.is_terminal:
        console.print(table)
    else:                                      # piped or redirected: one tab-separated line a fault
        print("\t".join(c.header for c in table.columns))
        last = ""
        for row in zip(*(c._cells for c in table.columns)):
            last = row[0] or last
            print("\t".join((last,) + row[1:]))
    return 0
