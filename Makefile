# revops — the two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install migrate seed serve check audit bench-import clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make demo: install, migrate, seed the small demo, print the login, serve on http://127.0.0.1:8000
demo: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py seed_demo --size small
	@echo ""
	@echo "  revops is starting on http://$(HOST):$(PORT)/"
	@echo "  Log in as  admin / revops-demo   (RevOps admin; also: maria / revops-demo = manager, ravi / revops-demo = rep)"
	@echo ""
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

## make test: the whole suite (SQLite unless DATABASE_URL is set)
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

check: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=0 SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(64))') \
	  ALLOWED_HOSTS=revops.example.com $(BIN)/python manage.py check --deploy --fail-level WARNING

## make audit: known vulnerabilities in the installed dependencies (pip-audit; needs pypi.org or, with
## AUDIT_ARGS='-s osv', api.osv.dev). Exit 1: vulnerabilities found; 2: the service could not be reached.
audit: $(STAMP)
	$(BIN)/python .ci/audit.py $(AUDIT_ARGS)

bench-import: $(STAMP)
	$(BIN)/python bench/import_users.py

clean:
	rm -rf $(VENV) staticfiles .test-media
