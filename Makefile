# Two commands on a fresh clone: `make run` and `make test`. Both create .venv when it is missing.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' && echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-installed
TEST_STAMP := $(VENV)/.test-installed

.PHONY: run test lint bench clean

$(BIN)/python:
	@test -n "$(PYTHON)" || (echo "Hub needs Python 3.11 or newer on PATH" >&2; exit 1)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/hub run

test: $(TEST_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check hub channels flows catalog tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(TEST_STAMP)
	@for b in bench/ingest.py bench/routing.py bench/inbox.py bench/broadcast.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
