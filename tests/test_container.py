"""What can be checked of the container without a Docker engine (none on the development machines; CI builds it
where one is present): the port, the image's configuration, a health check that creates and migrates nothing, and
compose.yaml's services."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from publisher.config import load_settings
from publisher.web.health import Healthz

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
IMAGE_CONFIG = ROOT / "docker" / "publisher.toml"


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions (continuation lines joined), as (KEYWORD, arguments)."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def healthcheck_command() -> list[str]:
    (check,) = [rest for keyword, rest in instructions() if keyword == "HEALTHCHECK"]
    command = check[check.index("CMD ") + 4 :].strip()
    return list(json.loads(command)) if command.startswith("[") else ["sh", "-c", command]


def test_the_image_listens_on_every_interface_and_exposes_the_console_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUBLISHER_DATABASE_URL", raising=False)
    settings = load_settings(str(IMAGE_CONFIG))
    assert settings.web is not None
    assert settings.web.enabled
    assert settings.web.host == "0.0.0.0"
    exposed = [rest.split() for keyword, rest in instructions() if keyword == "EXPOSE"]
    assert [str(settings.web.port)] in exposed
    assert settings.database_url == "sqlite:////data/publisher.db"
    env = [rest for keyword, rest in instructions() if keyword == "ENV"]
    assert any("PUBLISHER_CONFIG=/config/publisher.toml" in line for line in env)
    copies = [rest for keyword, rest in instructions() if keyword == "COPY"]
    assert "docker/publisher.toml /config/publisher.toml" in copies


def test_the_database_url_comes_from_the_environment_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLISHER_DATABASE_URL", "postgresql+psycopg://publisher:pw@db:5432/publisher")
    assert load_settings(str(IMAGE_CONFIG)).database_url.startswith("postgresql+psycopg://publisher:pw@db")


def test_the_health_check_creates_and_migrates_nothing(tmp_path: Path) -> None:
    command = healthcheck_command()
    assert "healthz" in " ".join(command)
    assert not {"init", "channel", "status", "run"} & set(command)  # no publisher command that opens the database
    if command[0] == "python":
        command[0] = sys.executable
    env = dict(os.environ, PUBLISHER_CONFIG=str(tmp_path / "publisher.toml"), HOME=str(tmp_path))
    (tmp_path / "publisher.toml").write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "publisher.db"}"\n[channels.outbox]\nkind = "outbox"\n'
        f'folder = "{tmp_path / "out"}"\n',
        encoding="utf-8",
    )
    before = set(tmp_path.iterdir())
    # nothing listens on the port here: the check fails, and leaves the folder as it was
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, timeout=30, check=False)
    assert done.returncode != 0
    assert set(tmp_path.iterdir()) == before
    assert not (tmp_path / "publisher.db").exists()


async def test_healthz_answers_ok_without_sign_in_cookie_or_database() -> None:
    reached: list[str] = []

    async def console(scope: object, receive: object, send: object) -> None:
        reached.append("console")
        raise AssertionError("/healthz must not reach the console")

    app = Healthz(console)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/healthz")
        head = await client.head("/healthz")
    assert response.status_code == 200
    assert response.text == "ok\n"
    assert "set-cookie" not in response.headers
    assert head.status_code == 200
    assert reached == []


def test_compose_runs_postgresql_and_two_daemons_with_secrets_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PUBLISHER_DATABASE_URL", "postgresql+psycopg://publisher@db/publisher")
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert services["db"]["image"].startswith("postgres:")
    daemons = {name: service for name, service in services.items() if service.get("image", "").startswith("publisher")}
    assert len(daemons) == 2
    consoles = []
    for service in daemons.values():
        environment = service["environment"]
        url = environment["PUBLISHER_DATABASE_URL"]
        assert url.startswith("postgresql+psycopg://")
        assert "${POSTGRES_PASSWORD" in url
        config = ROOT / environment["PUBLISHER_CONFIG"].removeprefix("/app/")
        settings = load_settings(str(config))
        assert settings.database_url_env == "PUBLISHER_DATABASE_URL"
        if settings.web is not None and settings.web.enabled:
            consoles.append(service)
            assert settings.web.host == "0.0.0.0"
            assert settings.web.secret_key_env in environment
            assert environment[settings.web.secret_key_env].startswith("${")
            assert any(port.endswith(f":{settings.web.port}") for port in service["ports"])
    assert len(consoles) == 1
    for service in services.values():  # no secret written into the file
        for value in (service.get("environment") or {}).values():
            assert "PASSWORD" not in str(value) or "${" in str(value)


def test_the_dockerfile_runs_the_daemon_as_a_user_with_volumes() -> None:
    keywords = dict(instructions())
    assert keywords["USER"] == "publisher"
    assert shlex.split(keywords["CMD"].strip("[]").replace(",", " ")) == ["run"]
