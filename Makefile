# Two commands: `make run` (the guarantee matrix against the reference tracker) and `make test`.
# Both set up whatever is missing first: Debian packages (Python venv, Chromium, PostgreSQL) and .venv/.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup system-deps venv bench clean

run: setup
	$(PY) -m harness run

test: setup
	$(VENV)/bin/pytest

setup: system-deps venv

# apt only when something is missing: a machine that has it all never touches the network.
system-deps:
	@missing=""; \
	command -v $(PYTHON) >/dev/null 2>&1 && $(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || missing="$$missing python3 python3-venv"; \
	[ -x /usr/bin/chromium-headless-shell ] || [ -x /usr/bin/chromium ] || missing="$$missing chromium chromium-headless-shell"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
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

bench: setup
	$(PY) bench/scenarios.py
	$(PY) bench/proxy_overhead.py
	$(PY) bench/ingest_throughput.py

clean:
	rm -rf $(VENV) .pytest_cache
