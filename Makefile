# The two commands of the quick start: `make run` and `make test`.
# Both create .venv with the first Python >= 3.11 found and install callwarden into it.

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck unit bench clean clean-kernels help java sip chromium axe

help:
	@echo "make run    simulate a city's day, ingest it, print the summary"
	@echo "make test   lint, type-check and run the whole test suite"
	@echo "make bench  run the benchmarks (see docs/benchmarks.md)"

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "callwarden needs Python 3.11 or newer on PATH (python3.11, python3.12, ...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	@touch $(STAMP)

# The Spark engine's tests need a Java runtime: install one from Debian's packages if missing.
java:
	@command -v java >/dev/null 2>&1 || [ -x "$$JAVA_HOME/bin/java" ] || { \
	  echo "no Java runtime: installing openjdk-17-jre-headless for the Spark engine"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  { $$SUDO apt-get update -qq && { $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless \
	    || $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless; }; } >/dev/null \
	  || echo "could not install Java; the Spark tests will fail. Install Java 17 or 21 (apt-get install -y openjdk-17-jre-headless) or set JAVA_HOME"; }

# The SIP path's tests and benchmark (docs/sip.md) need Kamailio with its Python module, and SIPp:
# install them from Debian's packages if missing.
SIP_PACKAGES := kamailio kamailio-python3-modules sip-tester
sip:
	@{ command -v kamailio && command -v sipp \
	  && ls /usr/lib/*/kamailio/modules/app_python3.so; } >/dev/null 2>&1 || { \
	  echo "no Kamailio or SIPp: installing $(SIP_PACKAGES) for the SIP path's tests"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  { $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SIP_PACKAGES); } >/dev/null \
	  || echo "could not install Kamailio and SIPp; the SIP tests will fail. Install them with: apt-get install -y $(SIP_PACKAGES)"; }

# The browser tests (tests/e2e) drive Debian's chromium through Playwright, launched by its path:
# install it from Debian's packages if missing (Playwright never downloads a browser here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "no chromium: installing chromium for the browser tests (tests/e2e)"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  { $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; } >/dev/null \
	  || echo "could not install chromium; the browser tests will fail in CI and skip elsewhere. Install it with: apt-get install -y chromium"; }

# The accessibility check of the pages runs axe-core, from npm, served by the test site itself.
AXE := tests/e2e/node_modules/axe-core/axe.min.js
axe:
	@test -f $(AXE) || { \
	  echo "no axe-core: installing it from npm into tests/e2e for the accessibility check"; \
	  npm install --no-save --no-package-lock --silent --prefix tests/e2e axe-core@4 >/dev/null \
	  || echo "could not install axe-core (needs node and npm: apt-get install -y npm); the accessibility test will fail in CI and skip elsewhere"; }

run: $(STAMP)
	$(BIN)/callwarden demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) java sip chromium axe
	$(BIN)/pytest

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/bench_simulate.py
	$(BIN)/python benchmarks/bench_score.py
	$(BIN)/python benchmarks/eval_detection.py
	$(BIN)/python benchmarks/eval_scenarios.py --subscribers 50000 --seed 1001
	$(BIN)/python benchmarks/eval_fraud_world.py --people 20000 --seeds 31 32 33
	$(BIN)/python benchmarks/bench_sichuan.py
	$(BIN)/python benchmarks/bench_model_cities.py
	$(BIN)/python benchmarks/bench_api_guard.py
	$(BIN)/python benchmarks/bench_content.py --cv 5

clean: clean-kernels
	rm -rf $(VENV) runs .pytest_cache .mypy_cache .ruff_cache

# the compiled kernels' caches (numba keeps the spec's constants they were compiled with)
clean-kernels:
	find src -name '*.nbi' -delete -o -name '*.nbc' -delete
