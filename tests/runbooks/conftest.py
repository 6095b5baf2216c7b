"""The seed runbooks live beside the checkout (../shared/seeds), as in CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SEEDS = Path(
    os.environ.get("WARROOM_SEEDS_DIR") or Path(__file__).resolve().parents[3] / "shared" / "seeds"
)


@pytest.fixture
def seeds_present() -> Path:
    """The seeds folder; tests that need it skip without it (and fail in CI)."""
    if not SEEDS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"the seed runbooks are missing: {SEEDS}")
        pytest.skip(f"the seed runbooks are not at {SEEDS}; set WARROOM_SEEDS_DIR")
    return SEEDS
