"""The console's pages, one module per area; each exports ``routes``."""

from __future__ import annotations

__all__: list[str] = []
