# The two commands a new user needs are `make run` and `make test`; `make help` lists the rest.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: help run test test-browser install lint typecheck worker clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(BIN)/.installed ## Create .venv, install the service with its test tools, and the front-end packages

run: install ## Set up the database, load demo data and serve on http://$(HOST):$(PORT) (SQLite, embedded worker)
	$(BIN)/sfo init
	$(BIN)/sfo demo
	$(BIN)/sfo run --host $(HOST) --port $(PORT)

# Two pytest-xdist workers by default (about half the time on two cores); TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2

test: install ## Run the test suite (SQLite; set TEST_DATABASE_URL for PostgreSQL) in TEST_WORKERS processes
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS)

test-browser: install ## Run only the browser tests (Playwright on Debian's chromium; SFO_CHROMIUM for another binary)
	$(BIN)/python -m pytest -q tests/browser

worker: install ## Run a background worker against DATABASE_URL
	$(BIN)/sfo worker

lint: install ## ruff lint and format check
	$(BIN)/ruff check app tests bench
	$(BIN)/ruff format --check app tests bench

typecheck: install ## mypy over the application
	$(BIN)/mypy app

clean: ## Remove the virtual environment and the local SQLite database
	rm -rf $(VENV) instance node_modules
