"""The notification outbox: pages written in the transaction that causes them."""
