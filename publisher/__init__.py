"""Publicity scheduler: queue activity reports, send them to every channel on time, count the coverage."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
