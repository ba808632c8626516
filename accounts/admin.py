"""Admin pages of the accounts area."""
