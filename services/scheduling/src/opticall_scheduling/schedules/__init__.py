"""Schedules: see api.py."""
