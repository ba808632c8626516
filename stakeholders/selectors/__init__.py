"""Reads of the stakeholders area."""
