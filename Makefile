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

.PHONY: setup demo test evidence clean-venv

setup: $(STAMP)

# Setup prints one line per step; each step's full output goes to a log under $(VENV), shown
# only when the step fails.
$(STAMP): pyproject.toml Makefile
	@test -x $(BIN)/python || { echo "creating $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@$(call quietly,upgrading pip,pip,$(BIN)/python -m pip install --upgrade pip)
	@$(BIN)/python -c "import torch" 2>/dev/null || \
		$(call quietly,installing $(TORCH_SPEC) (large: a minute or more),torch,\
			$(BIN)/python -m pip install --retries 1 --extra-index-url $(TORCH_INDEX) "$(TORCH_SPEC)")
	@$(call quietly,installing seqlab and its dependencies,seqlab,$(BIN)/python -m pip install -e ".[test]")
	@touch $(STAMP)

# $(call quietly,WHAT,LOG,COMMAND): say WHAT, run COMMAND into $(VENV)/LOG.log, print the log
# and fail if COMMAND fails.
quietly = { echo "$(1)"; $(3) > $(VENV)/$(2).log 2>&1 || { cat $(VENV)/$(2).log; echo "failed: $(1) (log: $(VENV)/$(2).log)"; exit 1; }; }

# Train a small real comparison (LSTM vs vanilla RNN vs GRU on the adding problem, two lengths,
# two seeds: the built-in suite demo), then serve the dashboard over it. A rerun reuses finished runs.
demo: setup
	$(BIN)/seqlab sweep demo
	$(BIN)/seqlab dash

# Every built-in suite's evidence size (one to two hours on 2 cores; rerun to resume),
# then each suite's verdicts as a table and a self-contained HTML report under reports/.
EVIDENCE_SUITES ?= memory cost gradients architectures sensitivity bidirectional applications tbptt gates
evidence: setup
	@mkdir -p reports
	$(BIN)/seqlab sweep $(EVIDENCE_SUITES) --size evidence
	@for s in $(EVIDENCE_SUITES); do \
		$(BIN)/seqlab evidence $$s --size evidence --html reports/$$s.html || exit 1; \
	done

test: setup
	$(BIN)/python -m pytest

clean-venv:
	rm -rf $(VENV)
