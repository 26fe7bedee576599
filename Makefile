# The two commands of the README:
#   make demo   set up, load demo data for all five regions, run a settlement, serve on 127.0.0.1:8000
#   make test   run the whole suite (on PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set)
# and, run first by make test: make lint   ruff (ruff.toml) and the import contracts (.importlinter)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

.PHONY: demo test lint setup serve worker beat bench clean

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py demo_settlement
	@echo
	@echo "  管理后台 / admin: http://127.0.0.1:8000/admin/   市级管理员 city administrator: admin / admin12345"
	@echo "  审计员（可见完整身份证号）/ auditor (full certnos): auditor / auditor12345"
	@echo "  结算审批员 / settlement approver: approver / approver12345"
	@echo "  每个县区一名经办员 / one clerk per district: clerk_<district code> / clerk12345"
	@echo "  API 文档 / API docs: http://127.0.0.1:8000/api/docs/"
	@echo "  本地演示服务器开启调试页面 / this local server shows Django's debug page (DJANGO_DEBUG=1; never in production)"
	@echo
	DJANGO_DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

test: $(STAMP) lint
	$(PY) -m pytest $(PYTEST_ARGS)

worker: $(STAMP)
	$(VENV)/bin/celery -A config worker -l info

beat: $(STAMP)
	$(VENV)/bin/celery -A config beat -l info

clean:
	rm -rf $(VENV) media staticfiles  # .pgdata/ (the embedded database) is kept: delete it by hand
