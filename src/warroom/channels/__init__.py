"""Delivery channels: one module per way a message leaves warroom (email, Slack, webhook, ...)."""
