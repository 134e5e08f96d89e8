# Two commands set everything up: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

.PHONY: run test bench bench-readme fuzz soak venv redis-tools clean readme-commands

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[test,bench]'
	touch $(STAMP)

venv: $(STAMP)

## Start the server on 127.0.0.1:6379 with the embedded defaults.
run: $(STAMP)
	$(VENV)/bin/damselfly --bind 127.0.0.1 --port 6379

## Debian's redis-server / redis-tools back the differential suite and the bench;
## openssl makes the TLS tests' throw-away certificates.
redis-tools:
	@command -v redis-server >/dev/null 2>&1 && command -v redis-benchmark >/dev/null 2>&1 && \
	  command -v openssl >/dev/null 2>&1 || \
	  (export DEBIAN_FRONTEND=noninteractive; apt-get install -y -q redis-server redis-tools openssl >/dev/null 2>&1 || \
	   (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q redis-server redis-tools openssl >/dev/null))

test: $(STAMP) redis-tools
	$(PY) -m pytest -q

bench: $(STAMP) redis-tools
	$(PY) -m bench all

## The runs the README's Benchmarks section is rendered from (docs/benchmarks.md), then the section itself.
bench-readme: $(STAMP) redis-tools
	rm -rf bench/results/readme-all bench/results/readme-s100 bench/results/readme-s1000 \
	  bench/results/readme-p16 bench/results/readme-p1
	$(PY) -m bench all --datapath-repeat 3 --out bench/results/readme-all
	$(PY) -m bench fanout --subscribers 100 --pipeline 100 --out bench/results/readme-s100
	$(PY) -m bench fanout --subscribers 1000 --pipeline 100 --out bench/results/readme-s1000
	$(PY) -m bench datapath --targets damselfly-batch,redis --tests get,set -n 1000000 \
	  --datapath-pipeline 16 --datapath-repeat 3 --out bench/results/readme-p16
	$(PY) -m bench datapath --targets damselfly-batch,redis --tests get,set -n 200000 \
	  --datapath-pipeline 1 --datapath-repeat 3 --out bench/results/readme-p1
	$(PY) -m bench.publish bench/results/readme-all bench/results/readme-s100 bench/results/readme-s1000 \
	  bench/results/readme-p16 bench/results/readme-p1

fuzz: $(STAMP)
	DAMSELFLY_FUZZ_EXAMPLES=20000 $(PY) -m pytest -q tests/unit/protocol -k fuzz
	DAMSELFLY_FUZZ_SECONDS=$${DAMSELFLY_FUZZ_SECONDS:-60} $(PY) -m pytest -q tests/integration/test_net_fuzz.py

## Mixed traffic for SOAK_MINUTES (default 5) against a process-mode server; memory curve
## (CSV + PNG) in bench/results/soak-<timestamp>/. Not part of CI.
soak: $(STAMP)
	SOAK_MINUTES=$${SOAK_MINUTES:-5} $(PY) -m bench.soak

readme-commands: $(STAMP)
	$(PY) scripts/gen_commands_table.py --write

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
