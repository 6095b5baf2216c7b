"""The web UI: server-rendered pages for responders, commanders and admins."""
