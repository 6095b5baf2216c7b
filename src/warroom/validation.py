"""Checks shared by the configuration objects: slug names and descriptions."""

from __future__ import annotations

import re

from warroom.errors import ValidationFailed

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def slug_name(name: str) -> str:
    """A name such as ``payments-primary``: lowercased, 1-64 letters, digits and dashes."""
    cleaned = name.strip().lower()
    if not _SLUG.match(cleaned):
        raise ValidationFailed.for_field(
            "name", "use 1-64 lowercase letters, digits and '-', starting with a letter or digit"
        )
    return cleaned


def description(text: str) -> str:
    """A free-text description of at most 2000 characters."""
    cleaned = text.strip()
    if len(cleaned) > 2000:
        raise ValidationFailed.for_field("description", "must be at most 2000 characters")
    return cleaned
