# The two Quickstart entry points: `make demo` (main job) and `make test` (what CI runs).
# Both create the virtualenv from the pinned requirements on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements-dev.txt pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: setup test lint style typecheck pytest demo clean interop

$(STAMP):
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	$(PY) -m pip install -q --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

lint: style typecheck

style: $(STAMP)
	$(VENV)/bin/ruff check infra opsctl sandbox policy tests bench
	$(VENV)/bin/ruff format --check infra opsctl sandbox policy tests bench

typecheck: style
	$(VENV)/bin/mypy infra opsctl sandbox policy

pytest: style
	$(PY) -m pytest -q -n 2

# ruff first (a second), then mypy beside the suite: the two pytest workers leave a core idle
# for a tenth of the run (waits on the sandbox, process start-up), which a cold mypy (~20 s) fills.
# Either failing fails `make test`.
test: $(STAMP)
	$(MAKE) --no-print-directory -j2 typecheck pytest

# The real Azure CLI against the sandbox (tests/interop): it installs azure-cli into a cached venv
# outside the repo (~/.cache/ragstack/azure-cli-<version>) on first use, minutes that `make test`'s
# budget does not carry. CI runs it right after `make test`.
interop: $(STAMP)
	$(PY) -m pytest -q tests/interop

# The sandbox's operator (sandbox/constants.py OPERATOR_OBJECT_ID): Owner has no data actions, so the
# demo grants it the developer preset's data roles before building the index and loading the corpus.
# --no-write-back: the operator exists only in the sandbox, so the grant stays out of Pulumi.dev.yaml
# (recorded there, the real dev stack would fail on PrincipalNotFound and the clone would be dirty).
OPERATOR_ID := 00000000-0000-4000-a000-0000000000d1

demo: $(STAMP)
	$(VENV)/bin/opsctl sandbox start
	$(VENV)/bin/opsctl up --stack dev --sandbox
	$(VENV)/bin/opsctl status --stack dev
	$(VENV)/bin/opsctl access grant --stack dev --principal $(OPERATOR_ID) --principal-type ServicePrincipal --preset developer --no-write-back
	$(VENV)/bin/opsctl index apply --stack dev --yes
	$(VENV)/bin/opsctl ingest --stack dev samples/corpus
	$(VENV)/bin/opsctl query --stack dev "How many vacation days per year?" --answer
	$(VENV)/bin/opsctl smoke --stack dev

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
