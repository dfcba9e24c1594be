"""``iotlab schema``: the scenario-file reference, generated from the code."""

from __future__ import annotations

import sys
from pathlib import Path


def main(args) -> int:
    from ..schema_doc import render
    text = render()
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"iotlab schema: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
            return 2
    else:
        sys.stdout.write(text)
    return 0
