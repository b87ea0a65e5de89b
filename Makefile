# The two set-up commands of README.md: `make demo` and `make test`.
# Both create .venv when it is missing; PYTHON picks the interpreter (3.10+).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_ARGS ?=

PROTOC_VENV := build/protoc-venv

.PHONY: proto demo test test-tools test-python test-js lint frontend bundle-check benchmarks clean

$(STAMP): setup.py pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

## Trains the bundled demo with explanations logged and serves TensorBoard on 127.0.0.1.
demo: $(STAMP)
	$(BIN)/tbexplain demo $(DEMO_ARGS)

## Runs every test: the frontend's unit tests, then pytest (unit, plugin, end-to-end).
## test-tools comes first, so a machine that lacks Node.js or Chromium stops at once.
test: test-tools $(STAMP) frontend/node_modules/.installed
	cd frontend && npm test
	$(BIN)/python -m pytest

## Node.js, npm and Chromium (CHROMIUM, else `chromium` on PATH) are there; Chromium
## is installed with apt-get when it can be; otherwise one line says what to install.
test-tools:
	@bash tools/ensure_test_tools.sh

## ruff (lint + format check) and mypy on the Python packages; tsc --noEmit on the frontend.
lint: $(STAMP) frontend/node_modules/.installed
	$(BIN)/ruff check tbexplain tbexplain_plugin tests benchmarks tools
	$(BIN)/ruff format --check tbexplain tbexplain_plugin tests benchmarks tools
	$(BIN)/mypy
	cd frontend && npm run typecheck

## Rebuilds the bundle into tbexplain_plugin/static/.
frontend: frontend/node_modules/.installed
	cd frontend && npm run build

## Rebuilds the bundle and fails if it differs from the committed one.
bundle-check: frontend
	git diff --exit-code --stat -- tbexplain_plugin/static
	test -z "$$(git status --porcelain -- tbexplain_plugin/static)"

## Plants the bugs listed in tests/mutants.py in copies of the tree; fails if a test misses one.
.PHONY: mutants
mutants: $(STAMP) frontend/node_modules/.installed
	$(BIN)/python tests/mutants.py $(MUTANTS_ARGS)

benchmarks: $(STAMP)
	$(BIN)/python benchmarks/methods.py
	$(BIN)/python benchmarks/logging_overhead.py
	$(BIN)/python benchmarks/plugin_routes.py

clean:
	rm -rf $(VENV) frontend/node_modules build *.egg-info

## Regenerates plugin_data_pb2.py(i). protoc 25 (grpcio-tools 1.62) emits code that
## protobuf 3.20 to 7 all load, which keeps TensorBoard 2.16+ compatible.
proto:
	test -x $(PROTOC_VENV)/bin/python || $(PYTHON) -m venv $(PROTOC_VENV)
	$(PROTOC_VENV)/bin/pip install --quiet "grpcio-tools==1.62.3"
	$(PROTOC_VENV)/bin/python -m grpc_tools.protoc -I. --python_out=. --pyi_out=. \
		tbexplain_plugin/plugin_data.proto
