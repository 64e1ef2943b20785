# Retaguarda: `make help` lists the targets.
SHELL := /bin/bash
UV_VERSION := 0.13.9
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export GX_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
# `retaguarda run` gives the temporary Prefect server 300 s to start unless
# PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS says otherwise (retaguarda/server.py).

.PHONY: help setup browser postgres demo test lint bench bench-startup bench-whole-run bench-quick bench-peer bench-tenants schedule

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

setup: ## install uv and the locked dependencies into .venv
	@command -v uv >/dev/null || python3 -m pip install --quiet "uv==$(UV_VERSION)"
	uv sync --frozen --quiet

browser: ## install Debian's chromium for the report's browser tests (needs root or sudo)
	@command -v chromium >/dev/null || { $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq && \
		$(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq chromium >/dev/null; }

postgres: ## install Debian's PostgreSQL server binaries for the DuckLake tests (needs root or sudo)
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq && \
		$(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq postgresql >/dev/null; }

demo: setup ## run one hourly reconciliation on the built-in demo back office
	uv run --frozen retaguarda run

test: setup browser postgres ## run the linter and the whole test suite
	uv run --frozen ruff check .
	uv run --frozen pytest -n 3 --dist loadfile  # three workers (README); a test file stays on one (its fixtures are shared)

lint: setup ## lint only
	uv run --frozen ruff check .

bench: setup ## the validation speed benchmark (docs/benchmarks.md)
	uv run --frozen python -m bench.validation

bench-startup: setup ## imports and start of fresh processes: flow module, GX, read-only CLI
	uv run --frozen python -m bench.startup

bench-whole-run: setup ## the whole hourly run at history 1x/10x/30x and 100k/1M lines, against the floor
	uv run --frozen python -m bench.whole_run

bench-quick: setup ## a small whole-run benchmark (a few minutes)
	uv run --frozen python -m bench.whole_run --quick

bench-peer: setup ## Soda Core on the same six checks and file (its own venv in .bench-venvs/)
	uv run --frozen python -m bench.soda_peer

bench-tenants: setup ## many shops through a Prefect server and workers: 1/4/16 tenants, DuckDB file and DuckLake
	uv run --frozen python -m bench.tenants

schedule: setup ## the hourly schedule in one long-lived process (flows/schedule.py)
	uv run --frozen retaguarda schedule
