"""Finding 7, the smaller holes: (a) a ``javascript:`` link, (b) an editor naming someone else as author, (c) an
approver approving their own post, (d) remote images in a preview loading in the approver's browser."""

# ruff: noqa: F811  (the console's fixtures, imported from tests.web.conftest, are parameters here)
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from publisher.clock import ManualClock
from publisher.errors import ValidationError
from publisher.models import ApprovalState
from publisher.queue import PostDraft, Queue
from publisher.store import Store, post_history
from publisher.web.accounts import UserView
from publisher.web.console import Console
from publisher.web.security import CSP
from tests.test_cli import Cli
from tests.web.conftest import Visitor, app, console, people, visitors  # noqa: F401  (the console's fixtures)

BAD_LINKS = [
    "javascript:alert(document.cookie)",
    " JavaScript:alert(1)",
    "data:text/html,<script>x</script>",
    "file:///etc/passwd",
    "//evil.example/x",
]
PIXEL = "https://tracker.example/pixel.gif?who=approver"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def tokens(console: Console, people: dict[str, UserView]) -> dict[str, str]:
    return {role: console.accounts.create_token(user.id, "tool", actor="setup")[1] for role, user in people.items()}


# --- (a) links only http/https ------------------------------------------------------------------------------------


@pytest.mark.parametrize("link", BAD_LINKS)
def test_a_link_that_is_not_a_web_address_is_refused_on_the_cli(tmp_path: Path, link: str) -> None:
    (tmp_path / "publisher.toml").write_text('[channels.website]\nkind = "outbox"\nfolder = "out"\n', encoding="utf-8")
    cli = Cli(tmp_path)
    cli("init")
    said = cli.refused("post", "add", "--title", "t", "--body", "b", "--channel", "website", "--now", "--link", link)
    assert "the link must be a web address starting with http:// or https://" in said
    assert cli.json("post", "list") == []  # nothing written
    cli(
        "post", "add", "--title", "t", "--body", "b", "--channel", "website", "--now", "--link", "https://example.org/a"
    )


@pytest.mark.parametrize("link", BAD_LINKS)
async def test_a_link_that_is_not_a_web_address_is_refused_by_the_api(
    visitors: Any, tokens: dict[str, str], link: str
) -> None:
    http = (await visitors()).http
    body = {"title": "t", "body": "b", "channels": ["website"], "now": True, "link": link}
    refused = await http.post("/api/posts", json=body, headers=auth(tokens["editor"]))
    assert refused.status_code == 422
    assert "the link must be a web address starting with http:// or https://" in refused.json()["error"]
    body["link"] = "https://example.org/a"
    assert (await http.post("/api/posts", json=body, headers=auth(tokens["editor"]))).status_code == 201


# --- (b) the author is the acting person unless an admin says otherwise --------------------------------------------


async def test_an_editor_cannot_name_someone_else_as_author(
    visitors: Any, console: Console, tokens: dict[str, str]
) -> None:
    http = (await visitors()).http
    body = {"title": "t", "body": "b", "channels": ["website"], "now": True, "author": "园长"}
    refused = await http.post("/api/posts", json=body, headers=auth(tokens["editor"]))
    assert refused.status_code == 422
    assert "only an admin may name someone else as the author" in refused.json()["error"]

    del body["author"]
    mine = await http.post("/api/posts", json=body, headers=auth(tokens["editor"]))
    assert author_of(console, mine.json()["id"]) == "eve"  # the token's user

    body["author"] = "园长"
    named = await http.post("/api/posts", json=body, headers=auth(tokens["admin"]))
    assert named.status_code == 201
    assert author_of(console, named.json()["id"]) == "园长"


def author_of(console: Console, post_id: int) -> str | None:
    post, _ = post_history(console.store, post_id)
    assert post is not None
    return post.author


# --- (c) two different people: author and approver ----------------------------------------------------------------


def test_an_approver_cannot_approve_their_own_post_when_the_campaign_requires_two_people(
    store: Store, queue: Queue, clock: ManualClock
) -> None:
    queue.add_campaign("open-day", requires_approval=True)  # two people by default where approval is required
    own = Queue(store, queue.adapters, clock, actor="园长")
    post_id = own.add_post(PostDraft(title="t", body="b", channels=["website"], now=True, campaign="open-day"))
    with pytest.raises(ValidationError, match="requires someone else to approve it"):
        own.approve(post_id)
    post, _ = post_history(store, post_id)
    assert post is not None
    assert post.approval == ApprovalState.PENDING

    # nor by naming someone else as author: whoever queued it is one of the two people
    named = own.add_post(
        PostDraft(title="t", body="b", channels=["website"], now=True, campaign="open-day", author="x")
    )
    with pytest.raises(ValidationError, match="requires someone else to approve it"):
        own.approve(named)
    Queue(store, queue.adapters, clock, actor="another").approve(post_id)


def test_one_person_may_approve_their_own_post_when_the_setting_is_off(
    store: Store, queue: Queue, clock: ManualClock
) -> None:
    queue.add_campaign("small", requires_approval=True, separate_approver=False)
    own = Queue(store, queue.adapters, clock, actor="园长")
    post_id = own.add_post(PostDraft(title="t", body="b", channels=["website"], now=True, campaign="small"))
    own.approve(post_id)
    post, _ = post_history(store, post_id)
    assert post is not None
    assert post.approval == ApprovalState.APPROVED


def test_the_cli_sets_the_two_people_rule(tmp_path: Path) -> None:
    (tmp_path / "publisher.toml").write_text('[channels.website]\nkind = "outbox"\nfolder = "out"\n', encoding="utf-8")
    cli = Cli(tmp_path)
    cli("init")
    cli("campaign", "add", "strict", "--requires-approval")
    cli("campaign", "add", "relaxed", "--requires-approval", "--one-person")
    listed = {c["name"]: c["approver"] for c in cli.json("campaign", "list")}
    assert listed == {"strict": "not the author", "relaxed": "anyone"}
    cli("post", "add", "--title", "t", "--body", "b", "--channel", "website", "--now", "--campaign", "strict")
    post_id = cli.json("post", "list")[0]["post"]
    said = cli.refused("post", "approve", str(post_id))  # the CLI acts as $USER, who queued it
    assert "requires someone else to approve it" in said
    cli("--as", "园长", "post", "approve", str(post_id))


async def test_the_console_says_so_in_chinese(visitors: Any, console: Console, people: dict[str, UserView]) -> None:
    console.queue("setup").add_campaign("open-day", requires_approval=True)
    post_id = console.queue("园长").add_post(
        PostDraft(title="t", body="b", channels=["website"], now=True, campaign="open-day")
    )
    approver: Visitor = await visitors("园长")
    await approver.post("/language", {"lang": "zh", "next": "/queue"})
    await approver.post(f"/posts/{post_id}/approve", {"note": ""})
    page = (await approver.get(f"/posts/{post_id}")).text
    assert f"稿件 {post_id} 由您撰写或提交：活动 open-day 要求由另一个人审批。" in page


# --- (d) no remote image loads in a preview ----------------------------------------------------------------------


async def test_a_preview_loads_no_remote_image(visitors: Any, people: dict[str, UserView]) -> None:
    body = f"Look ![who opened this]({PIXEL}) and ![](//tracker.example/p.gif) and ![ours](/static/logo.png)"
    approver: Visitor = await visitors("园长")
    for path, form in [
        ("/posts/preview", {"title": "t", "body": body, "channels": ["website"], "csrf_token": approver.token}),
        ("/posts/new", {"title": "t", "body": body, "channels": ["website"], "action": "preview"}),
    ]:
        response = await (approver.fetch(path, form) if path == "/posts/preview" else approver.post(path, form))
        sources = re.findall(r"<img[^>]*\bsrc=\"([^\"]*)\"", response.text)
        assert not [s for s in sources if not s.startswith("/")], path
        assert "tracker.example" in response.text  # shown as a link to follow, not loaded
        img_src = re.search(r"img-src ([^;]*)", response.headers["Content-Security-Policy"])
        assert img_src is not None
        assert img_src.group(1).split() == ["'self'", "data:"]
    assert "https:" not in re.search(r"img-src ([^;]*)", CSP).group(1)  # type: ignore[union-attr]
