# Every command runs through the project's own environment (.venv), created when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export WANDB_SILENT := true
export RAY_AUTH_MODE := disabled
export RAY_USAGE_STATS_ENABLED := 0

.DEFAULT_GOAL := help
.PHONY: help install lint format typecheck test bench bench-full demo examples all clean

help: ## Show this help
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the package with its dev tools

lint: $(STAMP) ## ruff: lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## ruff: fix and format
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP) ## mypy --strict on the package, tests, examples, benchmarks; then stubtest
	$(BIN)/mypy
	cd $(VENV) && MYPYPATH=$(CURDIR)/stubs bin/python ../stubs/run_stubtest.py --ignore-missing-stub \
		--allowlist ../stubs/stubtest-allowlist.txt ray

test: lint typecheck ## lint, typecheck, then pytest (real Ray, real wandb offline)
	$(BIN)/pytest

bench: $(STAMP) ## Benchmark ours against no logging and Ray's own (4x25, 2x200; about 6 min)
	$(BIN)/python -m benchmarks --profile quick

bench-full: $(STAMP) ## The full benchmark matrix (8x100, 2x2000, 32x5, reuse, 256x5); hours on 2 CPUs
	$(BIN)/python -m benchmarks --profile full --output benchmarks/RESULTS-full.md

demo: $(STAMP) ## A small real Tune sweep logged to W&B (offline unless you say otherwise)
	$(BIN)/python -m examples.demo

examples: $(STAMP) ## Run every example
	$(BIN)/pytest tests/test_examples.py

all: test bench ## Everything

clean: ## Remove the environment and generated results
	rm -rf $(VENV) demo_results bench_results .mypy_cache .ruff_cache .pytest_cache
