"""Shared test fixtures. Progress lines are silenced so test output stays readable."""

from __future__ import annotations

import os

os.environ.setdefault("STEPS_AGENTS_NO_PROGRESS", "1")

import sys
from pathlib import Path

# tests/helpers_*.py are plain modules the tests import.
sys.path.insert(0, str(Path(__file__).parent))
