"""Scenario data: one YAML per training room under ``rooms/``, and the format reference.

This file only marks the folder so an installed copy can be found; it holds no code.
"""
