# Each target bootstraps .venv from this project's own files: on a fresh machine `make demo` and
# `make test` are all the set-up there is.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: scale venv install demo test conformance lint format bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

# The runtime alone (no test tools), non-editable, into the Python you name: a virtual environment of
# its own, e.g. `python3 -m venv /opt/consultation-bot && make install PYTHON=/opt/consultation-bot/bin/python`.
install:
	$(PYTHON) -m pip install --upgrade .

demo: $(STAMP)
	$(BIN)/python -m rehearsal

# Every database test runs on SQLite and on PostgreSQL (tests/conftest.py), so the suite is twice the
# work it was: two workers (pytest-xdist, one test file per worker at a time) keep it within budget.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q -m "not slow" -n 2 --dist loadfile

# Every REST call of the Discord-facing tests checked against Discord's OpenAPI description
# (tests/conformance/openapi.py says where the spec file is looked for).
conformance: $(STAMP)
	DISCORD_SPEC_CHECK=all $(BIN)/python -m pytest -q -m "not slow" tests/emulator tests/e2e tests/reliability tests/conformance

# The scale test (issue 15): python -m bot run processes x shards over 30 guilds, the emulator in its
# own process, a SIGKILL mid flood. About 2 min per backend on 2 cores: not part of make test or CI.
scale: $(STAMP)
	$(BIN)/python -m pytest -q -s -m slow tests/scale

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) demo-output .pytest_cache build dist
