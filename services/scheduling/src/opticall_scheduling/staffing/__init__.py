"""Staffing: see api.py."""
