"""Runbooks: Markdown parsed into sections, matched to alerts, run as checklists."""
