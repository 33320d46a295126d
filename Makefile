# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
NPM ?= npm
NODE ?= node
# Browser libraries for the screens, the desk, the kiosk and the dashboard: pinned in package-lock.json,
# copied next to the pages (git-ignored); no build step, no CDN.
VENDOR := signage/static/vendor
SOCKET_IO := node_modules/socket.io-client/dist/socket.io.esm.min.js
PRINTER_VENDOR := ticket_printer/static/vendor
QRCODE := node_modules/qrcode-generator/dist/qrcode.mjs
MANAGE_VENDOR := manage_client/static/vendor
UPLOT := node_modules/uplot/dist/uPlot.esm.js node_modules/uplot/dist/uPlot.min.css

.PHONY: setup demo test test-gevent lint bench clean

$(BIN)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,dev]'
	touch $@

$(VENDOR)/socket.io.esm.min.js: package.json package-lock.json
	$(NPM) ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp $(SOCKET_IO) $(SOCKET_IO).map $(VENDOR)/

# the kiosk's QR code; npm ci ran for the rule above (same package-lock.json)
$(PRINTER_VENDOR)/qrcode.mjs: package.json package-lock.json $(VENDOR)/socket.io.esm.min.js
	mkdir -p $(PRINTER_VENDOR)
	cp $(QRCODE) $(PRINTER_VENDOR)/

# the dashboard's chart (uPlot); npm ci ran for the socket.io rule (same package-lock.json)
$(MANAGE_VENDOR)/uPlot.esm.js: package.json package-lock.json $(VENDOR)/socket.io.esm.min.js
	mkdir -p $(MANAGE_VENDOR)
	cp $(UPLOT) $(MANAGE_VENDOR)/

setup: $(BIN)/.installed $(VENDOR)/socket.io.esm.min.js $(PRINTER_VENDOR)/qrcode.mjs $(MANAGE_VENDOR)/uPlot.esm.js

demo: setup  ## set up the demo hall and serve it (gunicorn, eventlet worker)
	$(BIN)/queue-server demo --host $(HOST) --port $(PORT)

# The in-process tests (unit, integration) wait on fsyncs, sleeps and subprocesses about
# as long as they compute: two pytest-xdist workers take them from 469 to 245 s on a
# 2-core machine. The end-to-end tests stay one at a time: they time calls and screens
# on live servers and Chromium, which two at once would squeeze onto the same cores.
TEST_WORKERS ?= 2

test: setup lint  ## lint, then every test: the screens' JavaScript (Node's own runner), unit, integration, end-to-end
	$(NODE) --test tests/js/
	$(BIN)/python -m pytest --numprocesses $(TEST_WORKERS) --ignore tests/e2e
	$(BIN)/python -m pytest tests/e2e

test-gevent: setup  ## the whole end-to-end suite on the gevent worker (make test runs a lean part of it)
	LIVE_WORKER=gevent $(BIN)/python -m pytest tests/e2e

lint: setup
	$(BIN)/ruff check queue_server signage ticket_printer counter_client manage_client tests bench
	$(BIN)/ruff format --check queue_server signage ticket_printer counter_client manage_client tests bench
	$(BIN)/mypy queue_server ticket_printer counter_client manage_client

bench: setup  ## benchmarks: print figures, assert nothing
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache node_modules $(VENDOR) $(PRINTER_VENDOR) $(MANAGE_VENDOR) build
