"""Exercise reports: a terminal table, JSON for a school's system, a class CSV, an HTML page.

A report is one student's run: ``{"student", "lab", "scenario", "score", "points", "tasks": [...],
"timeline": [...]}``. CSV cells that a spreadsheet would run as a formula are defused; HTML
is escaped throughout.
"""

from __future__ import annotations

import csv
import html
import io

#: What the HTML timeline shows: faults, the student's actions and answers, what the lab did about them.
TIMELINE_KINDS = ("fault.on", "fault.off", "input", "input.error", "answer", "alarm", "rule", "env.event")


def make(student: str, scenario, results, timeline: list[dict]) -> dict:
    return {"student": student, "lab": scenario.lab, "scenario": scenario.name,
            "score": round(sum(r.score for r in results), 3), "points": round(sum(r.points for r in results), 3),
            "tasks": [r.as_dict() for r in results], "timeline": timeline}


def title(task: dict, lang: str = "en") -> str:
    t = task["title"]
    return t.get(lang) or t.get("en") or t.get("zh") or task["id"]


def table(report: dict, lang: str = "en"):
    """A rich table; every text from a file or a student is shown as it is (no markup)."""
    from rich.markup import escape
    from rich.table import Table
    who = f" — {report['student']}" if report["student"] else ""
    tbl = Table(title=escape(f"{report['scenario']}{who}: {report['score']:g} / {report['points']:g}"),
                title_justify="left")
    for column in ("task", "what", "status", "score", "why"):
        tbl.add_column(column)
    for t in report["tasks"]:
        tbl.add_row(escape(t["id"]), escape(title(t, lang)), t["status"], f"{t['score']:g} / {t['points']:g}",
                    escape(t["reason"]))
    return tbl


def defuse(cell) -> str:
    """A CSV cell a spreadsheet will not run: text starting with = + - @ (or a tab/CR) gets a quote mark."""
    text = "" if cell is None else str(cell)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def as_csv(reports: list[dict]) -> str:
    ids = list(dict.fromkeys(t["id"] for r in reports for t in r["tasks"]))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["student", "score", "points"] + ids)
    for r in reports:
        scores = {t["id"]: t["score"] for t in r["tasks"]}
        writer.writerow([defuse(r["student"]), r["score"], r["points"]] + [scores.get(i, "") for i in ids])
    return out.getvalue()


_STYLE = """body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}.pass{color:#16803c}
.fail,.unanswered{color:#b91c1c}.partial,.pending{color:#a16207}h2{margin-top:2em}"""


def as_html(reports: list[dict], lang: str = "en") -> str:
    e = html.escape
    parts = [f"<!doctype html><html lang=\"{e(lang)}\"><meta charset=\"utf-8\"><title>iotlab report</title>"
             f"<style>{_STYLE}</style><body>"]
    for r in reports:
        who = e(r["student"] or "(no student id)")
        parts.append(f"<h2>{e(r['scenario'])} — {who}: {r['score']:g} / {r['points']:g}</h2>")
        parts.append("<table><tr><th>task</th><th>what</th><th>status</th><th>score</th><th>why</th><th>at</th></tr>")
        for t in r["tasks"]:
            at = "" if t["at"] is None else f"{t['at']:g} s"
            parts.append(f"<tr><td>{e(t['id'])}</td><td>{e(title(t, lang))}</td>"
                         f"<td class=\"{e(t['status'])}\">{e(t['status'])}</td>"
                         f"<td>{t['score']:g} / {t['points']:g}</td><td>{e(t['reason'])}</td><td>{e(at)}</td></tr>")
        parts.append("</table><h3>Timeline</h3><table><tr><th>t (s)</th><th>what</th><th>who</th><th>details</th></tr>")
        for rec in r["timeline"]:
            details = ", ".join(f"{k}={v}" for k, v in rec.items() if k not in ("t", "src", "kind"))
            parts.append(f"<tr><td>{rec['t']:g}</td><td>{e(rec['kind'])}</td><td>{e(str(rec['src']))}</td>"
                         f"<td>{e(details)}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
