# The two commands of the quick start: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install bench-install demo test serve bench clean

$(BIN)/.installed: requirements.lock pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

install: $(BIN)/.installed

# optional: the benchmark peer (NBIS via nbis-py), for `scomm bench fvc --peer nbis`
bench-install: install
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-bench.lock

demo: install
	$(BIN)/scomm demo $(ARGS)

test: install
	$(BIN)/pytest -q $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache scomm.db
