"""The README's short tour runs as written, from the project folder, with the installed `publisher` command.

Every command of the tour's shell blocks is run in order in a fresh folder that holds the tour's config, except
`publisher track --once`, which would look up the example outlet's outside host name (tests reach loopback only).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PUBLISHER = Path(sys.executable).with_name("publisher")
SKIPPED = {"publisher track --once"}  # reaches the network: the guard resolves the feed's host name first


def tour_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tour = readme.split("## A short tour", 1)[1].split("\n## ", 1)[0]
    commands: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", tour, flags=re.S):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            command = line.split("  #", 1)[0].strip()  # the tour's comments stand after two or more spaces
            if command:
                commands.append(" ".join(command.split()))
    return commands


def test_the_tour_has_the_five_steps() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for step in ("### Queue", "### Approve", "### Send", "### Track", "### Report"):
        assert step in readme
    assert any(command.startswith("export PUBLISHER_CONFIG=") for command in tour_commands())


def test_the_readme_tour_runs_as_written(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "config", tmp_path / "config")
    env = {key: value for key, value in os.environ.items() if not key.startswith("PUBLISHER_")}
    env["LANG"] = "C.UTF-8"
    ran = []
    for command in tour_commands():
        if command in SKIPPED:
            continue
        if command.startswith("export "):
            name, value = command.removeprefix("export ").split("=", 1)
            env[name] = value
            continue
        argv = shlex.split(command)
        assert argv[0] == "publisher", f"the tour should only run publisher commands: {command}"
        done = subprocess.run(
            [str(PUBLISHER), *argv[1:]], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"{command!r} failed:\n{done.stdout}\n{done.stderr}"
        ran.append(command)
    assert len(ran) >= 12
    sent = sorted(path.name.split("-")[2] for path in (tmp_path / "outbox").glob("pub-1-*.json"))
    assert sent == ["website", "weibo"]  # approved, then sent by `dispatch --once`
    assert list(tmp_path.glob("report-*-zh.html"))
    assert list(tmp_path.glob("report-*-zh.xlsx"))
