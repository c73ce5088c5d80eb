# budgetopt: the README's Quick start is `make app` and `make test`.
# Everything runs from the project's own virtual environment, .venv/, made on first use.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
# Written after a successful install; pyproject.toml newer than it means install again.
STAMP  := $(VENV)/.installed

# Extra pytest arguments, e.g. `make test PYTEST_ARGS='-k solve -x'`.
PYTEST_ARGS ?=

.PHONY: help venv install system app test bench lint example clean distclean

help:
	@echo "make app       start the Streamlit app on http://127.0.0.1:8501 (example ICS)"
	@echo "make test      install what is missing, then run the whole test suite"
	@echo "make system    install the Debian packages the tests need (chromium, postgresql, libreoffice, poppler-utils)"
	@echo "make venv      create .venv and install budgetopt[dev] into it (also: make install)"
	@echo "make lint      ruff check src tests"
	@echo "make bench     run benchmarks/run.py"
	@echo "make example   rebuild the example data set (scripts/build_example.py)"
	@echo "make clean     remove caches and build output (make distclean also removes .venv)"

# --- environment --------------------------------------------------------------------------

# A missing or broken .venv/bin/python: make the environment anew (an intact one is reused).
$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "error: no python3.11 or python3 on PATH" >&2; exit 1; }
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || PYTHON="$(PYTHON)" bash scripts/setup-system.sh venv
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv install: $(STAMP)

system:
	@PYTHON="$(PYTHON)" bash scripts/setup-system.sh

# --- what the README tells -----------------------------------------------------------------

app: $(STAMP)
	$(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.port 8501 \
	  --server.headless true --browser.gatherUsageStats false

# Debian keeps initdb/pg_ctl off PATH (in /usr/lib/postgresql/<ver>/bin): add the newest.
# pytest's exit code passes through, so 5 (no tests collected) fails too.
test: system $(STAMP)
	pg_bin=$$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1); \
	PATH="$$PATH$${pg_bin:+:$$pg_bin}" \
	  $(BIN)/python -m pytest -n 2 --timeout 600 $(PYTEST_ARGS)

# --- developer tools ---------------------------------------------------------------------------

bench: $(STAMP)
	@if [ -f benchmarks/run.py ]; then $(BIN)/python benchmarks/run.py; \
	else echo "no benchmarks/run.py yet: nothing to run"; fi

lint: $(STAMP)
	$(BIN)/ruff check src tests

example: $(STAMP)
	$(BIN)/python scripts/build_example.py

clean:
	rm -rf build dist out test-artifacts .pytest_cache .ruff_cache .hypothesis .benchmarks
	find . -path ./$(VENV) -prune -o \( -name __pycache__ -o -name '*.egg-info' \) -type d -print0 \
	  | xargs -0 rm -rf

distclean: clean
	rm -rf $(VENV)
