"""Property-based tests over what people and outside systems hand us: any text, any config, any cron, any zone.

Nothing may crash: every input is either accepted or refused with a PublisherError whose message says what to fix.
"""

from __future__ import annotations

import string
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import adapters
from adapters.base import PostContent
from adapters.errors import AdapterConfigError, Permanent
from publisher.clock import ManualClock
from publisher.config import load_settings
from publisher.errors import PublisherError, ValidationError
from publisher.queue import PostDraft, Queue
from publisher.scheduler import cron_trigger, occurrences
from publisher.store import PostFilter, Store, list_deliveries, open_store
from publisher.times import parse_time
from tests.conftest import make_settings, write_config

RIGHT_TO_LEFT = "مرحبا بالعالم שלום עולם"
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=400) | st.sampled_from(
    ["", " ", "\x00\x01\x1b[31m", RIGHT_TO_LEFT, "👨‍👩‍👧‍👦🇨🇳" * 50, "<script>alert(1)</script>", "字" * 5000]
)
SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SLOW
@given(title=TEXT, body=TEXT)
def test_any_text_renders_on_every_channel_or_is_refused_clearly(title: str, body: str) -> None:
    post = PostContent(
        title=title or "t",
        body=body,
        link="https://www.example.org/a/1",
        timezone="Asia/Shanghai",
        due_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    client = httpx.AsyncClient()
    for kind, options in _render_options().items():
        adapter = adapters.create(kind, kind, options, client=client, env=_Env())
        try:
            payload = adapter.render(post)
        except Permanent as exc:
            assert exc.reason  # a refusal says why
            continue
        assert isinstance(payload.text, str)
        adapter.limits.count(payload.text)


def _queue_on_a_new_file(folder: Path) -> tuple[Store, Queue]:
    """A store on a new SQLite file in ``folder`` and a queue on it, with make_settings' two outbox channels."""
    store = open_store(f"sqlite:///{folder / 'p.db'}")
    store.upgrade()
    settings_ = make_settings(folder)
    clock = ManualClock(datetime(2026, 12, 1, tzinfo=UTC))
    store.sync_channels({n: c.kind for n, c in settings_.channels.items()}, clock.now())
    return store, Queue(store, settings_.build_adapters(httpx.AsyncClient(), {}), clock)


@SLOW
@given(title=TEXT, body=TEXT)
def test_queueing_any_text_either_works_or_writes_nothing(title: str, body: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store, queue = _queue_on_a_new_file(Path(folder))
        try:
            queue.add_post(PostDraft(title=title, body=body, channels=["website", "weibo"], now=True))
        except ValidationError as exc:
            assert str(exc)
            assert list_deliveries(store, PostFilter()) == []
        store.engine.dispose()


def test_a_hundred_kilobyte_body_is_queued_on_a_channel_without_a_limit(tmp_path: Path) -> None:
    _, queue = _queue_on_a_new_file(tmp_path)
    body = ("长段落 with mixed 文字 and emoji 🎉\n\n" * 4000)[: 100 * 1024]
    assert queue.add_post(PostDraft(title="长文", body=body, channels=["website"], now=True)) == 1


def _load_config(text: str) -> tuple[str, PublisherError | None]:
    """``text`` loaded as a config file in a new folder: its path, and the error that refused it (None if none did)."""
    with tempfile.TemporaryDirectory() as folder:
        path = write_config(Path(folder), text)
        try:
            load_settings(path)
        except PublisherError as exc:
            return path, exc
    return path, None


@SLOW
@given(st.text(max_size=300))
def test_any_config_file_loads_or_is_refused_with_file_and_key(text: str) -> None:
    path, refused = _load_config(text)
    if refused is not None:
        assert str(refused).startswith(path)


KEYS = st.sampled_from(["kind", "url", "folder", "concurrency", "rate_per_minute", "timeout", "secret_env", "x"])
VALUES = st.one_of(
    st.integers(-5, 5),
    st.text(max_size=20),
    st.booleans(),
    st.floats(allow_nan=True),
    st.lists(st.integers(), max_size=2),
)


@SLOW
@given(st.dictionaries(KEYS, VALUES, max_size=5), st.sampled_from(sorted(adapters.REGISTRY)))
def test_any_channel_table_is_accepted_or_refused_naming_a_key(table: dict[str, object], kind: str) -> None:
    import tomllib

    lines = [f'[channels.c]\nkind = "{kind}"'] + [
        f"{k} = {_toml_value(v)}" for k, v in table.items() if k != "kind" and _toml_value(v) is not None
    ]
    text = "\n".join(lines) + "\n"
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return
    _, refused = _load_config(text)
    if refused is not None:
        assert "[channels.c" in str(refused) or "[channels]" in str(refused)


@SLOW
@given(
    st.text(alphabet=string.printable, max_size=40),
    st.sampled_from(["UTC", "Asia/Shanghai", "Europe/Berlin", "Nope/Zone", ""]),
)
def test_any_cron_expression_and_zone_is_accepted_or_refused_clearly(expression: str, zone: str) -> None:
    try:
        trigger = cron_trigger(expression, zone)
    except ValidationError as exc:
        assert "cron" in str(exc) or "time zone" in str(exc) or "day-of-week" in str(exc)
        return
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for fire in occurrences(trigger, start, start + timedelta(days=3), limit=50):
        assert fire.tzinfo is not None


@SLOW
@given(st.text(max_size=40), st.sampled_from(["UTC", "Asia/Shanghai", "America/New_York", "Bad/Zone"]))
def test_any_typed_time_is_read_or_refused_clearly(text: str, zone: str) -> None:
    try:
        when = parse_time(text, zone)
    except ValidationError as exc:
        assert str(exc)
        return
    assert when.tzinfo is not None
    assert when.utcoffset() == timedelta(0)


def _toml_value(value: object) -> str | None:
    import json
    import math

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return None


class _Env(dict[str, str]):
    def get(self, key: str, default: object = None) -> str:  # type: ignore[override]
        return "SEC-placeholder-secret-value"


def _render_options() -> dict[str, dict[str, object]]:
    """Minimal valid options per kind, from the demo's rendering table (nothing is sent)."""
    from publisher.demo import SAMPLES

    settings_ = load_settings(str(SAMPLES / "renderings.toml"))
    options = {c.kind: dict(c.options) for c in settings_.channels.values()}
    options["outbox"] = {"folder": tempfile.gettempdir()}
    options["webhook"] = {"url": "https://example.org/hook"}
    return options


def test_adapter_config_errors_name_the_key() -> None:
    import pytest

    with pytest.raises(AdapterConfigError) as caught:
        adapters.create("webhook", "w", {"url": 5}, client=httpx.AsyncClient(), env={})
    assert caught.value.key == "url"
