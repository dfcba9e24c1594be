"""``iotlab answer LAB TASK "text"``: a student's diagnosis to a running lab, over MQTT."""

from __future__ import annotations

import sys

from .remote import RemoteError, request


def main(args) -> int:
    if not args.text.strip() or len(args.text) > 1000:
        print("iotlab answer: the answer is text of 1 to 1000 characters", file=sys.stderr)
        return 2
    try:
        answer = request(args.mqtt, args.lab, "answer", {"task": args.task, "text": args.text}, args.timeout)
    except RemoteError as exc:
        print(f"iotlab answer: {exc}", file=sys.stderr)
        return 1
    if not answer.get("ok"):
        print(f"iotlab answer: {answer.get('error', answer)}", file=sys.stderr)
        return 2
    print(f"{args.lab}: answer to {args.task} recorded (attempt {answer.get('attempt')} of "
          f"{answer.get('attempts')}; later ones beyond that are not counted)")
    return 0
