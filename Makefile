# Two commands: `make run` (the guarantee matrix against the reference tracker) and `make test`.
# Both set up whatever is missing first: Debian packages (Python venv, Chromium, PostgreSQL) and .venv/.
# What is already there is used, in the harness's own order (harness/world/browser.py):
#   browser:  $TANK_BROWSER, else a Playwright-managed Chromium (~/.cache/ms-playwright or
#             $PLAYWRIGHT_BROWSERS_PATH), else Debian's chromium-headless-shell / chromium;
#   database: $DATABASE_URL (no local server needed), else the PostgreSQL server binaries.
# `make run ARGS="--shard 1/3 --junit junit.xml"` passes options to `tankharness run`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
ARGS ?=
DEBIAN_BROWSERS ?= /usr/bin/chromium-headless-shell /usr/bin/chromium
PLAYWRIGHT_BROWSERS ?= $(or $(PLAYWRIGHT_BROWSERS_PATH),$(HOME)/.cache/ms-playwright)
POSTGRES_INITDB ?= /usr/lib/postgresql/*/bin/initdb

.PHONY: run test lint setup system-deps venv bench clean

run: setup
	$(PY) -m harness run $(ARGS)

test: setup
	$(VENV)/bin/pytest --durations=15

setup: system-deps venv

# apt only when something is missing: a machine that has it all never touches the network.
system-deps:
	@missing=""; \
	command -v $(PYTHON) >/dev/null 2>&1 && $(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || missing="$$missing python3 python3-venv"; \
	if [ -n "$$TANK_BROWSER" ]; then \
	  command -v "$$TANK_BROWSER" >/dev/null 2>&1 || { echo "TANK_BROWSER=$$TANK_BROWSER is not an executable" >&2; exit 2; }; \
	else found=""; \
	  for b in $(PLAYWRIGHT_BROWSERS)/chromium*-*/*/{chrome,headless_shell,chrome-headless-shell} $(DEBIAN_BROWSERS); do \
	    [ -x "$$b" ] && found="$$b"; done; \
	  [ -n "$$found" ] || missing="$$missing chromium chromium-headless-shell"; fi; \
	[ -n "$$DATABASE_URL" ] || ls $(POSTGRES_INITDB) >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

venv: $(STAMP)

# A half-made venv (no pip) is rebuilt rather than trusted.
$(STAMP): pyproject.toml
	@$(PY) -m pip --version >/dev/null 2>&1 || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -q -e '.[test]'
	@touch $(STAMP)

# ruff (pyflakes, pycodestyle, import order; config in pyproject.toml), installed on first use.
lint: venv
	@$(PY) -m ruff --version >/dev/null 2>&1 || $(PY) -m pip install -q -e '.[lint]'
	$(PY) -m ruff check .

bench: setup
	$(PY) bench/scenarios.py
	$(PY) bench/proxy_overhead.py
	$(PY) bench/ingest_throughput.py

clean:
	rm -rf $(VENV) .pytest_cache
