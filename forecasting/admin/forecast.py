"""Admin of forecast runs and snapshots."""
