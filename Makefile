# `make demo` and `make test` set up everything they need on a fresh Debian machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The demo needs SoftHSM2; the tests also load OpenSC's module, and the smart-card tier runs
# pcscd with vsmartcard's virtual reader (vpcd) and an emulated PIV card (as root); login tests use Redis;
# the identity provider's pages are checked in Debian's headless Chromium (driven through chromedriver).
# Third-party producers in the verification tests: qpdf (encrypted PDFs), poppler's pdfsig, Info-ZIP.
DEMO_PACKAGES := softhsm2
# The web benchmark loads the token endpoint with wrk.
BENCH_PACKAGES := wrk
TEST_PACKAGES := softhsm2 opensc-pkcs11 opensc pcscd vsmartcard-vpcd redis-server xmlsec1 libxmlsec1-dev chromium chromium-driver qpdf poppler-utils zip

# The tests' npm packages (tests/node/package.json, locked): axe-core checks the pages'
# accessibility inside Chromium; openid-client, @node-saml/node-saml and jose are the
# JavaScript clients the interop tests drive against the provider. npm ci installs the lock.
NODE := $(VENV)/node
NODE_STAMP := $(NODE)/.installed

.PHONY: demo test lint typecheck bench fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

$(NODE_STAMP): tests/node/package.json tests/node/package-lock.json
	mkdir -p $(NODE)
	cp tests/node/package.json tests/node/package-lock.json $(NODE)/
	cd $(NODE) && npm ci --no-audit --no-fund --silent
	touch $@

demo: $(STAMP)
	@scripts/ensure-system-packages $(DEMO_PACKAGES)
	$(BIN)/eid demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks fuzz
	$(BIN)/ruff format --check src tests benchmarks fuzz

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) $(NODE_STAMP) lint typecheck
	@scripts/ensure-system-packages $(TEST_PACKAGES)
	$(BIN)/python -m pytest

bench: $(STAMP)
	@scripts/ensure-system-packages $(TEST_PACKAGES) $(BENCH_PACKAGES)
	$(BIN)/python -m benchmarks

# Coverage-guided fuzzing (atheris): FUZZ_SECONDS per target (default 600), FUZZ_JOBS at a
# time (default 2), FUZZ_TARGETS to pick some; findings land in fuzz/findings/ (README).
fuzz: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[dev,fuzz]'
	$(BIN)/python -m fuzz.run

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
