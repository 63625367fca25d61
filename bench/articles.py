"""Main-text extraction measured on the article pages in tests/data/articles: trafilatura against readability-lxml.

    .venv/bin/python bench/articles.py [--rounds 20]

For each page: how many of the body's paragraphs the extracted text holds (recall), the share of the extracted text
that is not body (noise: headlines and credits count as noise, previous/next links and sidebars are the harmful
part), and milliseconds per page. trafilatura runs as the tracker runs it (``publisher.tracker.articles``);
readability-lxml runs where it is installed (``pip install readability-lxml``; it is not a dependency). The choice
and its figures are in docs/tracker.md.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from publisher.tracker.articles import extract_text

PAGES = Path(__file__).resolve().parents[1] / "tests" / "data" / "articles"


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def readability_text(page: bytes) -> str:
    import lxml.html  # type: ignore[import-untyped,unused-ignore]
    from readability import Document  # type: ignore[import-not-found,unused-ignore]

    return str(lxml.html.fromstring(Document(page).summary()).text_content())


def measure(name: str, extract: Callable[[bytes], str], rounds: int) -> dict[str, float]:
    expected = json.loads((PAGES / "expected.json").read_text(encoding="utf-8"))
    kept = total = 0
    noise, seconds = [], 0.0
    for file, article in expected.items():
        page = (PAGES / file).read_bytes()
        extract(page)  # the first call pays the imports
        started = time.perf_counter()
        for _ in range(rounds):
            got = squash(extract(page))
        seconds += (time.perf_counter() - started) / rounds
        body = [squash(p) for p in article["body"]]
        rest = got
        for paragraph in body:
            rest = rest.replace(paragraph, "")
        found = sum(1 for paragraph in body if paragraph in got)
        kept, total = kept + found, total + len(body)
        noise.append(len(rest) / max(1, len(got)))
        print(f"  {name:12} {file:22} body {found}/{len(body)}  noise {noise[-1]:.2f}")
    figures = {
        "recall": kept / total,
        "noise": sum(noise) / len(noise),
        "ms_per_page": seconds / len(expected) * 1000,
    }
    print(
        f"{name}: {kept}/{total} body paragraphs (recall {figures['recall']:.2f}), mean noise {figures['noise']:.2f}, "
        f"{figures['ms_per_page']:.1f} ms a page"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    measure("trafilatura", extract_text, args.rounds)
    try:
        import readability  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
    except ImportError:
        print("readability-lxml: not installed (pip install readability-lxml to compare)")
    else:
        measure("readability", readability_text, args.rounds)


if __name__ == "__main__":
    main()
