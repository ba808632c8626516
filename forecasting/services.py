"""Writes of this area (create/update/delete, state changes)."""
