"""Postmortems generated from the incident timeline, and the action items that follow them."""
