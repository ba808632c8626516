"""Reads of the forecasting area."""
