"""Escalation policies, their snapshot on an incident, and paging their steps."""
