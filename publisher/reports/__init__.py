"""Coverage reports and exports: the tables behind a work summary, and the paragraph for it.

```
 database ──► tables (aggregates in SQL; rows streamed, yield_per) ──► narrative (zh / zh-Hant / en, template)
          ──► csv_export · xlsx · json_export · markdown · html (one module per format; safety escapes for each)
 [reports.NAME] ──► schedule (once per occurrence, however many daemons) ──► files, and a message through the queue
```

Modules: ``tables`` (queries), ``narrative``, ``labels`` (the report's words), ``rows`` (display cells),
``safety`` (formula injection, HTML and Markdown escaping), ``files``, ``build`` (``write_reports``), one module per
format, ``settings`` ([reports] in the config), ``schedule`` and ``models`` (the run table), and ``demo`` (the
end of ``publisher demo``).
Importing this package is cheap; the writers load their libraries when used.
"""

from __future__ import annotations

__all__: list[str] = []
