"""``iotlab check SCENARIO --trace RUN.jsonl...``: grade runs; ``iotlab key SCENARIO``: each student's variant."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .common import EXIT_OK, EXIT_USAGE, load_or_report, resolve_target


def _records(path: str):
    import orjson
    with open(path, "rb") as handle:
        for n, line in enumerate(handle, 1):
            if line.strip():
                try:
                    record = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{n}: not a trace line ({exc})") from None
                if not isinstance(record, dict) or not isinstance(record.get("kind"), str) \
                        or not isinstance(record.get("t"), (int, float)) or not isinstance(record.get("src"), str):
                    raise ValueError(f"{path}:{n}: not a trace record (a JSON object with t, src and kind)")
                yield record


def grade(scenario_path: Path, trace: str, student: str | None):
    """(report, problem) for one trace file."""
    from ..grading import report as reports
    from ..grading.grader import Grader
    from ..grading.report import TIMELINE_KINDS

    try:
        records = list(_records(trace))
    except OSError as exc:
        return None, f"cannot read {trace}: {exc.strerror}"
    except ValueError as exc:
        return None, str(exc)
    start = next((r for r in records if r.get("kind") == "run.start"), None)
    if start is None:
        return None, f"{trace}: no run.start record; is it a trace written by iotlab run --trace?"
    own = start.get("student", "")
    if student is not None and own and student != own:
        return None, f"{trace} is student {own!r}'s run, not {student!r}'s"
    who = student if student is not None else own
    loaded = load_or_report(scenario_path, student=who)
    if loaded is None:
        return None, ""
    scenario, _ = loaded
    if start.get("lab") not in (scenario.lab, None):
        return None, f"{trace} is a run of lab {start.get('lab')!r}, not {scenario.lab!r}"
    if not scenario.tasks:
        return None, f"{scenario_path} has no tasks to grade"
    from .. import registry
    from ..faults import faults_of
    device_ids = [d.id for d in scenario.devices]
    fault_names = {d.id: list(faults_of(registry.load(d.type))) for d in scenario.devices}
    grader = Grader(scenario.tasks, device_ids, fault_names)
    grader.write_batch(records)
    end = next((r.get("until", r["t"]) for r in reversed(records) if r.get("kind") == "run.end"), records[-1]["t"])
    results = grader.finish(end)
    timeline = [r for r in records if r.get("kind") in TIMELINE_KINDS]
    return reports.make(who, scenario, results, timeline), None


def main(args) -> int:
    from ..grading import report as reports

    path = resolve_target(args.scenario)
    if path is None:
        return EXIT_USAGE
    traces = [t for group in args.trace for t in group]
    if args.student is not None and len(traces) > 1:
        print("iotlab check: --student goes with one --trace (each trace says whose run it was)", file=sys.stderr)
        return EXIT_USAGE
    graded = []
    for trace in traces:
        report, problem = grade(path, trace, args.student)
        if report is None:
            if problem:
                print(f"iotlab check: {problem}", file=sys.stderr)
            return EXIT_USAGE
        graded.append(report)
    fmt = args.format or ("csv" if len(graded) > 1 else "table")
    if fmt == "table":
        from rich.console import Console
        console = Console()
        for r in graded:
            console.print(reports.table(r, args.lang))
        return EXIT_OK
    text = {"json": lambda: json.dumps(graded, ensure_ascii=False, indent=2),
            "csv": lambda: reports.as_csv(graded), "html": lambda: reports.as_html(graded, args.lang)}[fmt]()
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"iotlab check: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
            return EXIT_USAGE
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return EXIT_OK


def key(args) -> int:
    """Each student's variant: the values their scenario file was drawn with."""
    path = resolve_target(args.scenario)
    if path is None:
        return EXIT_USAGE
    students = []
    for item in args.students:
        if item.startswith("@"):
            try:
                students += [s.strip() for s in Path(item[1:]).read_text(encoding="utf-8").splitlines() if s.strip()]
            except OSError as exc:
                print(f"iotlab key: cannot read {item[1:]}: {exc.strerror}", file=sys.stderr)
                return EXIT_USAGE
        else:
            students += [s.strip() for s in item.split(",") if s.strip()]
    if not students:
        print("iotlab key: give student ids: --students S1,S2 or --students @roster.txt", file=sys.stderr)
        return EXIT_USAGE
    rows = []
    for student in students:
        loaded = load_or_report(path, student=student)
        if loaded is None:
            return EXIT_USAGE
        scenario, _ = loaded
        if not scenario._variant:
            print(f"iotlab key: {path} has no variables; every student gets the same exercise", file=sys.stderr)
            return EXIT_USAGE
        answers = {t.id: t.answer.model_dump(exclude_none=True) for t in scenario.tasks if t.answer is not None}
        rows.append({"student": student, "variables": scenario._variant, "answers": answers})
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    from ..grading.report import defuse
    names = list(rows[0]["variables"])
    if args.format == "csv":
        import csv
        writer = csv.writer(sys.stdout)
        writer.writerow(["student"] + names + [f"answer:{t}" for t in rows[0]["answers"]])
        for r in rows:
            writer.writerow([defuse(r["student"])] + [defuse(r["variables"][n]) for n in names]
                            + [defuse(" ".join(map(str, a.values()))) for a in r["answers"].values()])
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table
    tbl = Table(title=f"Answer key: {scenario.name}", title_justify="left")
    for column in ["student"] + names + ["expected answers"]:
        tbl.add_column(column)
    for r in rows:
        expected = "; ".join(f"{t}: {' '.join(map(str, a.values()))}" for t, a in r["answers"].items())
        tbl.add_row(r["student"], *[str(r["variables"][n]) for n in names], expected)
    Console().print(tbl)
    return EXIT_OK
