"""``iotlab bench NAME``: performance figures, each against a baseline measured in the same run."""

from __future__ import annotations

import sys

from ..units import parse_duration


def main(args) -> int:
    try:
        until = parse_duration(args.until or ("1m" if args.name == "mqtt" else "1h"))
    except ValueError as exc:
        print(f"iotlab bench: --until: {exc}", file=sys.stderr)
        return 2
    if args.sensors < 1 or until <= 0:
        print("iotlab bench: --sensors must be >= 1 and --until longer than 0s", file=sys.stderr)
        return 2
    if args.name == "kernel":
        from ..bench.kernel import main as kernel
        return kernel(args.sensors, until)
    if args.name == "checks":
        from ..bench.checks import main as checks
        return checks(args.sensors, until)
    if args.name == "viewer":
        from importlib import import_module       # the viewer package is reached by name only
        return import_module("viewer.bench").main(args.sensors, parse_duration(args.until or "10m"))
    if args.name == "radio":
        if args.lora_nodes < 0 or args.zigbee_nodes < 0 or args.lora_nodes + args.zigbee_nodes < 1:
            print("iotlab bench radio: --lora-nodes and --zigbee-nodes must be >= 0, not both 0", file=sys.stderr)
            return 2
        from ..bench.radio import main as radio
        return radio(args.lora_nodes, args.zigbee_nodes, until, default_until=args.until is None)
    if args.name == "hdl":
        if not 1 <= args.hdl_bytes <= 1_000_000:
            print("iotlab bench hdl: --hdl-bytes must be 1-1000000", file=sys.stderr)
            return 2
        from importlib import import_module       # hdl is reached by name only
        rc = import_module("hdl.bench").main(args.hdl_bytes)
        print()
        from ..bench.firmware import main as firmware
        return max(rc, firmware(parse_duration(args.until or "10m")))
    if args.name == "fieldbus":
        if args.tcp_requests < 0:
            print("iotlab bench fieldbus: --tcp-requests must be >= 0", file=sys.stderr)
            return 2
        from ..bench.fieldbus import main as fieldbus
        return fieldbus(until, args.tcp_requests)
    if args.live_devices < 1 or args.live_seconds < 0:
        print("iotlab bench mqtt: --live-devices must be >= 1 and --live-seconds >= 0", file=sys.stderr)
        return 2
    from ..bench.mqtt import main as mqtt
    return mqtt(args.sensors, until, args.live_devices, args.live_seconds)
