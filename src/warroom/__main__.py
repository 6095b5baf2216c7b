"""Entry point for ``python -m warroom``."""

from warroom.cli import main

main()
