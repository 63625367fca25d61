"""The coverage tracker: poll outlets' feeds, find the articles that belong to a campaign, keep them as coverage.

```
 outlets ──► poll (httpx: conditional GET, per-host cap, body cap, ≤5 redirects) ──► parse (feedparser, guarded)
   ──► normalise (Traditional/Simplified, widths, punctuation, links, UTC) ──► dedupe (guid, link, content hash)
   ──► match (keyword rules by Aho-Corasick; reprints of our posts by weighted character n-grams) ──► coverage items
```

Modules, one job each: ``settings`` (the [tracker] and [outlets.NAME] config), ``models`` (tables), ``sources``
(when a source is next polled), ``poll`` (HTTP), ``parse`` (bytes to entries), ``normalize`` (text and links),
``match`` (keywords and similarity), ``db`` (the tracker's queries), ``service`` (one pass, end to end).
Importing this package is cheap; the heavy libraries load when a pass runs.
"""

from __future__ import annotations

__all__: list[str] = []
