"""Agents: the people shifts belong to (id, name, queues and skills, time zone, active)."""
