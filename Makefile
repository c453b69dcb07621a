# Two entry points, both starting from a fresh machine with only python3 and make.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Every package the install uses, pinned with hashes; `make lock` writes it from pyproject.toml.
LOCK := requirements-lock.txt
UV_VERSION := 0.13.9
LOCK_VENV := .venv-lock
UPGRADE ?=

.PHONY: demo test lint lock clean

# The locked packages, installed into a new venv whenever the lock changes (--clear: nothing
# left over from an older lock). Hash-checking mode refuses editable installs, so peerkit
# itself goes in below, without its dependencies and with the locked build backend.
$(VENV)/.locked: $(LOCK)
	$(PY) -m venv --clear $(VENV)
	$(BIN)/python -m pip install --quiet --no-input --require-hashes --only-binary :all: -r $(LOCK)
	touch $@

$(BIN)/peerkit: $(VENV)/.locked pyproject.toml
	$(BIN)/python -m pip install --quiet --no-input --no-deps --no-build-isolation -e .
	touch $@

demo: $(BIN)/peerkit
	$(BIN)/peerkit build sample-program

lint: $(BIN)/peerkit
	$(BIN)/ruff check peerkit tests benchmarks
	$(BIN)/ruff format --check peerkit tests benchmarks
	$(BIN)/mypy --strict peerkit

test: lint
	$(BIN)/pytest

# Refresh the lock after changing a dependency in pyproject.toml (pins that still fit are kept),
# or take the newest releases with `make lock UPGRADE=--upgrade`. One lock for every platform and
# Python >= 3.11 (--universal), the build backend included (and `editables`, which hatchling
# asks for to install peerkit editable). Extras stay on their pins (fonttools[woff]==...): pip
# 23 in hash-checking mode otherwise looks up `fonttools[woff]`, which WeasyPrint asks for, as
# a requirement of its own, finds a newer release and stops ("must have their versions pinned").
# uv runs from its own venv, so a broken lock never stands in the way of writing a new one.
lock:
	test -x $(LOCK_VENV)/bin/uv || { $(PY) -m venv $(LOCK_VENV) && $(LOCK_VENV)/bin/python -m pip install --quiet --no-input uv==$(UV_VERSION); }
	$(PY) -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['build-system']['requires'], 'editables~=0.3', sep='\\n')" \
	  | $(LOCK_VENV)/bin/uv pip compile pyproject.toml - --extra test --extra bench --universal --python-version 3.11 \
	      --generate-hashes --no-strip-extras $(UPGRADE) --quiet --custom-compile-command 'make lock' -o $(LOCK)

clean:
	rm -rf $(VENV) $(LOCK_VENV) sample-program/out
