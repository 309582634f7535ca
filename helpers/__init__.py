"""Helpers behind the SER-XAI paper companion notebooks (see README.md)."""
from __future__ import annotations

from .seeding import seed_everything

__all__ = ["seed_everything"]
