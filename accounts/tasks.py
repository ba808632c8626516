"""Thin, idempotent Celery tasks of the accounts area."""
