"""``iotlab flash LAB BOARD FILE.py``: load firmware into a dev board of a running lab, over MQTT (it resets)."""

from __future__ import annotations

import sys
from pathlib import Path

from .remote import ask


def main(args) -> int:
    path = Path(args.file)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"iotlab flash: cannot read {args.file}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return 2
    body = {"target": args.board, "source": source, "name": path.name}
    answer = ask("flash", args, "flash", body)
    if isinstance(answer, int):
        return answer
    print(f"{args.lab}: {path.name} flashed into {args.board} (it resets)")
    return 0
