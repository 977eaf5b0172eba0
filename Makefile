# Every target creates .venv from requirements.txt on first use.
# The two commands a new user needs: `make book` and `make test`.

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
MATHJAX := _vendor/mathjax/startup.js
KERNEL_CONFIG := $(VENV)/etc/ipython/ipython_kernel_config.py
WHEEL := _build/wheel/.built
export PATH := $(BIN):$(PATH)

.PHONY: book test lint format exercises grade bench setup clean bwrap release

setup: $(STAMP) $(MATHJAX) $(KERNEL_CONFIG) $(WHEEL)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# The kernels' config (book/ipython_kernel_config.py says why), where IPython reads the
# environment's own config files.
$(KERNEL_CONFIG): book/ipython_kernel_config.py $(STAMP)
	mkdir -p $(dir $@) && cp $< $@

# The students' wheel of rnnlab (no class grader, no secret), which the book links for
# download: built before the book, again whenever the package changes.
$(WHEEL): $(shell find rnnlab -type f -not -path '*/__pycache__/*') pyproject.toml $(STAMP)
	$(BIN)/python -m rnnlab.course.release wheel
	touch $@

# MathJax is installed from the npm registry and its components copied next to the book
# (never committed). The single-file bundles (tex-mml-chtml.js) embed the speech-rule
# engine, which names a CDN; the separate components below name none.
MATHJAX_FILES := startup.js core.js input/tex-full.js output/chtml.js output/chtml/fonts/tex.js \
                 a11y/assistive-mml.js
$(MATHJAX): package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	rm -rf _vendor/mathjax && mkdir -p _vendor/mathjax/output/chtml/fonts
	cd node_modules/mathjax/es5 && cp --parents $(MATHJAX_FILES) $(CURDIR)/_vendor/mathjax/
	cp -r node_modules/mathjax/es5/output/chtml/fonts/woff-v2 _vendor/mathjax/output/chtml/fonts/
	touch $(MATHJAX)

# The notebook cache keys on a chapter's code cells only: when the package the chapters
# import changes, their outputs (the glued numbers) must be recomputed, so drop the cache.
BOOK_SOURCES := $(shell find rnnlab -name '*.py' -not -path 'rnnlab/course/*')
_build/.rnnlab-stamp: $(BOOK_SOURCES)
	rm -rf _build/.jupyter_cache
	mkdir -p _build && touch $@

book: setup _build/.rnnlab-stamp
	$(BIN)/jupyter-book build -W --keep-going .

# The grader runs every notebook in a bubblewrap sandbox, and its tests need bwrap. As
# root on Debian/Ubuntu it is installed here; otherwise the target stops with the command.
test: setup bwrap
	$(BIN)/python -m pytest

bwrap:
	@command -v bwrap >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null \
	  || (apt-get update -q && apt-get install -y -q bubblewrap) >/dev/null 2>&1 || true
	@command -v bwrap >/dev/null 2>&1 \
	  || { echo "the grading tests need bubblewrap: sudo apt-get install bubblewrap"; exit 2; }

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The student notebooks, generated from solutions/ by nbgrader (run from the course root;
# nbgrader calls alembic, which is in $(BIN), on PATH, to create a new gradebook), then
# rnnlab/course/grading/released_tests.json: the released test cells `rnnlab check` compares with.
exercises: $(STAMP)
	cd $(CURDIR) && $(BIN)/nbgrader generate_assignment "*" --force
	cd $(CURDIR) && $(BIN)/python -m rnnlab.course.grading.released

# Grades into grading/ (gradebook, feedback/, grades.csv); GRADE_OPTIONS passes more, e.g.
# GRADE_OPTIONS="--jobs 8 --db postgresql+psycopg2://user@host/db" (see README, Grading a class).
grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=path/to/folder [GRADE_OPTIONS=...]"; exit 2; }
	$(BIN)/rnnlab grade "$(SUBMISSIONS)" $(GRADE_OPTIONS)

# The student edition: the book, the released notebooks, the wheel and a README, in
# _build/release/rnn-course/ and rnn-course.zip; refused while it would hold a line of a
# solution, a hidden test, a file of solutions/ or the course secret.
release: book
	$(BIN)/python -m rnnlab.course.release

bench: setup
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf _build _vendor node_modules .pytest_cache .ruff_cache
