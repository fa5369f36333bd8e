"""Shifts: schemas (wire shapes), rules (pure validation), service (DB + outbox), api (routes).

Other packages create shifts through ``service.create_shifts`` so every path validates the same
way and writes the same outbox rows.
"""
