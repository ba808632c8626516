"""Compensation: hybrid plans, assignments, credit splits, statements, locked periods.

periods.py   — period keys (2026-Q3, 2026-07, 2026) and their dates
calculator.py — the pure arithmetic: rate tables, payout curves, caps, draws (no database)
selectors.py — set-based reads: credited deals and consumption, visible statements, team tables
services.py  — every write: plan and assignment validation, splits, calculation, locks, adjustments
api.py, views.py, admin.py, tasks.py, demo.py — the usual shapes
"""
