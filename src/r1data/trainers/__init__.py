"""Planned: see the project issues. Intentionally empty until its issue lands."""
