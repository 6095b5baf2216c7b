"""Status updates to responders and the public, their templates, and update cadence."""
