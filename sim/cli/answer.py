"""``iotlab answer LAB TASK "text"``: a student's diagnosis to a running lab, over MQTT."""

from __future__ import annotations

import sys

from .remote import ask


def main(args) -> int:
    if not args.text.strip() or len(args.text) > 1000:
        print("iotlab answer: the answer is text of 1 to 1000 characters", file=sys.stderr)
        return 2
    answer = ask("answer", args, "answer", {"task": args.task, "text": args.text}, refusal="")
    if isinstance(answer, int):
        return answer
    print(f"{args.lab}: answer to {args.task} recorded (attempt {answer.get('attempt')} of "
          f"{answer.get('attempts')}; later ones beyond that are not counted)")
    return 0
