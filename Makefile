# The two commands of the README:
#   make demo   set everything up (virtual environment included), then run `grokwatch demo`
#   make test   set everything up, then run the linters, the type checker and the tests
# Both are safe to run again: the environment is rebuilt only when pyproject.toml changes.

VENV   ?= .venv
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
            command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
            && { echo $$p; break; }; done)
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.grokwatch-installed
# the pinned versions, shared with deploy/Dockerfile
CONSTRAINTS := deploy/constraints.txt

.PHONY: demo test lint typecheck bench setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@if [ -z "$(PYTHON)" ]; then echo "grokwatch needs Python 3.11 or newer on PATH (python3.11, python3.12, python3.13)"; exit 1; fi
	@echo "setting up $(VENV) with $$($(PYTHON) --version)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/grokwatch demo $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/pipeline.py
	$(BIN)/python benchmarks/entities.py
	$(BIN)/python benchmarks/story.py
	$(BIN)/python benchmarks/commands.py
	$(BIN)/python benchmarks/scaleout.py
	$(BIN)/python benchmarks/memory.py
	$(BIN)/python benchmarks/load.py
	$(BIN)/python benchmarks/faults.py
	$(BIN)/python benchmarks/startup.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
