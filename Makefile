# audioshake-kit. Every target works on a fresh machine with Python 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
GEN_ARGS := --path openapi/audioshake.yaml --config openapi/generator-config.yaml --meta none --custom-template-path openapi/templates

.PHONY: setup test test-deep lint typecheck generate check-generated browser docs docs-serve demo bench bench-tools clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: setup
	$(BIN)/mypy

# Regenerate the low-level client from the spec. ruff runs as the generator's post-hook
# from the venv, so the output is formatted the same on every machine.
generate: setup
	rm -rf generated/audioshake_client
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/openapi-python-client generate $(GEN_ARGS) --output-path generated/audioshake_client
	rm -rf generated/audioshake_client/.ruff_cache

# Fails when generated/ differs from what the spec makes (hand edits, or a spec change
# without `make generate`).
check-generated: setup
	@tmp=$$(mktemp -d) && \
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/openapi-python-client generate $(GEN_ARGS) --output-path $$tmp/audioshake_client >/dev/null && \
	if diff -r -x .ruff_cache -x __pycache__ $$tmp/audioshake_client generated/audioshake_client; then \
		echo "generated/ is in sync with openapi/audioshake.yaml"; rm -rf $$tmp; \
	else \
		echo "generated/ is out of sync with openapi/audioshake.yaml: run 'make generate'" >&2; rm -rf $$tmp; exit 1; \
	fi

# The dashboard's browser tests (tests/browser/) drive Debian's chromium through
# Playwright (installed by `make setup`, no browser download): install it when missing.
CHROMIUM := /usr/lib/chromium/chromium

browser:
	@test -x $(CHROMIUM) || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		export DEBIAN_FRONTEND=noninteractive; \
		$$SUDO apt-get install -y -q --no-install-recommends chromium || { $$SUDO apt-get update -q && $$SUDO apt-get install -y -q --no-install-recommends chromium; }; \
	}
	@test -x $(CHROMIUM) || { echo "chromium is not at $(CHROMIUM): the browser tests need it" >&2; exit 1; }

test: setup lint typecheck check-generated browser docs
	$(BIN)/pytest -q -n 2 --dist loadgroup

# The documentation site (mkdocs.yml), built strictly: a broken link, a missing reference
# or a missing included file fails. docs/hooks.py renders openapi/ and the CLIs into it.
docs: setup
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

docs-serve: setup
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve -a 127.0.0.1:8008

test-deep: setup
	AUDIOSHAKE_TEST_PROFILE=deep $(BIN)/pytest -q

# The main job: the bundled mock serves a real separation through the facade's CLI.
demo: setup
	$(BIN)/python scripts/demo.py

# Benchmarks and hardening figures (bench/README.md): one table on stdout. Installs its
# own tools first: wrk (Debian package) and Prism (npm, into bench/.node). `make test`
# needs neither.
PRISM_VERSION := 5.16.0
BENCH_NODE := bench/.node
PRISM_STAMP := $(BENCH_NODE)/.prism-$(PRISM_VERSION)

bench: setup bench-tools
	$(BIN)/python -m bench.run

bench-tools: $(PRISM_STAMP)
	@command -v wrk >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		export DEBIAN_FRONTEND=noninteractive; \
		$$SUDO apt-get install -y -q wrk || { $$SUDO apt-get update -q && $$SUDO apt-get install -y -q wrk; }; \
	}

$(PRISM_STAMP):
	mkdir -p $(BENCH_NODE)
	npm install --prefix $(BENCH_NODE) --no-audit --no-fund --loglevel=error @stoplight/prism-cli@$(PRISM_VERSION)
	touch $@

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache
