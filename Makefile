# ardemo: the book and its library. `make book` and `make test` set up everything they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.11 takes torch 2.14.1 / torchvision 0.29.1 from local wheels on the project's machines.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.ardemo-installed
# processes for make test's two stages (pytest-xdist): one per core of the project's 2-core machine
TEST_PROCESSES ?= 2
EXTRAS ?= book,test
BUILD  := build
NB_DIR := $(BUILD)/notebooks
# chapters are the MyST notebooks in book/ (the ones with a kernelspec)
CHAPTERS := $(shell grep -l '^kernelspec:' book/*.md)
NOTEBOOKS := $(patsubst book/%.md,$(NB_DIR)/%.ipynb,$(CHAPTERS))
# results files: found below the working directory, else beside the package (ardemo.experiments.results)
# the MNIST test split beside the repository, when there is one
ifeq ($(origin ARDEMO_DATA_DIR), undefined)
  ifneq ($(wildcard ../shared/data/MNIST/raw),)
    export ARDEMO_DATA_DIR := $(abspath ../shared/data)
  endif
endif

.PHONY: help install book test test-grading unit lint format nbval streams notebooks exercises grade lab bench mutants experiments check-pages clean

help:
	@echo "make book       build the HTML book, executing every notebook (book/_build/html)"
	@echo "make test       ruff, unit tests and docstring examples, then every notebook under nbval"
	@echo "make test-grading  the nbgrader grading tests, end to end (CI runs them after make test)"
	@echo "make lint       ruff check + ruff format --check;  make format: fix what ruff can"
	@echo "make streams    every notebook under nbval on other random streams (STREAM_OFFSETS, default 1..5)"
	@echo "make notebooks  plain .ipynb copies of the chapters in $(NB_DIR)/"
	@echo "make exercises  student edition: notebooks without solutions + HTML book ($(BUILD)/student), and the lab for nbgrader"
	@echo "make grade SUBMISSIONS=dir  grade the students' lab notebooks in dir with nbgrader; prints a score table"
	@echo "make lab        JupyterLab on book/ (chapters open as notebooks; LAB_ARGS=... passes options)"
	@echo "make bench      benchmarks"
	@echo "make mutants    every chapter with each planted fault: the check cells that catch it (minutes)"
	@echo "make check-pages  the built book's pages in headless Chromium (run make book first)"
	@echo "make experiments  regenerate every results file in book/data (hours on a CPU; see the README)"
	@echo "make clean      remove build outputs (keeps .venv)"

# (Re)install when the venv is missing or pyproject.toml changed.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	@touch $@

install: $(STAMP)

# nbgrader, an optional extra: installed by the targets that grade (and by make test, which tests the grading)
GRADE_STAMP := $(VENV)/.ardemo-grade
$(GRADE_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e ".[grade]"
	@touch $@

lint: $(STAMP)
	$(VENV)/bin/ruff check ardemo tests
	$(VENV)/bin/ruff format --check ardemo tests

format: $(STAMP)
	$(VENV)/bin/ruff check --fix ardemo tests
	$(VENV)/bin/ruff format ardemo tests

# MathJax served with the book, so its math renders offline; without npm the CDN is used.
MATHJAX := $(BUILD)/mathjax-static/mathjax/tex-chtml.js
MATHJAX_VERSION := 3.2.2
$(MATHJAX):
	@mkdir -p $(BUILD)/mathjax-static/mathjax
	@if command -v npm >/dev/null && (cd $(BUILD) && npm pack --silent mathjax@$(MATHJAX_VERSION) >/dev/null 2>&1); then \
		tar -xzf $(BUILD)/mathjax-$(MATHJAX_VERSION).tgz -C $(BUILD)/mathjax-static/mathjax --strip-components=2 \
			package/es5/tex-chtml.js package/es5/output/chtml/fonts/woff-v2 && rm $(BUILD)/mathjax-$(MATHJAX_VERSION).tgz; \
	else echo "npm or the npm registry is not available: the book will load MathJax from its CDN"; fi

book: $(STAMP) $(MATHJAX)
	$(VENV)/bin/jupyter-book build book -W -n --keep-going
	@echo "The book is at $(CURDIR)/book/_build/html/index.html"

$(NB_DIR)/%.ipynb: book/%.md $(STAMP)
	@mkdir -p $(NB_DIR)
	$(VENV)/bin/jupytext --quiet --to ipynb --output $@ $<

notebooks: $(NOTEBOOKS)

# lint and format check, then unit tests and every docstring example (pytest's testpaths: tests, ardemo)
unit: $(STAMP) $(GRADE_STAMP)
	$(VENV)/bin/ruff check ardemo tests
	$(VENV)/bin/ruff format --check ardemo tests
	$(PY) -m pytest -n $(TEST_PROCESSES) -m "not grading" --durations=15

# nbgrader end to end (releases, autogrades a class of submissions: minutes); CI runs it after make test
test-grading: $(GRADE_STAMP)
	$(PY) -m pytest -n $(TEST_PROCESSES) -m grading

nbval: $(STAMP) $(NOTEBOOKS)
	PYTHONPATH=tests $(PY) -m pytest -n $(TEST_PROCESSES) --dist loadscope -p notebook_timing --nbval-lax --nbval-current-env \
		--nbval-cell-timeout=600 -o testpaths= -o addopts= $(NOTEBOOKS)

# every chapter again with every seed_all(k) moved to k + offset: checks must hold on any stream
STREAM_OFFSETS ?= 1 2 3 4 5
streams: $(STAMP) $(NOTEBOOKS)
	@mkdir -p $(BUILD)/streams
	@for off in $(STREAM_OFFSETS); do \
		echo "== ARDEMO_SEED_OFFSET=$$off"; \
		ARDEMO_SEED_OFFSET=$$off PYTHONPATH=tests $(PY) -m pytest -q -p no:cacheprovider --nbval-lax \
			--nbval-current-env --nbval-cell-timeout=600 -o testpaths= -o addopts= \
			--junitxml=$(BUILD)/streams/offset-$$off.xml $(NOTEBOOKS) | tail -1; \
	done
	$(PY) tests/streams_report.py $(addprefix $(BUILD)/streams/offset-,$(addsuffix .xml,$(STREAM_OFFSETS)))

# The unit tests, then the notebooks, each spread over two processes (pytest-xdist), one thread each
# (the book's thread policy): one process per core. A notebook's cells stay in order in one process.
test: $(STAMP) $(GRADE_STAMP) $(NOTEBOOKS)
	@status=0; \
	$(MAKE) --no-print-directory unit || status=1; \
	$(MAKE) --no-print-directory nbval || status=1; \
	exit $$status

# Student edition: solutions removed, TODO cells in the lab, self-checks kept.
STUDENT := $(BUILD)/student
exercises: $(STAMP) $(MATHJAX)
	$(PY) -m ardemo.book.student_edition book $(STUDENT)/book
	@mkdir -p $(STUDENT)/notebooks
	@for f in $$(grep -l '^kernelspec:' $(STUDENT)/book/*.md); do \
		$(VENV)/bin/jupytext --quiet --to ipynb --output $(STUDENT)/notebooks/$$(basename $${f%.md}).ipynb $$f || exit 1; \
	done
	ARDEMO_MATHJAX_STATIC=$(abspath $(BUILD)/mathjax-static) $(VENV)/bin/jupyter-book build $(STUDENT)/book -W -n --keep-going
	@$(MAKE) --no-print-directory $(GRADE_STAMP)
	$(PY) -m ardemo.book.grading release $(GRADING) $(CHAPTERS)
	@echo "Student notebooks: $(CURDIR)/$(STUDENT)/notebooks/"
	@echo "Student book:      $(CURDIR)/$(STUDENT)/book/_build/html/index.html"
	@echo "nbgrader course:   $(CURDIR)/$(GRADING) (hand out release/NAME/NAME.ipynb; make grade SUBMISSIONS=dir [CHAPTER=book/NAME.md])"

# Grade a folder of notebooks (STUDENT.ipynb or STUDENT/NAME.ipynb) of one chapter (default: the lab) with nbgrader.
GRADING := $(BUILD)/grading
CHAPTER ?= book/gaussian_rbm.md
CELL_TIMEOUT ?= 120
grade: $(GRADE_STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder-of-notebooks [CHAPTER=book/NAME.md]"; exit 2; }
	$(PY) -m ardemo.book.grading grade $(SUBMISSIONS) --chapter $(CHAPTER) --course $(GRADING) --timeout $(CELL_TIMEOUT)

# Inside a container one often runs as root, where Jupyter refuses to start without --allow-root.
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)
lab: $(STAMP)
	@$(PY) -c "import jupyterlab" 2>/dev/null || $(PY) -m pip install --quiet -e ".[book,test,lab]"
	cd book && ../$(VENV)/bin/jupyter lab $(LAB_ROOT) $(LAB_ARGS)

# The page check needs a headless Chromium: Debian's package is installed when none is found
# (as root, from the package registry); without one the check fails and says how to install it.
check-pages: $(STAMP)
	@if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null \
	    && ! command -v google-chrome >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "check-pages: installing Chromium (apt-get install chromium)"; \
	  apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 \
	    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; } \
	    || echo "check-pages: apt-get could not install chromium"; \
	fi
	$(PY) -m ardemo.book.pages book/_build/html

# planted faults (ardemo/book/mutants.py): each chapter run with one known mistake; make test runs the fast subset
mutants: $(STAMP)
	$(PY) -m ardemo.book.mutants

bench: $(STAMP)
	$(PY) tests/benchmarks/bench_sampling.py
	$(PY) tests/benchmarks/bench_pixelgnn.py
	$(PY) tests/benchmarks/bench_gibbs.py
	$(PY) tests/benchmarks/bench_gibbs.py --units 784 --chains 100 --loop-chains 1 --repeats 3
	$(PY) tests/benchmarks/bench_sbn.py
	$(PY) tests/benchmarks/bench_host_reads.py
	$(PY) tests/benchmarks/bench_chapters.py

# every results file in book/data, run again with the command it records (needs a clean tree)
experiments: $(STAMP)
	$(PY) -m ardemo.experiments regenerate $(EXPERIMENT_ARGS)

clean:
	rm -rf $(BUILD) book/_build .pytest_cache
