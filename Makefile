# seqlab's two commands: `make demo` (set up, train a comparison, show it) and `make test`.
# Everything goes into the project-local virtualenv .venv; running either again is safe.

PYTHON ?= python3
VENV ?= .venv
# A CPU build of torch by default; GPU users override both, e.g.
#   make demo TORCH_SPEC=torch==2.13.0 TORCH_INDEX=https://download.pytorch.org/whl/cu128
TORCH_SPEC ?= torch==2.13.0+cpu
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu

BIN := $(VENV)/bin
STAMP := $(VENV)/.seqlab-installed

.PHONY: setup demo test clean-venv

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || \
		$(BIN)/python -m pip install --retries 1 --extra-index-url $(TORCH_INDEX) "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# Train a small real comparison (LSTM vs vanilla RNN vs GRU on the adding problem, two lengths,
# two seeds: suites/demo.yaml), then serve the dashboard over it. A rerun reuses finished runs.
demo: setup
	$(BIN)/seqlab sweep suites/demo.yaml
	$(BIN)/seqlab dash

test: setup
	$(BIN)/python -m pytest

clean-venv:
	rm -rf $(VENV)
