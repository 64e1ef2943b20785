# Retaguarda: `make help` lists the targets.
SHELL := /bin/bash
UV_VERSION := 0.13.9
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export GX_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
# `retaguarda run` gives the temporary Prefect server 300 s to start unless
# PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS says otherwise (retaguarda/server.py).

.PHONY: help setup browser demo test lint bench

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

setup: ## install uv and the locked dependencies into .venv
	@command -v uv >/dev/null || python3 -m pip install --quiet "uv==$(UV_VERSION)"
	uv sync --frozen --quiet

browser: ## install Debian's chromium for the report's browser tests (needs root or sudo)
	@command -v chromium >/dev/null || { $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq && \
		$(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq chromium >/dev/null; }

demo: setup ## run one hourly reconciliation on the built-in demo back office
	uv run --frozen retaguarda run

test: setup browser ## run the linter and the whole test suite
	uv run --frozen ruff check .
	uv run --frozen pytest

lint: setup ## lint only
	uv run --frozen ruff check .

bench: setup ## the validation speed benchmark (docs/benchmarks.md)
	uv run --frozen python -m bench.validation
