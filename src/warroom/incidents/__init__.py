"""Incidents: the state machine, roles and the append-only timeline."""
