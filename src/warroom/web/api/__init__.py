"""JSON API routers, thin: parse, call a service, commit, render."""
