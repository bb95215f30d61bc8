# The two commands of the quick start: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install bench-install demo test serve bench clean
FVC ?= ../shared/data/fvc

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

# the benchmark suite of the README's table (long: about 2 hours on 2 cores; JSON in bench-results/)
bench: bench-install
	$(BIN)/scomm bench fvc $(FVC) --peer nbis --json-out bench-results/fvc-images-peer.json
	$(BIN)/scomm bench fvc $(FVC) --iso --json-out bench-results/fvc-iso.json
	$(BIN)/scomm bench synth --out bench-results
	$(BIN)/scomm bench search --source images --subjects 2000 --probes 200 --cache bench-results/cache --json-out bench-results/search-images-2000.json
	$(BIN)/scomm bench search --source templates --subjects 100000 --probes 400 --cache bench-results/cache --json-out bench-results/search-templates-100000.json
