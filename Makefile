# The commands the README names. Each target sets up what it needs first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test bench lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,bench]'
	touch $(STAMP)

setup: $(STAMP)

## make run: the tool and the dev LMS on SQLite with the sample courses, for a first look.
run: setup
	$(BIN)/python -m plugin.devrun

## make test: the whole suite (SQLite and the local store unless the environment names others).
test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make bench: speed and memory figures; prints them, asserts nothing about time.
bench: setup
	$(BIN)/python -m tests.benchmarks.run_all

lint: setup
	$(BIN)/ruff check authoring plugin tests
	$(BIN)/ruff format --check authoring plugin tests
	$(BIN)/mypy authoring plugin

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .microcred-cache
