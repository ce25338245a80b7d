# The course's commands. `make run` executes every notebook; `make test` checks them.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test data lab execute nav bench matrix matrix-check constraints clean help
.DEFAULT_GOAL := help

help:
	@echo "make run    - set up, prepare data, execute every notebook into build/ (summary table)"
	@echo "make test   - set up, prepare data, unit tests + nbval over every notebook"
	@echo "make data   - fetch and verify weights and datasets (offline-friendly)"
	@echo "make lab    - open JupyterLab on notebooks/index.ipynb"
	@echo "make execute - re-execute the committed notebooks in place (after editing one)"
	@echo "make nav    - regenerate navigation cells and the contents list"
	@echo "make bench  - performance benchmarks -> benchmarks/results.{json,md}"
	@echo "make matrix - the full decision-matrix sweep -> notebooks/results/decision_matrix.json"
	@echo "make matrix-check - run the sweep again into build/ and compare it point by point with the committed file"

# The virtual environment, rebuilt when the dependency files change.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (tlhelpers)" >/dev/null
	@touch $(STAMP)

data: $(STAMP)
	$(PY) -m data_scripts

run: data
	$(PY) tools/run_notebooks.py

test: data
	$(PY) -m pytest

lab: data
	$(VENV)/bin/jupyter lab notebooks/index.ipynb

execute: data nav
	$(PY) tools/run_notebooks.py --inplace $(NB)

nav: $(STAMP)
	$(PY) tools/navigation.py

bench: data
	$(PY) -m benchmarks.bench

matrix: data
	$(PY) -m tlhelpers.matrix --threads 1

matrix-check: data
	$(PY) -m tlhelpers.matrix --threads 1 --output build/decision_matrix_again.json
	$(PY) -m tlhelpers.matrix --compare build/decision_matrix_again.json

constraints: $(STAMP)
	@(echo "# Exact versions behind the committed notebook outputs (pip install -c constraints.txt)."; \
	  echo "# Regenerate with: make constraints"; \
	  $(PY) -m pip freeze --exclude-editable --exclude tlhelpers) > constraints.txt.new && mv constraints.txt.new constraints.txt

clean:
	rm -rf build
