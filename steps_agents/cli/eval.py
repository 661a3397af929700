"""``steps eval``: being built (see the open issue for this stage)."""

from __future__ import annotations

from typing import Any


def add_parser(subparsers: Any) -> None:
    """Not wired yet; this module is replaced by the stage's implementation."""
