"""Thin, idempotent Celery tasks of this area."""
