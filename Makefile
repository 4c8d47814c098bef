# Beffroi — the two set-up commands of the README:
#   make demo   installs what is needed and starts Beffroi on the demo territory
#   make test   installs what is needed and runs the whole test suite (SQLite and PostgreSQL)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test bench lint clean

$(STAMP): pyproject.toml examples/beffroi-dechets/pyproject.toml package.json package-lock.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	# The waste collection example, a domain outside the tree: in the demo and the suite.
	$(BIN)/python -m pip install --quiet -e examples/beffroi-dechets
	bash scripts/vendor.sh
	bash scripts/pango.sh
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/beffroi demo --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

test: $(STAMP)
	bash scripts/test.sh

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	bash scripts/bench.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests bench examples

clean:
	rm -rf $(VENV) var test-output
