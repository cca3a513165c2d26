"""The region CSV loader behind :mod:`wengang.regions.services` (private helpers; use the services)."""
