"""Data model of this area; built by its issue."""
