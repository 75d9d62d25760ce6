# The README's commands. `make plan` and `make test` set up ./venv on first use.
PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STACK ?= dev

.PHONY: venv plan test lint bench clean

$(STAMP): requirements.txt requirements-dev.txt policy/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

# Offline plan of a stack (default dev): no Pulumi CLI, no credentials, no network.
plan: $(STAMP)
	$(BIN)/python -m tools.plan $(STACK)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Lint, types, then every test.
test: lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m bench.plan

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
