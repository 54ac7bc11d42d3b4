# `make run` and `make test` each set up what they need (idempotently) on a fresh Debian machine.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.farol-installed
NODE_STAMP := extension/node_modules/.farol-installed
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
CHROMIUM ?= /usr/bin/chromium

ARGS ?=

.PHONY: run check test test-all lint bench screenshots setup system clean

run: setup
	$(BIN)/farol serve $(ARGS)

# The loop to run while working (about a minute): lint, types, the extension's checks, and the unit tests (no
# browser, no model, no child process).
check: lint
	$(BIN)/python -m pytest -q -n 2 -m unit

# What CI runs: the same checks, then every test but the long `full` runs: two workers at a time, then the `serial`
# ones (DeepSpeed's launcher, the timing-sensitive browser tests) with the machine to themselves.
test: lint
	$(BIN)/python -m pytest -n 2 -m "not full and not serial"
	$(BIN)/python -m pytest -m "serial and not full"

test-all: setup
	$(BIN)/python -m pytest -m ""

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	cd extension && npx --no-install tsc -p . && node --test tests/

bench: setup
	$(BIN)/python bench/step_overhead.py
	$(BIN)/python bench/extension_step.py
	$(BIN)/python bench/datagen_scaling.py

# The README's side-panel screenshots, light and dark, from the real panel (docs/screenshots/).
screenshots: setup
	$(BIN)/python docs/screenshots.py

setup: system $(STAMP) $(NODE_STAMP)

# Debian packages: Chromium for the browser (Playwright cannot download its own here), venv support, and a
# C++ compiler for the DeepSpeed ops that compile on first use.
system:
	@if [ ! -x "$(CHROMIUM)" ] || ! python3 -c 'import venv, ensurepip' 2>/dev/null || ! command -v npm >/dev/null \
			|| ! command -v g++ >/dev/null; then \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-liberation python3-venv g++ \
			$$(command -v npm >/dev/null || echo nodejs npm) >/dev/null; \
	fi

# torch is pinned by constraints.txt (the CPU wheel on CPU machines); torchvision is never installed.
# DeepSpeed builds from source against that torch (no isolated build, no CUDA ops: they compile on first use).
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	DS_BUILD_OPS=0 $(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt --no-build-isolation deepspeed
	touch $(STAMP)

# The extension's type checker and types (no bundler, no runtime dependencies).
$(NODE_STAMP): extension/package.json extension/package-lock.json
	cd extension && npm ci --silent --no-audit --no-fund
	touch $(NODE_STAMP)

clean:
	rm -rf $(VENV) farol.egg-info .pytest_cache .ruff_cache extension/node_modules
