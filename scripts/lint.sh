#!/usr/bin/env bash
# The conventions that check themselves (run by `make test` before pytest): ruff over the Python (pyproject.toml:
# E, F, W, I, B, UP), sqlfluff over the SQL (.sqlfluff: DuckDB dialect, lower-case keywords).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check --quiet .
.venv/bin/sqlfluff lint sql --disable-progress-bar --nofail 2>/dev/null | grep -E "^(==|L:)" && exit 1
echo "lint: ruff and sqlfluff clean"
