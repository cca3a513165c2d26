# The two commands: `make demo` and `make test`. Everything else here serves them.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium
BENCH ?=
SCALE ?= small
export PIP_DISABLE_PIP_VERSION_CHECK=1

.PHONY: demo test install lint typecheck pytest browser-deps gateway-deps bench messages clean worker serve

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

## make demo: install, migrate, load Luoyang + demo data, start a worker and the site on :8000
demo: install
	@mkdir -p var
	WENGANG_DEMO=1 $(BIN)/wengang migrate --noinput -v 0
	WENGANG_DEMO=1 $(BIN)/wengang demo-load
	@if [ -f var/worker.pid ] && kill -0 $$(cat var/worker.pid) 2>/dev/null; then kill $$(cat var/worker.pid); sleep 2; fi
	WENGANG_DEMO=1 $(BIN)/celery --workdir=$(CURDIR) -A config worker -B --schedule=$(CURDIR)/var/celerybeat-schedule --pool=solo --loglevel=INFO \
		--logfile=$(CURDIR)/var/worker.log --pidfile=$(CURDIR)/var/worker.pid --detach
	@echo "后台任务进程已启动（日志 var/worker.log）。网站：http://127.0.0.1:8000"
	WENGANG_DEMO=1 $(BIN)/wengang runserver 127.0.0.1:8000 --noreload

## make test: install what the tests need (Chromium included) and run lint, types and every test
test: install browser-deps gateway-deps lint typecheck pytest

browser-deps:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "Browser tests need Debian's chromium: sudo apt-get install chromium" >&2; exit 1; fi; fi

# Kannel (bearerbox, smsbox and the fakesmsc test operator) for the SMS gateway tests. Never fails: where it
# cannot be installed those tests are skipped and say why.
gateway-deps:
	@if [ ! -x /usr/sbin/bearerbox ] || [ ! -x /usr/sbin/smsbox ] || [ ! -x /usr/lib/kannel/test/fakesmsc ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kannel kannel-extras >/dev/null) \
			|| echo "Could not install kannel kannel-extras: the SMS gateway tests will be skipped" >&2; \
		else echo "SMS gateway tests need Debian's kannel and kannel-extras (sudo apt-get install kannel kannel-extras); skipping them" >&2; fi; fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy wengang config

pytest: install
	$(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS)

## make bench [BENCH=name] [SCALE=small|city|province]: run benchmarks, results in bench/results/<name>.json
bench: install
	$(BIN)/python -m bench.run $(if $(BENCH),--only $(BENCH)) --scale $(SCALE)

## make messages: refresh the translation catalogues after changing user-facing strings
messages: install
	cd wengang && ../$(BIN)/django-admin makemessages -l zh_Hans --settings=config.settings.test --pythonpath=.. -i 'static/*' -i 'tests/*'
	cd wengang && ../$(BIN)/django-admin compilemessages --settings=config.settings.test --pythonpath=..

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
