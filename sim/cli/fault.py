"""``iotlab fault LAB inject|clear TARGET FAULT [KEY=VALUE ...]``: a fault into a running lab, over MQTT."""

from __future__ import annotations

import sys

from .remote import ask


def _value(text: str):
    """A parameter value as JSON would read it: numbers, true/false, null, else text."""
    import orjson
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


def main(args) -> int:
    params = {}
    for item in args.params:
        key, sep, value = item.partition("=")
        if not sep or not key:
            print(f"iotlab fault: {item!r} is not KEY=VALUE (e.g. offset=2.5)", file=sys.stderr)
            return 2
        params[key] = _value(value)
    body = {"action": args.action, "target": args.target, "fault": args.fault, "params": params}
    answer = ask("fault", args, "fault", body)
    if isinstance(answer, int):
        return answer
    print(f"{args.lab}: {args.fault} {'injected into' if args.action == 'inject' else 'cleared on'} {args.target}")
    return 0
