"""Reads of this area (querysets with annotations)."""
