"""Registered services and the escalation policy each one pages by."""
