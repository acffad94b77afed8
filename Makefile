# Two commands for a fresh machine: `make dev` runs Berth, `make test` proves it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: dev test lint browser npm-clients bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev-services]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(VENV)/.installed $@

dev: $(VENV)/.installed
	$(BIN)/berth dev

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Browser tests drive the Debian packages' headless Chromium; installed here when we can (root on Debian).
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) \
	    >/dev/null || { echo "could not install chromium and chromium-driver with apt-get"; exit 1; }; \
	else echo "browser tests need Chromium: install the Debian packages chromium and chromium-driver"; exit 1; fi

# Real MCP clients from npm (pinned), for the OAuth tests: they must reach Berth's sign-in page.
NPM_CLIENTS := mcp-remote@0.15.1 @modelcontextprotocol/inspector@2.12.0
npm-clients: $(VENV)/npm/.installed

$(VENV)/npm/.installed: Makefile | $(BIN)/python
	@command -v npm >/dev/null 2>&1 || { echo "the OAuth tests need Node.js 20 and npm: install them"; exit 1; }
	npm install --silent --no-audit --no-fund --prefix $(VENV)/npm $(NPM_CLIENTS)
	touch $@

test: lint browser npm-clients
	$(BIN)/pytest -q

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .berth .pytest_cache .mypy_cache .ruff_cache
