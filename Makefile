# Two commands on a fresh clone: `make run` and `make test`. Both need only Python 3.11+ on PATH: they install
# uv (pinned, with hashes, from requirements-uv.txt) into .tools, then install Hub into .venv with the exact
# versions and hashes of uv.lock. `make lock` is the only thing that moves a version (see README: "Locked installs").
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' && echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
UV := $(TOOLS)/bin/uv
LATEST := .venv-latest
# The tests that must hold whatever redis-py and RQ a fresh install would get today (`make test-latest`).
LATEST_TESTS ?= tests/core/test_worker_stop.py tests/web/test_admin_browser.py

# uv never downloads a Python of its own: Hub runs on the interpreter found above.
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
SYNC := $(UV) sync --locked --quiet --python $(PYTHON)

.PHONY: run test test-latest lint lock bench clean install install-test

$(UV): requirements-uv.txt
	@test -n "$(PYTHON)" || (echo "Hub needs Python 3.11 or newer on PATH" >&2; exit 1)
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-uv.txt
	@touch $@

# --inexact: `make run` after `make test` keeps the test tools; --locked: a uv.lock that no longer matches
# pyproject.toml is an error, never a silent re-resolve.
install: $(UV)
	$(SYNC) --inexact

install-test: $(UV)
	$(SYNC) --extra test

run: export HUB_FLOW_TIME_SCALE ?= 720
run: install
	$(BIN)/hub run

# One process per core and one more, at most four: a test spends much of its time waiting on a browser, a worker
# process or a poll, and on 2 cores the suite took 17.7 min with 2 processes, 14.9 with 3, 13.7 with 4 (4 also
# brought out the most timing races in the tests: those found are fixed). Each process takes its own PostgreSQL
# schema and pair of Redis databases (tests/conftest.py). worksteal: an idle process takes queued tests from a
# busy one, so a few long tests do not end the run alone. `make test PYTEST_WORKERS=`: one process.
TEST_PROCESSES ?= $(shell n=$$(( $$(nproc) + 1 )); [ $$n -gt 4 ] && n=4; echo $$n)
PYTEST_WORKERS ?= -n $(TEST_PROCESSES) --dist worksteal

test: install-test
	$(BIN)/python -m pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The newest releases that pyproject.toml allows, in a venv of their own, on the tests that guard against
# upstream changes (a worker's stop, the browser tests' worker). The lock is not touched.
test-latest: $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(LATEST)
	$(UV) pip install --quiet --python $(LATEST)/bin/python --upgrade -e '.[test]'
	@$(LATEST)/bin/python -c 'import redis, rq; print(f"newest allowed: redis-py {redis.__version__}, RQ {rq.__version__}")'
	$(LATEST)/bin/python -m pytest $(PYTEST_ARGS) $(LATEST_TESTS)

lint: install-test
	$(BIN)/ruff check hub channels flows catalog reports tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# Refresh uv.lock to the newest versions pyproject.toml allows. Commit it only after `make test` passes on it.
lock: $(UV)
	$(UV) lock --upgrade

bench: install-test
	@for b in bench/ingest.py bench/routing.py bench/inbox.py bench/broadcast.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) $(LATEST) $(TOOLS) var .pytest_cache .mypy_cache .ruff_cache
