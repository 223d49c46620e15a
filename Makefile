# The two commands a newcomer needs: `make demo` and `make test` (README.md).
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
export PROPCAST_HOME ?= $(CURDIR)/.home

.PHONY: install demo test lint test-slow test-clock faketime chromium bench clean docs bench-scale \
        bench-smoke

# The clock guard (README "Development"): pytest runs with every process's wall clock moved
# to a night-time and to an afternoon US/Eastern time by libfaketime; the suite pins the
# product clock itself, so both must pass. CLOCK_TESTS are the tests that touch dates, times
# and the CLI's defaults; the night pass runs the whole suite. The prediction windows' clock
# defaults are unit-tested (tests/unit/test_prediction_layer.py); test_predictions.py, whose
# windows are all given, runs in the night pass only (it costs ~3 min of a worker). So do
# tests/unit/models and the unit modules in CLOCK_SKIP: models, backtests and market realism on
# synthetic data with fixed dates, which read no clock (a new unit module is in both passes
# unless listed here). The
# freshness matrix pins its own clock per case and runs at night; its as-of-cutoff, time-zone and
# engine-clock tests run in both passes.
NIGHT      ?= 01:50
AFTERNOON  ?= 15:00
CLOCK_SKIP  = test_backtest test_bigquery_sql_rules test_dbt_parse_cache test_devig \
              test_devig_evaluation test_engine_frames test_evaluate test_ledger_report \
              test_prop_history test_simulate test_stakes_table test_staking test_totals \
              test_warehouse_read_only world/test_market world/test_nhl world/test_totals
CLOCK_TESTS = tests/unit --ignore=tests/unit/models $(CLOCK_SKIP:%=--ignore=tests/unit/%.py) \
              tests/integration/test_freshness.py tests/integration/test_pipeline.py \
              --deselect tests/integration/test_freshness.py::test_freshness_judges_the_latest_due_game_date
PYTEST_ARGS = -x -q -m "not slow" -n 2 --dist loadfile --durations=25
SUDO       := $(if $(filter 0,$(shell id -u)),,sudo)
# $(call at_clock,HH:MM,pytest arguments). The offset is taken from the real clock (the helper
# runs without libfaketime), so the guard holds even when make itself runs under a faked clock.
at_clock = @echo "== pytest with the wall clock at $(1) US/Eastern (libfaketime) ==" && \
	export LD_PRELOAD=$$(ls /usr/lib/*/faketime/libfaketime.so.1 | head -n 1) \
	FAKETIME=$$(env -u LD_PRELOAD -u FAKETIME $(BIN)/python -m tests.tools.faketime_offset $(1)) && \
	$(BIN)/python -m tests.tools.faketime_offset --check $(1) && \
	$(BIN)/pytest $(2)

META_BIN   := .venv-meta/bin
META_STAMP := .venv-meta/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)

# uv (pinned, from PyPI, installed into the venv by pip) resolves the same versions as pip in a
# fraction of pip's time: ~24 s instead of ~80 s for .[dev,bigquery], ~12 s instead of ~25 s for
# the metadata group (measured 2026-12-06 on a cold cache).
UV_VERSION := 0.13.8
UV         := $(BIN)/uv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv==$(UV_VERSION)
	$(UV) pip install --quiet --python $(BIN)/python -e ".[dev,bigquery]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

# The metadata linters (dbt-score, dbt-bouncer, dbt-coverage: dependency group `metadata`) in
# their own virtualenv: dbt-bouncer needs duckdb<2, the warehouse pins duckdb 2.
$(META_STAMP): pyproject.toml $(STAMP)
	$(PYTHON) -m venv .venv-meta
	$(UV) pip install --quiet --python $(META_BIN)/python --group metadata
	rm -f .venv-meta/.installed-*
	touch $(META_STAMP)

demo: install
	$(BIN)/propcast demo

# sqlfluff through tests/tools/lint_sql.py: the same lint, each macro file compiled once per
# worker instead of once per linted file (~35 % less CPU, the same findings).
lint: install $(META_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m tests.tools.lint_sql lint models macros tests/data_tests python_models
	$(BIN)/python -m propcast.metadata lint

# lint and check-bigquery share nothing (each parses the project into its own folder), so they
# run side by side: the BigQuery compile, on one core, overlaps the linters.
test: install faketime chromium
	$(MAKE) --no-print-directory -j2 --output-sync=target lint check-bigquery
	$(call at_clock,$(NIGHT),$(PYTEST_ARGS))
	$(call at_clock,$(AFTERNOON),$(PYTEST_ARGS) $(CLOCK_TESTS))

# Every SQL model and data test compiled for the bigquery target offline and checked against
# BigQuery's parser, its function list and the DuckDB-only syntax rules (README "Running on BigQuery");
# prints its time. Part of make test, so CI runs it.
.PHONY: check-bigquery
check-bigquery: install
	$(BIN)/python -m propcast.bigquery_check

test-clock: install faketime
	$(call at_clock,$(NIGHT),$(PYTEST_ARGS) $(CLOCK_TESTS))
	$(call at_clock,$(AFTERNOON),$(PYTEST_ARGS) $(CLOCK_TESTS))

# Debian's faketime package (libfaketime) for the clock guard, installed when missing.
faketime:
	@ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 || { \
		echo "installing Debian's faketime package (libfaketime) for the clock guard"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq faketime; }

# Debian's chromium for the HTML report's screenshot test, installed when missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the report screenshot test"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

# The fault-injection suite (tests/reliability, tests/incidents) with every case: kill points,
# bad-input classes, outages, lock cases, reruns. `make test` runs a sample of the same tests.
# The last line is the summary (tests/reliability/tally.py).
RELIABILITY_TALLY ?= $(PROPCAST_HOME)/reliability-tally
reliability: install faketime
	rm -rf $(RELIABILITY_TALLY)
	PROPCAST_RELIABILITY_FULL=1 PROPCAST_RELIABILITY_TALLY=$(RELIABILITY_TALLY) \
		$(BIN)/pytest -q -n 2 --dist loadfile tests/reliability tests/incidents; \
		status=$$?; $(BIN)/python -m tests.reliability.tally $(RELIABILITY_TALLY); exit $$status

test-slow: install
	$(BIN)/pytest -q -m slow

docs: install
	$(BIN)/propcast docs

# Scale benchmark (README "Benchmarks"): worlds of 1 and 5 seasons; the last line is JSON.
bench-scale: install
	$(BIN)/python bench/scale.py --seasons 1,5 --season-days 165

# bench/scale.py at its smoke size (8-day worlds, ~2.5 min): it runs end to end and prints every
# figure. A slow test, kept out of make test's budget.
bench-smoke: install
	$(BIN)/pytest -q -m slow tests/integration/test_bench_scale.py

# Predictor quality on a fair test (README "Benchmarks", bench/quality.py): a 3-season world at
# each market strength, trained on two seasons and scored on the third, against the market's
# de-vigged close and the truth; the last line is JSON. The small size runs in a few minutes.
.PHONY: bench-quality bench-quality-small bench-market-strength
bench-quality: install
	$(BIN)/python bench/quality.py --seasons 3 --days-per-season 165 --train-rows 1000000 --bound

bench-quality-small: install
	$(BIN)/python bench/quality.py --seasons 3 --days-per-season 45 --bound

# Joint vs independent Kelly with the same caps (README "Staking and simulation",
# bench/staking.py): a 24-day demo (edge gate off), realised log growth and simulated risk of
# ruin of each, the issue-18 verdict; the last line is JSON. BENCH_STAKING_ARGS=--days 60 ...
.PHONY: bench-staking
bench-staking: install
	$(BIN)/python bench/staking.py $(BENCH_STAKING_ARGS)

# How sharp the world's market is per family and setting (the close's log loss / the truth's).
bench-market-strength: install
	$(BIN)/python bench/market_strength.py --days 60

# Training speed beside quality (README "Benchmarks", bench/train_speed.py): the settings before
# the speed change and the product's, side by side on bench/quality's world (cached under
# ~/.cache/propcast/bench after the first run): seconds, rows/s, phases, holdout log loss per
# family; the last line is JSON. 200k rows by default; the issue-10 target is
# TRAIN_SPEED_ROWS=1000000 in under 60 s.
TRAIN_SPEED_ROWS ?= 200000
.PHONY: bench-train-speed
bench-train-speed: install
	$(BIN)/python bench/train_speed.py --train-rows $(TRAIN_SPEED_ROWS)

# Refresh tests/golden/warehouse_checksums.json, the checksum test's expected intermediate and
# mart tables of the session's demo world, after a change meant to alter them (a model's logic,
# the world generator, DuckDB's version): builds that world once, writes the file; commit it.
.PHONY: golden
golden: install
	PROPCAST_UPDATE_GOLDEN=1 $(BIN)/pytest -q -p no:randomly -p no:xdist \
		tests/integration/test_warehouse_checksum.py

clean:
	rm -rf $(VENV) .venv-meta .home
