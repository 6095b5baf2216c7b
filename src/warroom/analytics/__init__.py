"""Incident analytics: counts, time to acknowledge and resolve, SLA compliance, on-call load."""
