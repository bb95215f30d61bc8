# The two commands of the quick start: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install -q --disable-pip-version-check

.PHONY: install test-install bench-install demo test lint serve bench chaos fuzz clean
FVC ?= ../shared/data/fvc
FUZZ_RUNS ?= 100000
CHAOS_N ?= 2000
CHAOS_KILLS ?= 50
PG ?= postgresql://postgres@127.0.0.1:55432/scomm_chaos

# run time only (make demo installs no test tools)
$(BIN)/.installed: requirements.lock pyproject.toml
	$(PY) -m venv $(VENV)
	$(PIP) -r requirements.lock
	$(PIP) --no-deps --no-build-isolation -e .
	touch $@

$(BIN)/.installed-test: $(BIN)/.installed requirements-test.lock
	$(PIP) -r requirements-test.lock
	touch $@

install: $(BIN)/.installed
test-install: $(BIN)/.installed-test

# optional: the benchmark peer (NBIS via nbis-py), for `scomm bench fvc --peer nbis`
bench-install: install
	$(PIP) -r requirements-bench.lock

demo: install
	$(BIN)/scomm demo $(ARGS)

lint: test-install
	$(BIN)/ruff check scomm tests
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache scomm.db

# the benchmark suite of the README's tables (long: about 5 hours on 2 cores; JSON in bench-results/)
bench: bench-install
	$(BIN)/scomm bench fvc $(FVC) --peer nbis --json-out bench-results/fvc-images-peer.json
	SCOMM_LEADER_RUNTIME=openvino-bf16 $(BIN)/scomm bench fvc $(FVC) --peer nbis --json-out bench-results/fvc-images-peer-openvino-bf16.json
	SCOMM_LEADER_RUNTIME=openvino-bf16 $(BIN)/scomm bench calibrate --extractor leader --json-out bench-results/calibrate-leader-openvino-bf16.json
	for a in 2 4 8; do SCOMM_LEADER_RUNTIME=openvino-bf16 $(BIN)/scomm bench fvc $(FVC) --anchors $$a --json-out bench-results/fvc-anchors-$$a-openvino-bf16.json; done
	$(BIN)/scomm bench fvc $(FVC) --gate 0.02 --json-out bench-results/fvc-gate-0.02.json
	$(BIN)/scomm bench fvc $(FVC) --consolidation lssr --json-out bench-results/fvc-lssr.json
	$(BIN)/scomm bench fvc $(FVC) --iso --json-out bench-results/fvc-iso.json
	$(BIN)/scomm bench synth --out bench-results
	$(BIN)/scomm bench calibrate --extractor leader --json-out bench-results/calibrate-leader.json
	$(BIN)/scomm bench calibrate --extractor classical --json-out bench-results/calibrate-classical.json
	$(BIN)/scomm bench search --source images --subjects 2000 --probes 1000 --cache bench-results/cache --json-out bench-results/search-images-leader.json
	$(BIN)/scomm bench search --source templates --subjects 100000 --probes 1000 --cache bench-results/cache --json-out bench-results/search-templates-100000.json
	$(BIN)/scomm bench index --subjects 100000 --json-out bench-results/index-100000.json
	$(BIN)/scomm bench hub --bookings 30 --workers 2 --extractor classical --json-out bench-results/hub-classical.json
	$(BIN)/scomm bench hub --bookings 30 --workers 2 --extractor leader --json-out bench-results/hub-leader.json
	$(BIN)/scomm bench hub --bookings 30 --workers 2 --extractor leader --ray local --json-out bench-results/hub-leader-ray.json
	$(BIN)/scomm bench cluster --subjects 20000 --json-out bench-results/cluster.json

# the hub under kills, on SQLite and (with PG=URL of an empty database) PostgreSQL: about an hour each
chaos: install
	$(BIN)/scomm bench chaos --transactions $(CHAOS_N) --kills $(CHAOS_KILLS) --json-out bench-results/chaos-sqlite.json
	$(BIN)/scomm bench chaos --transactions $(CHAOS_N) --kills $(CHAOS_KILLS) --database $(PG) --json-out bench-results/chaos-postgresql.json

# coverage-guided fuzzing of ANSI/NIST intake (atheris): FUZZ_RUNS inputs, crashes and inputs over 5 s reported
fuzz: test-install
	$(BIN)/python -m tests.fuzz.fuzz_intake --runs $(FUZZ_RUNS) --json-out bench-results/fuzz-intake.json
