# Two commands on a fresh machine: `make run` and `make test`.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
HOST    ?= 127.0.0.1
PORT    ?= 7860
RAY     ?=
export GRADIO_ANALYTICS_ENABLED = False
export TF_CPP_MIN_LOG_LEVEL = 2

.PHONY: run test lint screenshots install install-dev install-ray chromium benchmark versus-nanogpt pretrained clean

# RAY=auto (this computer is the cluster's head) or RAY=HOST:6379: trainings run on that Ray cluster.
run: install $(if $(RAY),install-ray)  ## start the app on the pretrained default (http://$(HOST):$(PORT)); VERBOSE=1 shows the logs
	@$(PY) app.py --host $(HOST) --port $(PORT) $(if $(RAY),--ray $(RAY)) $(if $(VERBOSE),--verbose)

test: install-dev chromium  ## the static checks, then the whole suite: unit, API and browser tests
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

lint: install-dev  ## the static checks alone (ruff, configured in pyproject.toml)
	$(VENV)/bin/ruff check .

screenshots: install-dev chromium  ## the browser tests, writing the README's pictures to docs/
	PLAYGROUND_SCREENSHOTS=1 $(PY) -m pytest tests/test_browser*.py

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev
install-ray: $(VENV)/.installed-ray  ## the app's libraries and Ray: what each computer of a cluster needs

# A venv made without ensurepip (Debian without python3-venv) has no pip: start again, installing it.
$(VENV)/.installed: requirements.txt
	@$(PY) -m pip --version >/dev/null 2>&1 || { rm -rf $(VENV); $(PYTHON) -m venv $(VENV) 2>/dev/null || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q python3-venv && \
		rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# Ray alone, at the version requirements-dev.txt pins (the only place it is pinned).
$(VENV)/.installed-ray: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet "$$(grep -E '^ray==' requirements-dev.txt)"
	touch $@

# Browser tests drive Debian's Chromium; Playwright never downloads a browser here.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; \
	fi

benchmark: install  ## speed and memory figures (training needs a corpus: CORPUS=...)
	$(PY) benchmarks/generate.py
	$(PY) benchmarks/next_token.py
	$(PY) benchmarks/memory.py
	$(PY) benchmarks/baselines.py
	$(PY) benchmarks/reading.py
	$(PY) benchmarks/step_profile.py
	$(PY) benchmarks/train.py --corpus $(CORPUS)
	$(PY) benchmarks/load.py

# nanoGPT's CPU recipe and our defaults, one after the other on this machine (see the README's "Speed and memory").
NANOGPT      ?= nanoGPT
TORCH_PYTHON ?= python3
versus-nanogpt: install  ## side by side with nanoGPT: NANOGPT=its checkout, TORCH_PYTHON=a Python with PyTorch
	$(PY) benchmarks/versus_nanogpt.py --corpus $(CORPUS) --nanogpt $(NANOGPT) --torch-python $(TORCH_PYTHON)

# Retrains the shipped models from Tiny Shakespeare (first 90 % trains, last 10 % validates), one after
# another (20 minutes each, or a fixed number of epochs), then writes each card from the bundle's own numbers,
# then measures their quality-diversity curves against the same held-out text (about 5 minutes on 2 cores) into
# each bundle's quality_diversity.csv, which the Compare tab shows at start.
CORPUS ?= ../shared/data/tinyshakespeare.txt
TRAIN  := $(PY) -m playground train --corpus $(CORPUS) --seed 1 --json
LSTM_ARGS        := --minutes 20 --arch lstm --units 256 --layers 2 --embedding 64 \
	--batch-size 64 --window 128 --lr 0.002 --schedule constant
GRU_ARGS         := --minutes 20 --arch gru --units 256 --layers 2 --embedding 64 \
	--batch-size 64 --window 128 --lr 0.003 --schedule cosine
TRANSFORMER_ARGS := --epochs 6 --arch transformer --embedding 128 --heads 4 --layers 4 --context 128 --dropout 0.1 \
	--batch-size 32 --window 128 --lr 0.002 --optimizer adamw --schedule cosine --warmup 50
# The transformer then trains ten more epochs at a lower rate (see its card).
TRANSFORMER_MORE := resume --run pretrained/transformer --epochs 10 --lr 0.001 --schedule cosine --warmup 0 --json
WORDS_ARGS       := --minutes 8 --arch transformer --level word --dropout 0.2
GAN_ARGS         := --minutes 10 --arch gan --units 256 --embedding 64 --pretrain-share 0.8 --mle-mix 0.5 \
	--batch-size 64 --window 32 --lr 0.01 --schedule cosine
pretrained: install
	$(foreach m,lstm gru transformer gan words,\
		$(TRAIN) $($(shell echo $(m) | tr a-z A-Z)_ARGS) --out pretrained/$(m) && \
		$(if $(filter transformer,$(m)),$(PY) -m playground $(TRANSFORMER_MORE) &&) \
		$(PY) -m playground card --model pretrained/$(m) \
			--command "python -m playground train --corpus tinyshakespeare.txt --seed 1 $($(shell echo $(m) | tr a-z A-Z)_ARGS) --out pretrained/$(m)$(if $(filter transformer,$(m)), && python -m playground $(TRANSFORMER_MORE))" && ) true
	$(PY) -m playground.runs.quality_curves $(foreach m,lstm gru transformer gan words,pretrained/$(m))

clean:
	rm -rf $(VENV) .pytest_cache
