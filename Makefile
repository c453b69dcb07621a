# Two entry points, both starting from a fresh machine with only python3 and make.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint clean

$(BIN)/peerkit: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/peerkit

demo: $(BIN)/peerkit
	$(BIN)/peerkit build sample-program

lint: $(BIN)/peerkit
	$(BIN)/ruff check peerkit tests benchmarks
	$(BIN)/ruff format --check peerkit tests benchmarks
	$(BIN)/mypy --strict peerkit

test: lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) sample-program/out
