"""Source adapters: one module per wire format, pure functions from HTTP bodies to events."""
