# The README's commands. `make demo` and `make test` each set everything up first.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

# llama-cpp-python builds llama.cpp from source. Build only what briefgen uses: the llama
# library, no multimodal (mtmd/llava) library; examples, tools and tests are already off
# when llama.cpp is a subproject. One instruction set for every x86-64 machine (AVX2, FMA,
# F16C, BMI2: any server CPU since 2013), not -march=native: under greedy decoding the model's
# replies depend on the float code it runs, and a native build on an AVX-512 machine answered
# otherwise than one on an AVX2 machine (the seeds' figures moved with the machine, not the
# code). The same build everywhere gives the same replies, so the figures in bench/RESULTS.md
# reproduce on a fresh clone; it also never emits AMX, which faults on some virtual machines.
# Other architectures (aarch64) build native code. To tune for this very CPU instead:
# make LLAMA_CMAKE_ARGS='-DLLAVA_BUILD=OFF -DGGML_NATIVE=ON' (faster there, other replies).
LLAMA_VERSION := 0.3.36
LLAMA_X86 := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
LLAMA_CMAKE_ARGS ?= -DLLAVA_BUILD=OFF $(if $(filter x86_64,$(shell uname -m)),$(LLAMA_X86),-DGGML_NATIVE=ON)
# The built wheel is kept per machine and build flags, so later set-ups take seconds.
LLAMA_KEY := $(shell echo '$(LLAMA_VERSION) $(LLAMA_CMAKE_ARGS)' "$$(uname -m)" | sha256sum | cut -c1-12)
WHEELS ?= $(HOME)/.cache/briefgen/wheels/$(LLAMA_KEY)
LLAMA_STAMP := $(VENV)/.llama-$(LLAMA_KEY)

.PHONY: demo test test-fast lint setup setup-test system-test-deps bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(WHEELS)/.built: | $(BIN)/python
	@echo "building llama.cpp for the embedded model: about 3 minutes on 2 cores, once per machine"
	mkdir -p $(WHEELS)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip wheel --quiet --no-deps --no-cache-dir -w $(WHEELS) 'llama-cpp-python==$(LLAMA_VERSION)'
	touch $@

# Installed from the kept wheel even when the venv already has another build of it.
$(LLAMA_STAMP): $(WHEELS)/.built
	$(BIN)/pip install --quiet --force-reinstall --no-deps --no-index --find-links $(WHEELS) 'llama-cpp-python==$(LLAMA_VERSION)'
	touch $@

setup: $(LLAMA_STAMP)
	$(BIN)/pip install --quiet --find-links $(WHEELS) -e '.[local]'

setup-test: $(LLAMA_STAMP) system-test-deps
	$(BIN)/pip install --quiet --find-links $(WHEELS) -e '.[local,test]'

# The browser (HTML brief layout) and cron (schedule) tests need Debian's chromium and cron.
system-test-deps:
	@need=""; command -v chromium >/dev/null 2>&1 || need="$$need chromium"; \
	command -v crontab >/dev/null 2>&1 || need="$$need cron"; \
	if [ -n "$$need" ]; then \
		echo "installing Debian packages for the tests:$$need"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo -n"; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$need >/dev/null; \
	fi

## Build the brief of seeds/ with the embedded model (no API key, no server): brief.md
demo: setup
	$(BIN)/briefgen build seeds/ -o brief.md
	@echo "brief written to brief.md"

## Lint and type-check the package (the settings in pyproject.toml)
lint: setup-test
	$(BIN)/ruff check briefgen tests bench
	$(BIN)/mypy briefgen

## Set up and run every test, the slow real-model ones included, after lint and types
test: lint
	$(BIN)/python -m pytest -q

## Everything but the real-model tests (seconds, not minutes)
test-fast: setup-test
	$(BIN)/python -m pytest -q -m "not slow"

bench: setup-test
	$(BIN)/python bench/bench_seeds.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
