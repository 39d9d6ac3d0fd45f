# flightml: `make run` sets up and runs the reference study; `make test` sets up and runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ARM_PKGS := gcc-arm-none-eabi binutils-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm

.PHONY: setup toolchain run test lint bench clean

setup: $(STAMP) toolchain

$(STAMP): pyproject.toml requirements.lock
	@# Debian's own python3 ships venv/ensurepip separately (python3-venv)
	@$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv; } || true
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

# Installs the ARM cross toolchain and QEMU when missing (needs root and apt); without them
# flightml still runs and says once what it skipped.
toolchain:
	@if command -v arm-none-eabi-gcc >/dev/null && command -v qemu-system-arm >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(ARM_PKGS); \
	else echo "note: arm-none-eabi-gcc/qemu-system-arm missing and not root; MCU targets will be skipped"; fi

run: setup
	$(VENV)/bin/flightml run

test: setup
	$(PY) -m ruff check src tests benchmarks
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check src tests benchmarks
	$(PY) -m ruff format --check src tests benchmarks

bench: setup
	for b in benchmarks/*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) runs .pytest_cache
