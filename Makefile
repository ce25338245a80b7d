# The course's commands. `make run` executes every notebook; `make test` checks them.
# A thin wrapper: every recipe is one `python -m ...` command that also runs without make (README, "Without make").
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint test-browser platforms data lab execute nav exercises translations grade grade-check bench matrix matrix-check recipes controls selection claims constraints clean help
.DEFAULT_GOAL := help

help:
	@echo "make run    - set up, prepare data, execute every notebook into build/ (summary table)"
	@echo "make test   - set up, prepare data, unit tests + nbval over every student notebook + nbgrader round trip on 01"
	@echo "make lint   - ruff format --check and ruff check (make test runs it first)"
	@echo "make test-browser - the widgets of notebooks 01 and 04, clicked in headless Chromium in JupyterLab"
	@echo "make data   - fetch and verify weights and datasets (offline-friendly; STAMPS_FROM=DIR for a Tux Paint stamps folder)"
	@echo "make platforms - resolve every dependency for Python 3.11-3.13 on Linux, macOS and Windows (package index)"
	@echo "make lab    - open JupyterLab on notebooks/index.ipynb"
	@echo "make execute - re-execute the committed notebooks in place (after editing one)"
	@echo "make nav    - regenerate navigation cells and the contents list"
	@echo "make exercises - regenerate the student notebooks from the instructor versions (nbgrader)"
	@echo "make translations - regenerate the Korean notebooks (notebooks/ko/) and README.ko.md's list from the English notebooks and notebooks/translations/ko/"
	@echo "make grade SUBMISSIONS=dir - autograde a class, each kernel in a bubblewrap sandbox -> build/grades.csv, build/feedback/, build/grade_problems.txt (GRADE_FLAGS=\"--trusted\" etc.)"
	@echo "make grade-check - nbval over the instructor versions, a hostile class graded on 01, and the round trip (solved, untouched) on every notebook"
	@echo "make bench  - performance benchmarks -> benchmarks/results.{json,md}"
	@echo "make matrix - the full decision-matrix sweep, serial, one thread -> notebooks/results/decision_matrix.json"
	@echo "make matrix-check - the sweep again on every core (ENGINE=joblib) into build/, compared point by point with the committed file"
	@echo "make recipes - notebook 04's fine-tuning recipe variants over seeds -> notebooks/results/fine_tuning_recipes.json"
	@echo "make controls - notebook 05b's controls (one image size, a bigger from-scratch budget) -> notebooks/results/decision_matrix_controls.json"
	@echo "make selection - notebook 06's model selection: two backbones, transferability scores against measured accuracy -> notebooks/results/model_selection.json"
	@echo "make claims - every number the notebooks' text quotes, held against their outputs"

# The virtual environment (Python 3.11-3.13, the versions of constraints.txt), rebuilt when the dependency files
# change; it also writes the venv's Jupyter settings (JupyterLab offline, kernels over IPC): tools/venv.py.
$(STAMP): pyproject.toml constraints.txt tools/jupyter/overrides.json tools/jupyter/jupyter_server_config.json
	$(PYTHON) -m tools.venv

# STAMPS_FROM=DIR: take the photo stamps from a Tux Paint stamps folder first (python -m data_scripts --stamps-from DIR)
data: $(STAMP)
	$(PY) -m data_scripts $(if $(STAMPS_FROM),--stamps-from "$(STAMPS_FROM)")

run: data
	$(PY) -m tools.run_notebooks

# ruff's format and lint checks (configured in pyproject.toml), then every test.
lint: $(STAMP)
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .

test: data lint
	$(PY) -m pytest

# Needs Debian's chromium and chromium-driver (.ci/run installs them); downloads no browser or driver.
test-browser: data
	$(PY) -m pytest -m browser tests/test_browser.py

# Every dependency resolved for Python 3.11-3.13 on Linux, macOS and Windows, from the package index (.ci/run runs it).
platforms: $(STAMP)
	$(PY) -m pytest -m platforms tests/test_platforms.py

lab: data
	$(PY) -m tools.lab

execute: data nav
	$(PY) -m tools.run_notebooks --inplace $(NB)
	$(PY) -m tools.translations

nav: $(STAMP)
	$(PY) -m tools.navigation
	$(PY) -m tools.translations

# The student notebooks are generated from notebooks/solutions/ (the instructor versions); execute them after.
exercises: $(STAMP)
	$(PY) -m tools.exercises

# The Korean edition: derived from the executed English notebooks and their catalogues, never executed itself.
translations: $(STAMP)
	$(PY) -m tools.translations

grade: data
	@test -n "$(SUBMISSIONS)" || { echo "make grade SUBMISSIONS=<folder with one notebook or folder per student>"; exit 2; }
	$(PY) -m tools.grade "$(SUBMISSIONS)" --output build $(GRADE_FLAGS)

grade-check: data
	GRADE_ALL=1 $(PY) -m pytest tests/test_grading.py notebooks/solutions

bench: data
	$(PY) -m benchmarks.bench

RESULTS := notebooks/results/decision_matrix.json
ENGINE ?= joblib

# Finished runs are kept one file each under build/sweep_jobs*/: an interrupted sweep resumes where it stopped.
matrix: data
	$(PY) -m tlhelpers.sweep --threads 1 --output $(RESULTS) --jobs-dir build/sweep_jobs

# Notebook 04's measured recipe choices: the fine-tuning recipe and three variants, 5 seeds at four points (80 runs).
RECIPES := notebooks/results/fine_tuning_recipes.json
recipes: data
	$(PY) -m tlhelpers.sweep --recipes --engine $(ENGINE) --output $(RECIPES) --jobs-dir build/sweep_jobs

# Notebook 05b's controls: Fashion-MNIST at the photos' image size, from scratch with five times the steps (29 runs).
CONTROLS := notebooks/results/decision_matrix_controls.json
controls: data
	$(PY) -m tlhelpers.sweep --controls --engine $(ENGINE) --output $(CONTROLS) --jobs-dir build/sweep_jobs

# Notebook 06's measurement: two backbones x two layers, scored before training and measured after (120 runs).
SELECTION := notebooks/results/model_selection.json
selection: data
	$(PY) -m tlhelpers.sweep --selection --engine $(ENGINE) --output $(SELECTION) --jobs-dir build/sweep_jobs

matrix-check: data
	$(PY) -m tlhelpers.sweep --engine $(ENGINE) --output build/decision_matrix_again.json --jobs-dir build/sweep_jobs_again
	$(PY) -m tlhelpers.results build/decision_matrix_again.json --compare $(RESULTS)

# The notebooks' text against their outputs: every quoted number must be printed in its notebook (tools/claims.py).
claims: $(STAMP)
	$(PY) -m tools.claims

constraints: $(STAMP)
	@(echo "# Exact versions behind the committed notebook outputs (pip install -c constraints.txt)."; \
	  echo "# Regenerate with: make constraints"; \
	  $(PY) -m pip freeze --exclude-editable --exclude tlhelpers) > constraints.txt.new && mv constraints.txt.new constraints.txt

clean:
	rm -rf build
