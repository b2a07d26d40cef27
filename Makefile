# 数智工会 — every set-up step lives here. Only python3 (3.11+) and make are needed on a fresh machine.
PYTHON ?= python3
PORT ?= 8000
# The address gunicorn listens on; 0.0.0.0 lets a phone on the same network reach it (scan-to-join tests).
HOST ?= 127.0.0.1
VENV := .venv
PY := $(VENV)/bin/python
UV := .uv/bin/uv
# Optional extras, e.g. `make install EXTRAS="--extra spark"` for the linkage engine's Spark backend (CI sets it).
EXTRAS ?=
export DJANGO_SETTINGS_MODULE := config.settings

.PHONY: install demo serve test test-fast lint bench bench-linkage clean

# uv lives in its own small venv so that `uv sync` (which makes .venv exactly the lock) never removes it.
$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check uv

install: $(UV)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen $(EXTRAS) --python $(PYTHON)
	@echo "✔ 依赖已安装到 $(VENV)/"

# Demo mode (GONGHUI_DEMO=1) for everything this target runs, the server included: local keys in var/, plain
# HTTP, the demo accounts named on the login page. Nothing else sets it.
demo: export GONGHUI_DEMO := 1
demo: install
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py load_demo
	@echo ""
	@echo "  数智工会演示环境： http://127.0.0.1:$(PORT)/"
	@echo "  演示账号（密码 demo12345）：huangyan（区总）  dongcheng（东城街道）  yuanqiao（院桥镇）  kuaidi（快递行业联合会）"
	@echo "                              chakan（只读·全区）  renshe（人社局经办人）"
	@echo ""
	$(MAKE) --no-print-directory serve

# The web server and one background worker (imports, bulletins) side by side; Ctrl-C stops both. Production by
# default: it starts only with GONGHUI_SECRET_KEY and GONGHUI_FIELD_KEYS set (README, 部署); `make demo` serves the demo.
serve:
	@$(PY) manage.py check >/dev/null  # stops here, saying what is missing, before anything starts
	@$(PY) manage.py db_worker --interval 1 >var/worker.log 2>&1 & worker=$$!; \
	$(PY) manage.py run_periodic >var/periodic.log 2>&1 & periodic=$$!; \
	trap 'kill $$worker $$periodic 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/gunicorn config.wsgi:application --bind $(HOST):$(PORT) --workers 3 --threads 4 \
		--timeout 120 --access-logfile -

test: install
	$(VENV)/bin/pytest -n 2 --dist loadfile -q

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check linkage
	GONGHUI_DEMO=1 $(VENV)/bin/mypy  # django-stubs loads the settings: demo mode, so no keys are needed
	$(VENV)/bin/lint-imports

bench: install
	GONGHUI_DEMO=1 $(PY) bench/run.py

bench-linkage: install
	$(PY) bench/linkage/run.py

clean:
	rm -rf $(VENV) .uv var .pytest_cache .mypy_cache .ruff_cache
