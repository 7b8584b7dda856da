"""Policies shipped with the package, generated from code (no binary in git)."""
