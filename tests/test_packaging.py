"""Every template and data file the code reads at run time is shipped in the package."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "src/warroom"


def test_package_data_covers_every_template():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = config["tool"]["setuptools"]["package-data"]["warroom"]
    shipped = {path for pattern in globs for path in PACKAGE.glob(pattern)}
    needed = {
        path
        for folder in PACKAGE.rglob("templates")
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert needed, "no templates found: the test is looking in the wrong place"
    assert sorted(str(p.relative_to(PACKAGE)) for p in needed - shipped) == []
