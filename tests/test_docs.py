"""The manual and the README: generated parts up to date, the README short and not repeating the manual, every
page in the site's nav, and every link from the README into docs/ resolving."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
MIN_PARAGRAPH = 60  # shorter paragraphs ("See the tracker.") may well be said twice


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_docs", module)
    spec.loader.exec_module(module)
    return module


GEN = _generator()


def _pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def _paragraphs(text: str) -> list[str]:
    """Prose paragraphs with whitespace normalised: code blocks, headings and HTML comments left out."""
    found: list[str] = []
    current: list[str] = []
    fenced = False
    for line in [*text.splitlines(), ""]:
        stripped = line.strip()
        if stripped.startswith("```"):
            fenced = not fenced
        if fenced or stripped.startswith(("```", "#", "<!--")) or not stripped:
            if current:
                found.append(" ".join(" ".join(current).split()))
                current = []
            continue
        current.append(stripped)
    return found


def _normalised(text: str) -> str:
    return " ".join(text.split())


# every generated block: the docs' pages and the options part of each config/channels/KIND.toml example
BLOCKS = [pytest.param(page, name, body, id=f"{page.relative_to(ROOT)}:{name}") for page, name, body in GEN.blocks()]


@pytest.mark.parametrize(("page", "name", "body"), BLOCKS)
def test_generated_parts_are_up_to_date(page: Path, name: str, body: str) -> None:
    text = page.read_text(encoding="utf-8")
    assert text == GEN.replace_block(text, name, body, page), (
        f"{page.relative_to(ROOT)}: the generated {name!r} block is out of date; run python scripts/gen_docs.py"
    )


def test_the_generator_check_mode_agrees() -> None:
    assert GEN.main(["--check"]) == 0, "run python scripts/gen_docs.py"


def test_the_readme_is_at_most_300_lines() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 300, f"README.md has {len(lines)} lines; move detail into docs/"


def test_no_readme_paragraph_is_repeated_in_the_manual() -> None:
    manual = {page: _normalised(page.read_text(encoding="utf-8")) for page in _pages()}
    repeated = [
        (paragraph[:80], str(page.relative_to(ROOT)))
        for paragraph in _paragraphs(README.read_text(encoding="utf-8"))
        if len(paragraph) >= MIN_PARAGRAPH
        for page, text in manual.items()
        if paragraph in text
    ]
    assert not repeated, f"README paragraphs also in docs/ (keep one copy): {repeated}"


def test_the_paragraph_splitter_ignores_code_and_headings() -> None:
    text = "# Title\n\nOne paragraph\nover two lines.\n\n```sh\nnot prose\n```\n\n## Next\nSecond."
    assert _paragraphs(text) == ["One paragraph over two lines.", "Second."]


def _nav_files(entries: Any) -> list[str]:
    found: list[str] = []
    for entry in entries:
        if isinstance(entry, str):
            found.append(entry)
        elif isinstance(entry, dict):
            for value in entry.values():
                found += [value] if isinstance(value, str) else _nav_files(value)
    return found


def test_every_page_is_in_the_nav_and_every_nav_entry_exists() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    nav = _nav_files(config["nav"])
    pages = {page.relative_to(DOCS).as_posix() for page in _pages()}
    assert not set(nav) - pages, f"nav entries without a page: {sorted(set(nav) - pages)}"
    assert not pages - set(nav), f"pages missing from mkdocs.yml's nav: {sorted(pages - set(nav))}"
    assert len(nav) == len(set(nav)), "a page is in the nav twice"


def test_every_command_is_in_the_cli_reference() -> None:
    cli = (DOCS / "cli.md").read_text(encoding="utf-8")
    for path, _command in GEN.walk_commands(GEN.root_group()):
        heading = " ".join(("publisher", *path))
        assert re.search(rf"^#+ {re.escape(heading)}$", cli, re.MULTILINE), f"{heading} is not in docs/cli.md"


def test_the_config_reference_has_every_settings_field() -> None:
    import dataclasses

    from publisher.config import DaemonSettings, WebSettings
    from publisher.tracker.settings import TrackerSettings

    reference = (DOCS / "configuration.md").read_text(encoding="utf-8")
    for table, cls in (("daemon", DaemonSettings), ("web", WebSettings), ("tracker", TrackerSettings)):
        section = reference.split(f"### `[{table}]`", 1)[1].split("\n### ", 1)[0]
        for field in dataclasses.fields(cls):
            if field.name.startswith("_") or not field.init:
                continue
            assert f"| `{field.name}` |" in section, f"[{table}] {field.name} is not in docs/configuration.md"
    assert "| `url` |" in reference.split("### `[database]`", 1)[1], "database_url is read as [database] url"


def test_links_from_the_readme_into_docs_exist() -> None:
    links = re.findall(r"\]\(([^)\s]+)\)", README.read_text(encoding="utf-8"))
    local = [link.split("#")[0] for link in links if not re.match(r"^[a-z]+:", link) and not link.startswith("#")]
    assert any(link.startswith("docs/") for link in local), "the README should link into docs/"
    missing = [link for link in local if not (ROOT / link).exists()]
    assert not missing, f"README links to files that do not exist: {missing}"
