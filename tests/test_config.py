"""Configuration: where it is found, the embedded defaults, and a clear refusal for each kind of mistake."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from publisher.config import EMBEDDED, load_settings
from publisher.errors import ConfigError
from publisher.logs import RedactingFilter, secret_values
from tests.conftest import outbox_config, write_config

ROOT = Path(__file__).resolve().parents[1]
#: a channel, for the mistakes in other sections: a config file without one is refused for that first
OUTBOX = '[channels.x]\nkind = "outbox"\n'


def test_no_file_means_embedded_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PUBLISHER_CONFIG", raising=False)
    settings = load_settings(None)
    assert settings.source == EMBEDDED
    assert settings.database_url == "sqlite:///publisher.db"
    assert list(settings.channels) == ["outbox"]
    assert settings.channels["outbox"].kind == "outbox"


def test_the_file_is_found_by_flag_then_environment_then_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    local = write_config(tmp_path, '[channels.here]\nkind = "outbox"\n')
    elsewhere = tmp_path / "other.toml"
    elsewhere.write_text('[channels.there]\nkind = "outbox"\n', encoding="utf-8")
    monkeypatch.delenv("PUBLISHER_CONFIG", raising=False)
    assert list(load_settings(None).channels) == ["here"]
    monkeypatch.setenv("PUBLISHER_CONFIG", str(elsewhere))
    assert list(load_settings(None).channels) == ["there"]
    assert list(load_settings(local).channels) == ["here"]


def test_the_example_file_is_valid_and_documents_every_key() -> None:
    example = ROOT / "config" / "publisher.example.toml"
    settings = load_settings(str(example))
    assert set(settings.channels) == {"outbox", "website-hook"}
    text = example.read_text(encoding="utf-8")
    for key in (
        "url",
        "timezone",
        "level",
        "format",
        "lease_seconds",
        "max_attempts",
        "backoff_initial",
        "backoff_max",
        "poll_interval",
        "http_transport",
        "shutdown_grace",
        "concurrency",
        "rate_per_minute",
    ):
        assert f"{key} " in text, key


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("[channels.x]\nkind = \n", "-", "is not valid TOML"),
        ('[channels.x]\nkind = "fax"\n', "channels.x.kind", "unknown channel kind 'fax'; choose one of:"),
        ('[channels.x]\nfolder = "o"\n', "channels.x.kind", "must be a non-empty string"),
        ('[channels.x]\nkind = "webhook"\n', "channels.x.url", "is required"),
        ('[channels.x]\nkind = "outbox"\nconcurrency = 0\n', "channels.x.concurrency", "at least 1"),
        ('[channels.x]\nkind = "outbox"\n[daemon]\nmax_attempts = -1\n', "daemon.max_attempts", "greater than 0"),
        ('[channels.x]\nkind = "outbox"\n[daemon]\nlease = 5\n', "daemon.lease", "is not a known setting"),
        ('[channels.x]\nkind = "outbox"\n[publisher]\ntimezone = "CST"\n', "publisher.timezone", "unknown time zone"),
        ('[channels.x]\nkind = "outbox"\n[log]\nformat = "xml"\n', "log.format", "must be one of text, json"),
        ('[database]\nurl = "sqlite:///x.db"\n', "channels", "no channel is configured"),
        ('[chanels.x]\nkind = "outbox"\n', "chanels", "is not a known setting"),
        ('[channels.x]\nkind = "outbox"\n[contacts]\nparents = "138"\n', "contacts.parents", "list of phone"),
        (OUTBOX + "[tracker]\nmin_interval = 0", "tracker.min_interval", "at least 1"),
        (OUTBOX + "[tracker]\nmin_interval = 900\nmax_interval = 600", "tracker.max_interval", "at least min_interval"),
        (OUTBOX + '[tracker]\nrsshub_base = "rsshub.app"', "tracker.rsshub_base", "http(s) URL"),
        (OUTBOX + "[tracker]\nper_host_concurrency = 1.5", "tracker.per_host_concurrency", "whole number"),
        (OUTBOX + "[tracker]\nsimilarity = 2", "tracker.similarity", "at most 1"),
        (OUTBOX + "[tracker]\npoll = 1", "tracker.poll", "not a known setting"),
        (OUTBOX + '[outlets.a]\nkind = "blog"', "outlets.a.kind", "news_site"),
        (OUTBOX + '[outlets.a]\nfeeds = "http://x"', "outlets.a.feeds", "list"),
        (OUTBOX + '[outlets.a]\nfeeds = ["gopher://x"]', "outlets.a.feeds", "not a feed URL"),
        (OUTBOX + '[outlets.a]\ntimezone = "Mars/Base"', "outlets.a.timezone", "unknown time zone"),
        (OUTBOX + '[outbound]\nallow = "10.0.0.0/8"', "outbound.allow", "must be a list"),
        (OUTBOX + "[outbound]\nallow = [10]", "outbound.allow", "must be strings"),
        (OUTBOX + '[outbound]\nallow = ["10.1.2.3/24"]', "outbound.allow", "write the network as 10.1.2.0/24"),
        (OUTBOX + '[outbound]\nallow = ["http://10.0.0.1:8080/"]', "outbound.allow", "no scheme, port or path"),
        (OUTBOX + '[outbound]\nallow = ["*"]', "outbound.allow", "neither a network"),
        (OUTBOX + '[outbound]\nallow = ["2130706433"]', "outbound.allow", "neither a network"),
        (OUTBOX + '[outbound]\nallow = [""]', "outbound.allow", "is empty"),
        (OUTBOX + '[outbound]\ndeny = ["10.0.0.0/8"]', "outbound.deny", "not a known setting"),
        ('outbound = ["10.0.0.0/8"]\n' + OUTBOX, "outbound", "must be a table"),  # top-level keys come first
    ],
)
def test_a_bad_config_names_the_file_the_key_and_the_fix(tmp_path: Path, text: str, key: str, problem: str) -> None:
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert caught.value.file == path
    assert caught.value.key == key
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"{path}: [{key}]")


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(str(tmp_path / "nope.toml"))


def test_secrets_are_required_only_when_sending(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(
        tmp_path, '[channels.hook]\nkind = "webhook"\nurl = "https://example.org/h"\nsecret_env = "HOOK_S"\n'
    )
    monkeypatch.delenv("HOOK_S", raising=False)
    load_settings(path)  # queueing needs no secret
    with pytest.raises(ConfigError, match=r"\[channels.hook.secret_env\] the environment variable HOOK_S is not set"):
        load_settings(path, check_secrets=True)
    monkeypatch.setenv("HOOK_S", "hunter2-secret")
    settings = load_settings(path, check_secrets=True)
    assert "hunter2-secret" not in repr(settings)  # the file holds the variable's name, not its value


def test_secret_values_are_redacted_from_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    secrets = secret_values([{"token_env": "T"}, {"url": "x"}], {"T": "tok-123456"})
    assert secrets == ["tok-123456"]
    log = logging.getLogger("publisher.test-redaction")
    redactor = RedactingFilter(secrets)
    log.addFilter(redactor)
    try:
        with caplog.at_level(logging.INFO, logger="publisher.test-redaction"):
            log.info("calling https://api.example.org/bot%s/send", "tok-123456")
    finally:
        log.removeFilter(redactor)
    assert "tok-123456" not in caplog.text
    assert "bot[redacted]/send" in caplog.text


@pytest.mark.parametrize("example", sorted((ROOT / "config" / "channels").glob("*.toml")), ids=lambda p: p.stem)
def test_every_channel_example_loads(example: Path) -> None:
    settings = load_settings(str(example))
    assert settings.channels
    assert all(c.kind == example.stem for c in settings.channels.values())


def test_an_unset_database_variable_is_refused_unless_a_url_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A team's config names the database by a variable; when it is missing the daemon must not quietly open a new
    SQLite file of its own (a queue no other daemon sees)."""
    monkeypatch.delenv("PUBLISHER_DATABASE_URL", raising=False)
    only_variable = outbox_config(tmp_path, '[database]\nurl_env = "PUBLISHER_DATABASE_URL"\n')
    with pytest.raises(ConfigError, match=r"database\.url_env\] names PUBLISHER_DATABASE_URL, which is not set"):
        load_settings(only_variable)
    monkeypatch.setenv("PUBLISHER_DATABASE_URL", "postgresql+psycopg://team@db/publisher")
    assert load_settings(only_variable).database_url == "postgresql+psycopg://team@db/publisher"
    monkeypatch.delenv("PUBLISHER_DATABASE_URL")
    fallback = outbox_config(tmp_path, '[database]\nurl = "sqlite:///own.db"\nurl_env = "PUBLISHER_DATABASE_URL"\n')
    assert load_settings(fallback).database_url == "sqlite:///own.db"


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("https://publicity.example.edu.cn", "https://publicity.example.edu.cn"),
        ("https://publicity.example.edu.cn/", "https://publicity.example.edu.cn"),  # links add "/coverage/..."
        ("http://10.1.2.3:8000/publisher/", "http://10.1.2.3:8000/publisher"),  # behind a proxy, under a path
    ],
)
def test_web_public_url_is_kept_without_its_trailing_slash(tmp_path: Path, written: str, kept: str) -> None:
    settings = load_settings(outbox_config(tmp_path, f'[web]\npublic_url = "{written}"\n'))
    assert settings.web is not None
    assert settings.web.public_url == kept


def test_web_public_url_is_optional(tmp_path: Path) -> None:
    settings = load_settings(outbox_config(tmp_path, "[web]\nport = 8000\n"))
    assert settings.web is not None
    assert settings.web.public_url is None


@pytest.mark.parametrize(
    "written",
    [
        '"publicity.example.edu.cn"',  # no scheme
        '"javascript:alert(1)"',
        '"ftp://publicity.example.edu.cn"',
        '"https://"',  # no host
        '"https://publicity.example.edu.cn/?x=1"',  # a query or a fragment would end up in the middle of each link
        '"https://publicity.example.edu.cn/#top"',
        '"https://publicity.example.edu.cn:99999"',
        '"https://publicity example.edu.cn"',
        "8000",
    ],
)
def test_web_public_url_must_be_an_http_address(tmp_path: Path, written: str) -> None:
    from publisher.web.i18n import say, translator

    with pytest.raises(ConfigError, match=r"\[web\.public_url\] must be the http\(s\) address") as refused:
        load_settings(outbox_config(tmp_path, f"[web]\npublic_url = {written}\n"))
    said = say(translator("zh"), refused.value)  # the console and the CLI say it in Chinese
    assert "[web.public_url] 必须是大家打开控制台所用的 http(s) 地址" in said
