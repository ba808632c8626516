"""Admin of contracts and opportunities."""
