# Every command runs through the project's own environment (.venv), created when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export WANDB_SILENT := true
export RAY_AUTH_MODE := disabled
export RAY_USAGE_STATS_ENABLED := 0

.DEFAULT_GOAL := help
.PHONY: help install docs picture server lint format typecheck unit test test-oldest bench bench-online bench-checkpoints bench-realistic bench-high-rate bench-full profile profile-online demo examples all clean

help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

# uv installs in seconds where pip takes a minute. --compile-bytecode: every Ray worker
# imports Ray, Tune and wandb afresh, and where PYTHONDONTWRITEBYTECODE is set (as on CI)
# an uncompiled venv recompiles them in each worker: the suite ran about 2x slower.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[dev,docs]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the package with its dev and docs tools

# The site in site/, offline; --strict: a broken link, anchor or reference fails the build.
docs: $(STAMP) ## Build the documentation site (MkDocs, docs/) into site/, strictly
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# docs/images/experiment.svg, drawn from a real offline sweep as W&B wrote it.
picture: $(STAMP) ## Redraw the experiment view's picture from a fresh offline sweep
	rm -rf picture_results
	PYTHONPATH=$(CURDIR) $(BIN)/python docs/picture/experiment_svg.py picture_results docs/images/experiment.svg

# The oldest-versions environment: the lowest release of every direct dependency
# pyproject.toml allows (uv's lowest-direct resolution), beside .venv.
OLDEST := .venv-oldest
OLDEST_STAMP := $(OLDEST)/.installed

$(OLDEST_STAMP): pyproject.toml .ci/oldest-constraints.txt $(STAMP)
	rm -rf $(OLDEST)
	$(PYTHON) -m venv $(OLDEST)
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(OLDEST)/bin/python --resolution lowest-direct \
		--constraint .ci/oldest-constraints.txt -e '.[dev]'
	touch $(OLDEST_STAMP)

# The W&B-protocol server of the online tests (tests/wire.py), in a venv of its own: it is a
# test tool under a non-commercial licence, and brings a web stack the package does not need.
SERVER := .venv-server
SERVER_STAMP := $(SERVER)/.installed

$(SERVER_STAMP): tests/server/requirements.txt $(STAMP)
	rm -rf $(SERVER)
	$(PYTHON) -m venv $(SERVER)
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(SERVER)/bin/python -r tests/server/requirements.txt
	touch $(SERVER_STAMP)

server: $(SERVER_STAMP) ## Install the local W&B-protocol server the online tests start

lint: $(STAMP) ## ruff (lint, format check) and lint-imports (the layers, no import cycles)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: $(STAMP) ## ruff: fix and format
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP) ## mypy --strict on the package, tests, examples, benchmarks; then stubtest
	$(BIN)/mypy
	cd $(VENV) && MYPYPATH=$(CURDIR)/stubs bin/python ../stubs/run_stubtest.py --ignore-missing-stub \
		--allowlist ../stubs/stubtest-allowlist.txt ray pyarrow

# Two pytest workers, each with its own Ray: the suite waits on processes as much as it
# computes, and two keep both CPUs busy (21 -> 14 minutes here).
PYTEST_PARALLEL := -n 2 --dist worksteal --durations=15

# The fast layer: one file per core module, no Ray and no wandb process (seconds).
unit: $(STAMP) ## The unit tests only (tests/unit/: the core, no Ray or wandb process)
	$(BIN)/pytest tests/unit -q

test: lint typecheck $(SERVER_STAMP) ## lint, typecheck, then both test layers (unit first; real Ray, real wandb)
	$(BIN)/pytest tests/unit -q
	$(BIN)/pytest $(PYTEST_PARALLEL) --ignore=tests/unit

# The tests marked in tests/conftest.py; OLDEST_TESTS= runs them all (about 20 minutes).
OLDEST_TESTS := -m oldest

test-oldest: $(OLDEST_STAMP) ## The stubs (stubtest) and pytest on the oldest declared Ray, wandb and deps
	$(OLDEST)/bin/python -c 'import ray, wandb; print("oldest: ray", ray.__version__, "wandb", wandb.__version__)'
	# The oldest mypy (its stubtest) lacks some newer checks (solid bases), so an entry
	# the newest needs may go unused here: that alone is not a failure.
	cd $(OLDEST) && RAY_TRAIN_V2_ENABLED=1 MYPYPATH=$(CURDIR)/stubs bin/python ../stubs/run_stubtest.py \
		--ignore-missing-stub --ignore-unused-allowlist --allowlist ../stubs/stubtest-allowlist.txt \
		--allowlist ../stubs/stubtest-allowlist-oldest.txt ray pyarrow
	TUNE_WANDB_READER=$(CURDIR)/$(BIN)/wandb $(OLDEST)/bin/pytest $(PYTEST_PARALLEL) $(OLDEST_TESTS)

bench: $(STAMP) $(SERVER_STAMP) ## Benchmark ours against no logging and Ray's own (4x25, 2x200, the trial's story, online; about 20 min)
	$(BIN)/python -m benchmarks --profile quick

bench-online: $(STAMP) $(SERVER_STAMP) ## Online against offline: the logger and the decorator to the local W&B server (about 6 min)
	$(BIN)/python -m benchmarks --profile online --output benchmarks/RESULTS-online.md

bench-checkpoints: $(STAMP) ## Checkpoints as artifacts: 4x50, 20 MiB every 5 steps (about 8 min)
	$(BIN)/python -m benchmarks --profile checkpoints --output benchmarks/RESULTS-checkpoints.md

bench-realistic: $(STAMP) ## 8x100 after a 2 s setup per trial, and 8x100 (about 20 min)
	$(BIN)/python -m benchmarks --profile realistic --output benchmarks/RESULTS-realistic.md

bench-high-rate: $(STAMP) ## The logger under a high report rate: 2x20,000 and 32x1,000 (over an hour)
	$(BIN)/python -m benchmarks --profile high-rate --output benchmarks/RESULTS-high-rate.md

# Where the time goes: CPU seconds by kind of process, and the driver's and writer's
# functions by py-spy (which samples them from outside; it needs ptrace, as root has).
profile: $(STAMP) ## Where the logger's time goes at 32 trials at once: 32x1,000 and 256x5 (py-spy; about 25 min)
	$(BIN)/python -m benchmarks.profile --workloads 32x1000,256x5 --variants none,ours_logger --py-spy --output benchmarks/PROFILE.md

profile-online: $(STAMP) $(SERVER_STAMP) ## Where online time goes: the logger and the decorator, offline and online (about 3 min)
	$(BIN)/python -m benchmarks.profile --workloads 8x100-setup-online --variants none,ours_logger,ours_logger_online,ours_decorator,ours_decorator_online --output benchmarks/PROFILE-online.md

bench-full: $(STAMP) ## The full benchmark matrix (8x100, 2x2000, 32x5, reuse, 256x5); hours on 2 CPUs
	$(BIN)/python -m benchmarks --profile full --output benchmarks/RESULTS-full.md

demo: $(STAMP) ## A small real Tune sweep logged to W&B (offline unless you say otherwise)
	$(BIN)/python -m examples.demo

examples: $(STAMP) ## Run every example
	$(BIN)/pytest tests/test_examples.py

all: test bench ## Everything

clean: ## Remove the environment and generated results
	rm -rf $(VENV) $(OLDEST) $(SERVER) demo_results bench_results .mypy_cache .ruff_cache .pytest_cache
