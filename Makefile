# The two set-up commands of the README: `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTHON ?= python3

# Debian packages: build tools for pyscard (swig comes from PyPI), the libraries
# Qt needs on a bare system (the last two lines: Qt WebEngine's Chromium, for the
# e-service web view, as ldd on QtWebEngineProcess lists them), fonts for screens
# and receipts, poppler for PDF checks.
APT_PACKAGES := python3-venv python3-dev gcc libpcsclite-dev pcscd vsmartcard-vpcd \
	cups printer-driver-cups-pdf libcups2-dev postgresql \
	chromium coturn iproute2 \
	fonts-dejavu-core poppler-utils libpulse0 \
	libegl1 libgl1 libfontconfig1 libxkbcommon0 libxkbcommon-x11-0 libdbus-1-3 \
	libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-image0 libxcb-render-util0 \
	libxcb-shape0 libxcb-xinerama0 libxcb-randr0 \
	libnss3 libnspr4 libasound2 libgbm1 libxcomposite1 libxdamage1 libxrandr2 libxtst6 \
	libxkbfile1

.PHONY: demo test check lint typecheck imports unit bench screenshots apt clean deploy-check audit

# The deploy check's tools: a Debian root built from scratch, the install script linted.
DEPLOY_APT_PACKAGES := debootstrap shellcheck

demo: apt $(STAMP)
	$(BIN)/kiosk --demo --windowed

test: apt $(STAMP) check

check: lint typecheck imports unit

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy

imports:
	$(BIN)/lint-imports

unit:
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest

# Installs the appliance into a fresh Debian Bookworm root (tests/deploy; root needed). Its
# downloads are cached in /var/cache/visioguichet-deploy-check (VG_DEPLOY_CACHE).
deploy-check: apt $(STAMP)
	$(MAKE) --no-print-directory apt APT_PACKAGES="$(DEPLOY_APT_PACKAGES)"
	VG_DEPLOY_CHECK=1 QT_QPA_PLATFORM=offscreen $(BIN)/pytest tests/deploy -v -s -p no:cacheprovider

bench: apt $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/startup.py
	$(BIN)/python bench/queue.py
	$(BIN)/python bench/peripherals.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/call.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/ui.py
	$(BIN)/python bench/fleet.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/eservice.py

screenshots: apt $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python tools/screenshots.py docs/screenshots

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The locked versions (requirements.lock): CI installs exactly what was audited.
	$(BIN)/pip install --quiet -c requirements.lock -e '.[test,bench]'
	touch $(STAMP)

# Installs only what is missing, so a prepared machine pays nothing.
apt:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:" $$missing; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# Known vulnerabilities in the locked dependencies (pip-audit; needs PyPI's JSON API or
# OSV, so not part of `make test`, which must pass offline). Fails on any package it
# could not check, too: see tools/audit_lock.py.
audit: $(STAMP)
	$(BIN)/python tools/audit_lock.py

clean:
	rm -rf $(VENV) .demo .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
