# `make run` and `make test` each set up what they need (idempotently) on a fresh Debian machine.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.farol-installed
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
CHROMIUM ?= /usr/bin/chromium

TASK ?= What is the top headline on this page?
START_URL ?= https://www.bing.com/news
ARGS ?=

.PHONY: run test test-all bench setup system clean

run: setup
	$(BIN)/farol run "$(TASK)" --start-url "$(START_URL)" $(ARGS)

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

test-all: setup
	$(BIN)/python -m pytest -m ""

bench: setup
	$(BIN)/python bench/step_overhead.py

setup: system $(STAMP)

# Debian packages: Chromium for the browser (Playwright cannot download its own here) and venv support.
system:
	@if [ ! -x "$(CHROMIUM)" ] || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-liberation python3-venv >/dev/null; \
	fi

# torch is pinned by constraints.txt (the CPU wheel on CPU machines); torchvision is never installed.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) farol.egg-info .pytest_cache .ruff_cache
