"""bench/figures.py rewrites the README's generated table from the figures this machine recorded: a script's rows
from its figures, the rows of scripts not run here (figures.json is gitignored) kept as they are."""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import figures  # noqa: E402

README = """# x
<!-- bench:begin -->
| what (script) | figure | target | measured |
|---|---|---|---|
| import then (`bench/bench_import.py`) | 3.9 s | ≥ 10× pandas ✗ | 2026-11-24 09:20, 2 cores, load 0.9 |
| scoreboard (`bench/bench_pages.py`) | 6 ms | ≤ 10× ✓ | 2026-11-24 09:26, 2 cores, load 1.5 |
<!-- bench:end -->
tail
"""


def test_one_benchmark_rewrites_only_its_own_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(figures, "FILE", tmp_path / "figures.json")
    monkeypatch.setattr(figures, "README", tmp_path / "README.md")
    (tmp_path / "README.md").write_text(README, encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["bench_import.py"])
    figures.record("import.ratio", "import now", "2.9 s", "≥ 10× pandas", True)
    assert json.loads((tmp_path / "figures.json").read_text(encoding="utf-8"))["import.ratio"]["figure"] == "2.9 s"
    assert figures.write_readme()
    rows = [line for line in (tmp_path / "README.md").read_text(encoding="utf-8").splitlines()
            if line.startswith("| ") and "bench/" in line]
    assert [r.split(" | ")[:3] for r in rows] == [
        ["| import now (`bench/bench_import.py`)", "2.9 s", "≥ 10× pandas ✓"],
        ["| scoreboard (`bench/bench_pages.py`)", "6 ms", "≤ 10× ✓"]]
    assert (tmp_path / "README.md").read_text(encoding="utf-8").endswith("<!-- bench:end -->\ntail\n")
