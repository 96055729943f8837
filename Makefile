# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo sim-demo test lint typecheck bench clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/aware demo --nodes 5

sim-demo: $(STAMP)
	$(BIN)/aware sim run experiments/failover-100.yaml --plot failover-100.png

test: $(STAMP)
	$(BIN)/ruff check aware sim runtime aware_cli tests experiments
	$(BIN)/mypy aware
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check aware sim runtime aware_cli tests experiments
	$(BIN)/ruff format --check aware sim runtime aware_cli tests experiments

typecheck: $(STAMP)
	$(BIN)/mypy aware

bench: $(STAMP)
	$(BIN)/python experiments/bench_core.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
