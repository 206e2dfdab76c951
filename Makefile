# Everything a fresh machine needs: `make demo` and `make test` create .venv themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test test-fast lint format lab release examples handout bench clean

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/python -m autograder demo

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

# The edit loop: lint, import contracts and the unit tests (no nbgrader run, no kernel), well under a minute.
test-fast: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest tests/unit -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lab: setup
	$(BIN)/jupyter lab notebooks/PS1.ipynb

release: setup
	$(BIN)/python -m autograder release

examples: setup
	$(BIN)/python -m autograder examples

# What a student gets: dist/PS1/ and dist/PS1.zip (release notebook, edf.py, pinned packages, submit).
handout: setup
	$(BIN)/python -m autograder handout

bench: setup
	$(BIN)/python benchmarks/mlp.py

clean:
	rm -rf $(VENV) build dist nbgrader_course/release
