"""The HTTP side: JSON API, health checks and (later) UI and status page."""
