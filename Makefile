# HEMS developer commands. Each target installs what it needs (uv, then the locked environment).
SHELL := /bin/bash
# uv from PATH, else as a module of the system Python (installed there by `make uv` when absent).
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")

.PHONY: run test lint typecheck pytest bench schema uv sync

uv:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv

sync: uv
	@$(UV) sync --frozen --quiet

## run: install and start HEMS (embedded default: SQLite + in-process simulation, no other services)
run: sync
	$(UV) run hems serve

## test: install and run every check: lint, format, types, then the suite on throwaway Postgres + Redis
test: sync lint typecheck pytest

lint:
	$(UV) run ruff check .
	$(UV) run ruff format --check .

typecheck:
	$(UV) run mypy app workers bench tests

pytest:
	$(UV) run pytest

## bench: the three benchmarks at a small default scale (each prints one JSON line)
bench: sync
	$(UV) run python -m bench.cycle
	$(UV) run python -m bench.api
	$(UV) run python -m bench.writes

## schema: re-export the served GraphQL schema to schema.graphql
schema: sync
	$(UV) run hems export-schema schema.graphql
