"""The benchmarks' figures next to their targets, and the README table made from them.

Every benchmark that has a target calls `record(...)` for it as it prints it; the figures collect in
bench/out/figures.json (gitignored: one machine's run), each with the date, the machine's cores and the load while it
ran. `python bench/figures.py` prints them; `python bench/figures.py --readme` rewrites the README's table between
the markers `<!-- bench:begin -->` and `<!-- bench:end -->` from them (`make bench` does both after running every
benchmark), so the table in the README is what the scripts printed, not a second copy typed by hand.
"""
from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILE = ROOT / "bench" / "out" / "figures.json"
README = ROOT / "README.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def _load() -> dict:
    try:
        return json.loads(FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def record(key: str, what: str, figure: str, target: str = "", met: bool | None = None, script: str = "") -> None:
    """Keep one figure (replacing an earlier run's of the same key)."""
    figures = _load()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    figures[key] = {"what": what, "figure": figure, "target": target, "met": met,
                    "script": script or Path(sys.argv[0]).name, "when": datetime.now().strftime("%Y-%m-%d %H:%M"),
                    "cores": os.cpu_count(), "load": round(load, 1)}
    FILE.parent.mkdir(parents=True, exist_ok=True)
    FILE.write_text(json.dumps(figures, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")


def table(figures: dict | None = None) -> str:
    figures = _load() if figures is None else figures
    rows = ["| what (script) | figure | target | measured |", "|---|---|---|---|"]
    for key in sorted(figures, key=lambda k: (figures[k]["script"], k)):
        f = figures[key]
        mark = {True: " ✓", False: " ✗", None: ""}[f["met"]]
        rows.append(f"| {f['what']} (`bench/{f['script']}`) | {f['figure']} | {f['target']}{mark} | "
                    f"{f['when']}, {f['cores']} cores, load {f['load']} |")
    return "\n".join(rows)


def write_readme() -> bool:
    text = README.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        print(f"README.md has no {BEGIN} … {END} markers", file=sys.stderr)
        return False
    head, rest = text.split(BEGIN, 1)
    old, tail = rest.split(END, 1)
    figures = _load()
    # a script's rows come from its recorded figures; the rows of a script not run on this machine (figures.json is
    # one machine's, gitignored) are kept as the README has them, so running one benchmark rewrites only its rows
    ran = {f"(`bench/{f['script']}`)" for f in figures.values()}
    kept = [line for line in old.strip().splitlines()[2:]
            if line.startswith("| ") and not any(script in line.split(" | ")[0] for script in ran)]
    lines = table(figures).splitlines()
    rows = sorted(lines[2:] + kept, key=lambda line: (_script(line), line))
    README.write_text(f"{head}{BEGIN}\n" + "\n".join(lines[:2] + rows) + f"\n{END}{tail}", encoding="utf-8")
    return True


def _script(row: str) -> str:
    """The script a table row names in its first cell: rows sort by script, as table() orders them."""
    first = row.split(" | ")[0]
    return first[first.rfind("(`bench/") + 8:].split("`")[0] if "(`bench/" in first else ""


if __name__ == "__main__":
    if "--readme" in sys.argv:
        sys.exit(0 if write_readme() else 1)
    print(table())
