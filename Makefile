# The two commands of the README. Both install what they need first (scripts/setup.sh is idempotent).
DB ?= data/gridgov.duckdb
PORT ?= 8501

PROCS ?= 2

.PHONY: setup run serve test demo bench

setup:
	bash scripts/setup.sh

# Start the dashboard on the embedded DuckDB; demo data is generated when the store holds no data (a missing file,
# or the empty store a bare `streamlit run app.py` leaves behind).
run: setup
	@.venv/bin/python -c "import sys; from data import store; sys.exit(not store.has_data('$(DB)'))" \
		|| .venv/bin/python cli.py demo --db $(DB)
	GRIDGOV_DB=$(DB) GRIDGOV_WARM=1 .venv/bin/streamlit run serve.py --server.port $(PORT)

# For a meeting's worth of users: PROCS app processes (default 2, one per core) behind nginx with sticky sessions,
# on the same port and store as `make run` (scripts/serve_many.py).
serve: setup
	@.venv/bin/python -c "import sys; from data import store; sys.exit(not store.has_data('$(DB)'))" \
		|| .venv/bin/python cli.py demo --db $(DB)
	.venv/bin/python scripts/serve_many.py --procs $(PROCS) --port $(PORT) --db $(DB)

# The conventions (ruff, sqlfluff: scripts/lint.sh), then the whole test suite, browser tests and the Spark equality
# tests (tests/test_spark.py) included.
test: setup
	bash scripts/lint.sh
	GRIDGOV_SPARK_TESTS=1 .venv/bin/python -m pytest

demo: setup
	.venv/bin/python cli.py demo --db $(DB)

# Every benchmark in bench/ (each prints its figures; speed targets live there, never in timed tests).
# Each records its figures (bench/figures.py); the README's table between the bench markers is then rewritten from them.
bench: setup
	@for b in bench/bench_*.py; do echo "== $$b"; .venv/bin/python $$b || exit 1; done
	.venv/bin/python bench/bench_users.py --procs $(PROCS) --warm
	.venv/bin/python bench/figures.py --readme
