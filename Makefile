# sim2model: `make run` sets up .venv and runs the default pipeline; `make test` runs the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
CORES ?= all
SNAKEMAKE := $(BIN)/snakemake
# Two pytest-xdist workers, one test file each at a time: the end-to-end runs wait on jobs,
# SLURM polling and subprocess start-up, and the other worker fills those gaps.
PYTEST_WORKERS ?= -n 2 --dist loadfile --no-loadscope-reorder
MUTATE_WORKERS ?= 2

.PHONY: setup run test test-athena test-cluster test-fast mutate lint format report reproduce clean

$(BIN)/.installed: requirements.txt requirements-dev.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

setup: $(BIN)/.installed  ## create .venv from the pinned requirements

run: setup  ## run the whole embedded default pipeline
	$(SNAKEMAKE) --cores $(CORES)

test: setup  ## run the test suite (unit, end-to-end Snakemake runs, single-node SLURM as root)
	$(BIN)/python -m pytest -m "not athena" $(PYTEST_WORKERS)

test-athena: setup  ## build Athena++ (cached) and run tiny real cases through the workflow
	$(BIN)/python -m pytest -m athena

test-cluster: setup  ## as root: bring up a single-node SLURM and run the workflow through it
	$(BIN)/python -m pytest -m cluster tests/test_cluster.py

test-fast: setup  ## unit tests only (skip end-to-end workflow runs)
	$(BIN)/python -m pytest -m "not slow and not cluster" $(PYTEST_WORKERS)

mutate: setup  ## mutation testing of the core modules against their unit tests (slow; docs/testing.md)
	cd mutation && $(abspath $(BIN))/mutmut run --max-children $(MUTATE_WORKERS)
	cd mutation && $(abspath $(BIN))/python score.py

lint: setup  ## ruff, snakefmt and snakemake --lint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check Snakefile rules/
	$(SNAKEMAKE) --lint

format: setup
	$(BIN)/ruff format .
	$(BIN)/snakefmt Snakefile rules/

report: setup  ## HTML report of the last run
	$(SNAKEMAKE) --report report.html

reproduce: setup  ## rerun data products from a clean results/ and compare MANIFEST.sha256
	PYTHONPATH=workflow_scripts $(BIN)/python -m sim2model.reproduce --cores $(CORES)

clean:
	rm -rf results logs .snakemake/incomplete report.html
