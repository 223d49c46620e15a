# The two commands a newcomer needs: `make demo` and `make test` (README.md).
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
export PROPCAST_HOME ?= $(CURDIR)/.home

.PHONY: install demo test lint test-slow bench clean docs bench-scale

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,bigquery]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/propcast demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint models macros tests/data_tests

test: install lint
	$(BIN)/pytest -x -q -m "not slow" -n 2 --dist loadfile

test-slow: install
	$(BIN)/pytest -q -m slow

docs: install
	$(BIN)/propcast docs

# Scale benchmark (README "Benchmarks"): worlds of 1 and 5 seasons; the last line is JSON.
bench-scale: install
	$(BIN)/python bench/scale.py --seasons 1,5 --season-days 165

clean:
	rm -rf $(VENV) .home
