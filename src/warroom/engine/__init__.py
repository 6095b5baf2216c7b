"""The engine: one loop over the database that runs each duty as a module."""
