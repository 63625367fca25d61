"""Every registered channel kind comes whole: an example config, a page in the manual, a stand-in for the tests; and
the example config agrees with the options the adapter declares."""

from __future__ import annotations

import tomllib
from pathlib import Path

import httpx
import pytest

from adapters import REGISTRY
from adapters.base import ChannelAdapter
from adapters.options import Option
from tests.contract.test_adapters import FAKES

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config" / "publisher.example.toml"
GENERIC = {"kind", "concurrency", "rate_per_minute", "quiet_hours", "posting_windows"}


def example_table(kind: str) -> dict[str, object]:
    """The kind's table in config/channels/KIND.toml (outbox and webhook: in the main example)."""
    own = ROOT / "config" / "channels" / f"{kind}.toml"
    document = tomllib.loads((own if own.exists() else EXAMPLE).read_text(encoding="utf-8"))
    tables = [t for t in document.get("channels", {}).values() if t.get("kind") == kind]
    assert tables, f"no example [channels.*] table of kind {kind!r} in {own.name} or {EXAMPLE.name}"
    return dict(tables[0])


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_every_kind_has_an_example_a_page_and_a_stand_in(kind: str) -> None:
    example_table(kind)
    page = ROOT / "docs" / "channels" / f"{kind}.md"
    assert page.exists(), f"no docs/channels/{kind}.md"
    assert f"channels/{kind}.md" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8"), "the page is not in the nav"
    if kind != "outbox":  # the outbox writes files: it needs no server
        assert kind in FAKES, f"no stand-in for {kind} in tests/fakes"


DECLARED = sorted(kind for kind, cls in REGISTRY.items() if issubclass(cls, ChannelAdapter))


@pytest.mark.parametrize("kind", DECLARED)
def test_the_example_sets_only_declared_options_and_every_required_one(kind: str) -> None:
    declared: dict[str, Option] = {o.name: o for o in REGISTRY[kind].options}
    table = example_table(kind)
    unknown = set(table) - GENERIC - set(declared)
    assert not unknown, f"{kind} example sets undeclared options {unknown}"
    missing = {name for name, option in declared.items() if option.required and name not in table}
    assert not missing, f"{kind} example lacks required options {missing}"


@pytest.mark.parametrize("kind", DECLARED)
def test_every_declared_option_is_in_the_example_file(kind: str) -> None:
    """Set or commented out: the example file is where a user meets every key."""
    own = ROOT / "config" / "channels" / f"{kind}.toml"
    text = (own if own.exists() else EXAMPLE).read_text(encoding="utf-8")
    for option in REGISTRY[kind].options:
        # the webhook's max_length is for a test double; the main example keeps to what users set
        if option.documented and (kind, option.name) != ("webhook", "max_length"):
            assert f"{option.name} =" in text, f"{kind}: {option.name} is declared but not in {own.name}"


@pytest.mark.parametrize("kind", DECLARED)
def test_declarations_are_complete(kind: str) -> None:
    for option in REGISTRY[kind].options:
        assert option.help.strip(), f"{kind}.{option.name} has no help"


@pytest.mark.parametrize("kind", DECLARED)
def test_the_example_builds_a_channel_as_written(kind: str) -> None:
    """The example table, its secrets' variables set (to the stand-in's values), makes an adapter that took each
    value as written (where no check turns it into another form) and shows each secret as its variable's name."""
    table = {key: value for key, value in example_table(kind).items() if key not in GENERIC}
    cls = REGISTRY[kind]
    fake_options, fake_env = FAKES[kind]().channel_options("http://127.0.0.1:9") if kind in FAKES else ({}, {})
    env = {table[name]: fake_env[var] for name, var in fake_options.items() if name.endswith("_env") and name in table}
    # an SMS channel's contacts come from the config's [contacts] table, added by the core: a number for each group
    contacts = (
        {"contacts": {group: ["+8613800138000"] for group in table["recipients"]}} if "recipients" in table else {}
    )
    adapter = cls("example", {**table, **contacts}, client=httpx.AsyncClient(), env=env)
    for option in cls.options:
        if option.name in table and option.check is None:
            shown = f"${table[option.name]} (hidden)" if option.secret else table[option.name]
            assert adapter.config[option.name] == shown, f"{kind}.{option.name}"
    assert adapter.describe()["kind"] == kind
