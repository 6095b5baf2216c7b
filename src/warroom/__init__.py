"""warroom: self-hostable incident response."""

__version__ = "0.1.0"
