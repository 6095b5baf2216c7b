"""Alerts and the integrations that send them: storage, queries, silences and maintenance."""
