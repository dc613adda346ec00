# Two commands on a fresh machine: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_ACCOUNTS ?= 50000
DEMO_SEED     ?= 7
DEMO_RAW      := data/generated/demo
DEMO_WH       := data/warehouse/demo.duckdb
DEMO_EXPORTS  := data/exports/demo

.PHONY: install demo test stress lint clean train evaluation bench report-screenshot
EVAL_SEEDS ?= 7 8 9

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' --config-settings editable_mode=compat
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/sybil generate --out $(DEMO_RAW) --accounts $(DEMO_ACCOUNTS) --seed $(DEMO_SEED)
	$(BIN)/sybil run --raw $(DEMO_RAW) --warehouse $(DEMO_WH) --exports $(DEMO_EXPORTS)
	$(BIN)/sybil evaluate --truth $(DEMO_RAW)/truth.parquet --warehouse $(DEMO_WH) --exports $(DEMO_EXPORTS)

test: install
	$(BIN)/ruff check .
	$(BIN)/mypy graph
	$(BIN)/pytest

# docs/images/report.png: a 3,000-account world, its top flagged cluster's report, rendered by
# headless Chromium (Debian's `chromium` package).
report-screenshot: install
	$(BIN)/python -m sybil.report.chromium --out docs/images/report.png

# Refit the risk model on worlds with seeds the evaluation never uses (writes
# data/reference/risk_model.json and data/training/); about two minutes.
train: install
	$(BIN)/sybil train --seeds 101,102,103 --accounts $(DEMO_ACCOUNTS)

# The evaluation kept in docs/evaluation/: one full report per seed (ablation re-runs included).
evaluation: install
	for seed in $(EVAL_SEEDS); do \
	  $(BIN)/sybil generate --out data/generated/eval-$$seed --accounts $(DEMO_ACCOUNTS) --seed $$seed && \
	  $(BIN)/sybil run --quiet --raw data/generated/eval-$$seed --warehouse data/warehouse/eval-$$seed.duckdb \
	    --exports data/exports/eval-$$seed > /dev/null && \
	  $(BIN)/sybil evaluate --truth data/generated/eval-$$seed/truth.parquet \
	    --warehouse data/warehouse/eval-$$seed.duckdb --exports data/exports/eval-$$seed \
	    --raw data/generated/eval-$$seed --report docs/evaluation/seed-$$seed || exit 1; \
	done

# The crash and concurrent-reader tests, 20 times over (one pass of them is part of `make test`).
STRESS_ITERATIONS ?= 20
stress: install
	SYBIL_STRESS_ITERATIONS=$(STRESS_ITERATIONS) $(BIN)/pytest -m stress -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf data/generated data/warehouse data/exports .pytest_cache

# The benchmark (never part of `make test`): seeded worlds of 100k and 1M accounts (reused once
# generated), the pipeline beside a DuckDB floor, Splink 5 and the naive baseline; writes
# bench/results.json, bench/results.md and the README's table. BENCH_10M=1 adds 10M accounts.
BENCH_SIZES ?= 100000 1000000
BENCH_10M   ?=
BENCH_ARGS  ?=
$(BIN)/.bench-installed: $(BIN)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]' --config-settings editable_mode=compat
	touch $@

bench: $(BIN)/.bench-installed
	$(BIN)/python -m bench --sizes "$(BENCH_SIZES)" $(if $(BENCH_10M),--with-10m) \
	  --readme README.md $(BENCH_ARGS)
