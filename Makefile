# 楼事通 Loushi — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: help install node-tools translations run test test-fast test-sqlite test-postgres translations-update clean bench bench-guide bench-relevance bench-intake bench-wall bench-boards sqlmap

help:
	@echo "make run    – serve the site with demo data on http://$(HOST):$(PORT)/ (SQLite under instance/)"
	@echo "make test   – the whole suite on SQLite, and again on PostgreSQL when TEST_DATABASE_URL is set (what CI runs)"
	@echo "make test-fast – the loop while working: every module on SQLite, one browser journey per surface (≤ 5 min)"
	@echo "make bench  – one benchmark report of every public page, writes and page weight: bench/REPORT.md (25-30 min)"
	@echo "make bench-guide – the service-guide benchmark (figures, not pass/fail)"
	@echo "make bench-relevance – share of 150+ everyday searches finding their entry (top 1 / top 5), SQLite and PostgreSQL"
	@echo "make bench-intake / bench-wall / bench-boards – the other benchmarks"
	@echo "make sqlmap – SQL-injection scan of the public inputs (app on 127.0.0.1, throwaway SQLite)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || \
	  { echo "Needs Python 3.11+ with the venv module (Debian: apt-get install -y python3-venv)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Test-only tools from the npm registry: axe-core (accessibility) and vnu-jar (the Nu HTML
# Checker, run with the machine's Java).  No install scripts run.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the accessibility and HTML checks (Debian: apt-get install -y npm)"; exit 1; }
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $(NODE_STAMP)

node-tools: $(NODE_STAMP)

# Compile the .po catalogues; a fuzzy or broken catalogue fails here.
translations: install
	$(BIN)/pybabel compile -d translations

run: translations
	LOUSHI_ENV=development $(FLASK) db upgrade
	LOUSHI_ENV=development $(FLASK) seed-demo --if-empty
	LOUSHI_ENV=development $(FLASK) run --host $(HOST) --port $(PORT)

# The whole suite, as CI runs it (`.ci/run`): SQLite, then PostgreSQL when TEST_DATABASE_URL is
# set.  The database-independent checks (marker `dbindependent`: axe, vnu, bandit, the PII
# crawl) run in the SQLite pass only, and the load test runs its full LOAD_TEST_SECONDS (120)
# on PostgreSQL only (15 s on SQLite, which shares one file between gunicorn's workers).
test-sqlite: translations node-tools
	env -u TEST_DATABASE_URL -u DATABASE_URL LOAD_TEST_SECONDS=$${LOAD_TEST_SECONDS:-15} \
	  $(BIN)/python -m pytest --durations=10 $(PYTEST_ARGS)

test-postgres: translations node-tools
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "=== again on PostgreSQL ($$TEST_DATABASE_URL), without the database-independent checks ==="; \
	  $(BIN)/python -m pytest --durations=10 -m "not dbindependent" $(PYTEST_ARGS); \
	else \
	  echo "TEST_DATABASE_URL is not set: the PostgreSQL run is skipped (CI always sets it)."; \
	fi

test: test-sqlite test-postgres

# The loop while working (≤ 5 min on 2 cores): every module on SQLite, but no load tests, no
# axe/vnu/bandit/crawl, and of the browser tests only one `smoke` journey per surface.
test-fast: translations
	env -u TEST_DATABASE_URL -u DATABASE_URL $(BIN)/python -m pytest -q --durations=5 -m "not slow or smoke" $(PYTEST_ARGS)

# After adding UI strings: extract them, then translate the new entries in translations/zh.
translations-update: install
	$(FLASK) translate update

clean:
	rm -rf $(VENV) .pytest_cache

# Benchmarks (figures, not pass/fail): see bench/.
# `make bench` runs them all (bench/report.py) and writes bench/REPORT.md; BENCH_ARGS are
# report.py's (e.g. BENCH_ARGS="--quick --no-postgres").  wrk is installed with apt-get when
# missing and running as root; otherwise a slower Python load generator is used.
bench: translations
	@if ! command -v wrk >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing wrk (apt-get install -y wrk)"; \
	    apt-get install -y -q wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q wrk >/dev/null 2>&1; } || \
	      echo "warning: wrk could not be installed: the slower Python load generator is used"; \
	  else \
	    echo "warning: wrk is missing (apt-get install wrk): the slower Python load generator is used"; \
	  fi; \
	fi
	$(BIN)/python bench/report.py $(BENCH_ARGS)

bench-guide: translations
	$(BIN)/python bench/guide_bench.py $(BENCH_ARGS)

# Guide search relevance: BENCH_ARGS="--no-postgres" for SQLite only (BENCH_DATABASE_URL as above).
bench-relevance: translations
	$(BIN)/python bench/relevance.py $(BENCH_ARGS)

bench-intake: translations
	$(BIN)/python bench/intake_bench.py $(BENCH_ARGS)

bench-wall: translations
	$(BIN)/python bench/wall_bench.py $(BENCH_ARGS)

bench-boards: translations
	$(BIN)/python bench/boards_bench.py $(BENCH_ARGS)

# SQL-injection scan (not part of `make test`: minutes long).  sqlmap comes from PyPI into the
# venv here, not as a project dependency.  SQLMAP_ARGS="--timeout 60 --keep" for a short run.
sqlmap: translations
	$(BIN)/python -m pip install --quiet --disable-pip-version-check sqlmap
	$(BIN)/python tests/sqlmap_scan.py $(SQLMAP_ARGS)
