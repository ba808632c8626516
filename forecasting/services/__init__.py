"""Writes and computations of the forecasting area (recognition, contracts, forecasts, snapshots)."""
