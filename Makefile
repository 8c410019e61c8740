# The two commands (see README.md): `make reproduce` and `make test`.
# Both set up .venv first when it is missing or older than what it is built from.
SHELL := /bin/bash
VENV := .venv
STAMP := $(VENV)/.setup-stamp
PROFILE ?= $(shell (command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1) && echo paper || echo quick)
ONLY ?=
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export MPLBACKEND := Agg

.PHONY: setup reproduce test export readme
setup: $(STAMP)

$(STAMP): settings.ini setup.py tools/setup_env.sh
	@bash tools/setup_env.sh
	@touch $(STAMP)

reproduce: $(STAMP)
	talking-heads reproduce --profile $(PROFILE) $(if $(ONLY),--only $(ONLY),)

test: $(STAMP)
	@bash tools/test.sh

export: $(STAMP)
	nbdev_export && nbdev_clean && python tools/make_readme.py

readme: $(STAMP)
	python tools/make_readme.py
