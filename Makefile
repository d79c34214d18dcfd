# Careweave developer commands. `make run` and `make test` are all a newcomer needs.
# Neither needs DATABASE_URL (an embedded PostgreSQL starts under var/) nor a Celery broker (tasks run eagerly).

VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
PYTEST_ARGS ?=

.PHONY: help venv install run test lint fmt bench db-stop compile-requirements clean

help:
	@echo "make run                      install, migrate, seed demo data, serve on http://127.0.0.1:8000"
	@echo "make test [PYTEST_ARGS=...]   lint, then the whole test suite (browser tests included)"
	@echo "make lint | fmt               check | fix formatting and lint"
	@echo "make bench [BENCH_PATIENTS=N] speed budgets on a seeded database of its own (docs/benchmarks.md)"
	@echo "make db-stop                  stop the embedded PostgreSQL"
	@echo "make compile-requirements     re-pin requirements*.txt from pyproject.toml"
	@echo "make clean                    remove caches and collected static files"

venv install: $(VENV)/.installed

# uv installs the pinned requirements about 8x faster than pip; pip is the fallback.
$(VENV)/.installed: requirements-dev.txt
	python3 -m venv $(VENV)
	($(BIN)/pip install -q uv && $(BIN)/uv pip install -p $(VENV) -q -r requirements-dev.txt) \
		|| $(BIN)/pip install -q -r requirements-dev.txt
	touch $@

run: install
	$(MANAGE) migrate
	$(MANAGE) seed_demo
	$(MANAGE) runserver 127.0.0.1:8000

test: lint
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Seeds careweave_bench (or BENCH_DATABASE_URL) once with BENCH_PATIENTS patients (default 100000).
bench: install
	$(BIN)/python -m bench.run

db-stop:
	$(BIN)/python -m config.embedded_db stop

compile-requirements: install
	$(BIN)/uv pip compile -q pyproject.toml --no-header --no-annotate -p 3.11 -o requirements.txt
	$(BIN)/uv pip compile -q pyproject.toml --no-header --no-annotate -p 3.11 --extra dev -o requirements-dev.txt

clean:
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	rm -rf .ruff_cache .pytest_cache test-results var/staticfiles var/ci
