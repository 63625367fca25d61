"""Campaign plans in bulk: a table of posts checked row by row with the queue's own rules, then queued all at once.

Every row is checked before anything is written; a refusal names its row and column. Nothing is written unless
every row passes, or the caller chose to skip the bad rows (and is told which). The posts are written in one
transaction with batched inserts (``publisher.store.plans``), not one ``Queue.add_post`` transaction per row, so a
plan of 10,000 rows goes in within seconds; each still gets its deliveries, approval state, quiet-hours holds and
history event exactly as ``add_post`` gives them. ``export_plan`` writes the same columns back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from publisher.errors import NotFoundError, PublisherError, ValidationError
from publisher.media import check_post_images
from publisher.models import Action, ApprovalState, Campaign, Post
from publisher.planfile import COLUMNS, PlanRow, join_list, split_list
from publisher.queue import PostDraft, Queue, added_reason
from publisher.store import Session, Store
from publisher.store.events import add_events
from publisher.store.plans import add_plan_deliveries, add_plan_posts, all_campaigns, plan_posts
from publisher.store.posts import channel_ids
from publisher.times import parse_time

__all__ = ["PlanCheck", "RowProblem", "export_plan", "import_plan"]

#: reads a row's ``body_file`` (the command line, relative to the plan); None where no file may be opened (console)
BodyReader = Callable[[str], str]
#: turns a row's images into media-store references or https:// addresses (the command line copies local files in)
ImageResolver = Callable[[list[str]], list[str]]

#: which column a refusal of the queue's is about, by its template (a refusal not here is about the whole row)
_COLUMN_OF: Mapping[str, str] = {
    "the post needs a title": "title",
    "the title is {length} characters long, over the limit of {most}; shorten it": "title",
    "the body is {length} characters long, over the limit of {most}; shorten it": "body",
    "choose at least one channel": "channels",
    "unknown channel {names}: configured channels are {known}": "channels",
    "a channel is named twice; name each channel once": "channels",
    "say when": "time",
    "{at} is in the past; choose a later time": "time",
    "the link must be a web address starting with http:// or https:// (it has a {scheme} link)": "link",
    "the link must be a web address starting with http:// or https:// (it has no http:// or https:// at its start)": (
        "link"
    ),
    "only an admin may name someone else as the author; leave the author out (it is you, {actor})": "author",
    "the post has {count} images, over the limit of {most}; remove some": "images",
    "the post has {count} tags, over the limit of {most}; remove some": "tags",
    "the tag {tag!r}... is over the limit of {most} characters; shorten it": "tags",
    "unknown campaign {name!r}; existing campaigns: {names}": "campaign",
    "unknown campaign {name!r}; existing campaigns: none yet": "campaign",
    "cannot read the time {text!r}: write it as YYYY-MM-DD HH:MM (in {timezone}) or in ISO 8601 with an offset, "
    "e.g. 2026-12-01T16:00+08:00": "time",
    "the time {text!r} is out of range: give a date from the year {first} to {last}": "time",
    "{text} does not exist in {timezone} (the clocks skip it for daylight saving); choose another time": "time",
    "{images}: images must be uploaded into the media store (post add --image PATH copies a file in) or be "
    "https:// addresses": "images",
    "{images}: no such image in the media store; upload the file again": "images",
    "cannot read the image {image}: {reason}": "images",
    "campaign {name} ends {end}; this post is due {due}, after its end: choose an earlier time, or move the "
    "campaign's end": "time",
}


@dataclasses.dataclass(frozen=True)
class RowProblem:
    """Why one row cannot be queued: its number, the column (its name and letter; "" for the whole row)."""

    row: int
    column: str
    letter: str
    error: PublisherError
    heading: str = ""  # the column's heading as the file writes it (渠道 or channels)

    def as_error(self) -> ValidationError:
        """The refusal with its row and column before it; the faces say it in the reader's language (the core's
        error inside is translated too)."""
        if self.column:
            name = self.heading or self.column
            column = f"{name} ({self.letter})" if self.letter else name
            return ValidationError.of(
                "row {row}, column {column}: {problem}", row=self.row, column=column, problem=self.error
            )
        return ValidationError.of("row {row}: {problem}", row=self.row, problem=self.error)


@dataclasses.dataclass
class PlanCheck:
    """What a plan holds: how many rows, the ids queued (none on a dry run or a refusal), the bad rows."""

    rows: int = 0
    problems: list[RowProblem] = dataclasses.field(default_factory=list)
    queued: list[int] = dataclasses.field(default_factory=list)
    skipped: list[int] = dataclasses.field(default_factory=list)  # rows left out (--skip-bad)
    written: bool = False

    @property
    def bad_rows(self) -> list[int]:
        return sorted({p.row for p in self.problems})

    @property
    def good(self) -> int:
        return self.rows - len(self.bad_rows)


@dataclasses.dataclass
class _Planned:
    row: int
    draft: PostDraft
    post: Post
    timezone: str


class _RowError(Exception):
    def __init__(self, column: str, error: PublisherError) -> None:
        super().__init__(str(error))
        self.column, self.error = column, error


def import_plan(
    queue: Queue,
    rows: Iterable[PlanRow],
    *,
    dry_run: bool = False,
    skip_bad: bool = False,
    read_body: BodyReader | None = None,
    resolve_images: ImageResolver | None = None,
) -> PlanCheck:
    """Check every row; queue them all in one transaction if all pass (or, with ``skip_bad``, the good ones).
    ``dry_run`` checks only. A file-level refusal (an unknown column, a broken file) is raised as it is."""
    now = queue.clock.now()
    check = PlanCheck()
    planned: list[_Planned] = []
    queue.last_holds = []
    # the files a row names are read (and its images copied into the media store) before the transaction: the
    # media store writes in its own
    files: list[tuple[PlanRow, tuple[str, list[str]] | _RowError]] = []
    for row in rows:
        try:
            files.append((row, _files(queue.store, row.cells, read_body, resolve_images)))
        except _RowError as exc:
            files.append((row, exc))
    with queue.store.session() as session:
        campaigns = all_campaigns(session)
        for row, found in files:
            check.rows += 1
            try:
                if isinstance(found, _RowError):
                    raise found
                planned.append(_check_row(queue, session, campaigns, row, now, *found))
            except _RowError as exc:
                letter, heading = row.letters.get(exc.column, ""), row.headings.get(exc.column, exc.column)
                check.problems.append(RowProblem(row.number, exc.column, letter, exc.error, heading))
        if check.rows == 0:
            raise ValidationError.of("the plan has no posts: add a row for each post under the header")
        check.skipped = check.bad_rows if skip_bad else []
        if dry_run or (check.problems and not skip_bad) or not planned:
            return check
        check.queued = _write(queue, session, planned, now)
        check.written = True
    return check


def _files(
    store: Store, cells: Mapping[str, str], read_body: BodyReader | None, resolve_images: ImageResolver | None
) -> tuple[str, list[str]]:
    """The row's text (from its body file, if it names one) and its images (local files copied in)."""
    column = "body_file" if cells.get("body_file") else "body"
    try:
        body = _body(cells, read_body)
        column = "images"
        images = split_list(cells.get("images", ""), words=False)
        if images and resolve_images is not None:
            images = resolve_images(images)
        if images:  # references that exist, or https:// addresses (a path is refused: nothing opens it)
            check_post_images(store, images)
    except (ValidationError, NotFoundError) as exc:
        raise _RowError(column, exc) from None
    return body, images


def _check_row(
    queue: Queue,
    session: Session,
    campaigns: Mapping[str, Campaign],
    row: PlanRow,
    now: datetime,
    body: str,
    images: list[str],
) -> _Planned:
    cells = row.cells
    column = "campaign"
    try:
        name = cells.get("campaign") or None
        campaign = campaigns.get(name) if name else None
        if name and campaign is None:
            queue._campaign(session, name)  # refuses, listing the campaigns there are
        timezone = campaign.timezone if campaign else queue.timezone
        column = "time"
        if not cells.get("time"):
            raise ValidationError.of("the row has no time: give when it goes out, YYYY-MM-DD HH:MM")
        at = parse_time(cells["time"], timezone)
        overrides: dict[str, dict[str, str]] = {}
        for key, text in cells.items():
            kind, _, channel = key.partition(":")
            if channel and text:
                overrides.setdefault(channel, {})["body" if kind == "text" else "title"] = text
        draft = PostDraft(
            title=cells.get("title", ""),
            body=body,
            channels=split_list(cells.get("channels", "")),
            at=at,
            campaign=name,
            link=cells.get("link") or None,
            images=images,
            tags=split_list(cells.get("tags", "")),
            author=cells.get("author") or None,
            overrides=overrides,
        )
        column = ""
        title, author = queue.check_draft(draft)
        post = queue.draft_post(draft, campaign, title, author, now)
    except (ValidationError, NotFoundError) as exc:
        found = _COLUMN_OF.get(exc.template, column)
        if exc.template == "an override is given for {channel}, which the post is not queued on":
            found = next((k for k in cells if k.endswith(":" + str(exc.params["channel"]))), "channels")
        raise _RowError(found, exc) from None
    return _Planned(row.number, draft, post, timezone)


def _body(cells: Mapping[str, str], read_body: BodyReader | None) -> str:
    body, body_file = cells.get("body", ""), cells.get("body_file", "")
    if body and body_file:
        raise ValidationError.of("give the text in body or in body_file, not both")
    if not body_file:
        return body
    if read_body is None:
        raise ValidationError.of(
            "a body_file is read only by `publisher post import` on the server; put the text in the body column"
        )
    return read_body(body_file)


def _write(queue: Queue, session: Session, planned: list[_Planned], now: datetime) -> list[int]:
    """Queue the checked rows, as ``Queue.add_post`` would one by one, in the caller's transaction."""
    ids = channel_ids(session)
    posts = [p.post for p in planned]
    add_plan_posts(session, posts)
    per_post = [queue.new_deliveries(p.post, p.draft.channels, p.draft.at or now, now, ids) for p in planned]
    add_plan_deliveries(session, [d for ds in per_post for d in ds.values()])
    events: list[dict[str, Any]] = []
    for item, deliveries in zip(planned, per_post, strict=True):
        queue._wait_for_article(session, item.post, deliveries)
        queue._apply_hours(session, deliveries, item.timezone, False)
        why = added_reason(item.post, item.draft.at or now, item.timezone, item.draft.channels)
        events.append(
            {
                "at": now,
                "actor": queue.actor,
                "action": Action.POST_ADD,
                "post_id": item.post.id,
                "to_state": item.post.approval,
                "reason": why,
            }
        )
    add_events(session, events)
    if any(p.post.approval != ApprovalState.PENDING for p in planned):
        queue.store.notify_due(session)
    return [p.post.id for p in planned]


def export_plan(
    queue: Queue, *, campaign: str | None = None, due_from: datetime | None = None, due_to: datetime | None = None
) -> tuple[list[str], Iterator[dict[str, str]]]:
    """The plan's columns and its rows (active posts by first due time), in the format ``import_plan`` reads:
    times in each post's campaign's zone."""
    with queue.store.sessions() as session:
        campaign_id = queue._campaign(session, campaign).id if campaign else None
        posts = plan_posts(session, campaign_id=campaign_id, due_from=due_from, due_to=due_to)
        rows = [_export_row(post, queue.timezone) for post in posts]
    own = sorted({key for row in rows for key in row if ":" in key}, key=lambda k: (k.split(":", 1)[1], k))
    columns = [name for name in COLUMNS if name != "body_file"] + own
    return columns, iter(rows)


def _export_row(post: Post, default_zone: str) -> dict[str, str]:
    zone = post.campaign.timezone if post.campaign else default_zone
    due = min(d.due_at for d in post.deliveries)
    row = {
        "title": post.title,
        "body": post.body,
        "channels": join_list(d.channel.name for d in sorted(post.deliveries, key=lambda d: d.id)),
        "time": due.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M"),
        "campaign": post.campaign.name if post.campaign else "",
        "images": join_list(post.images or []),
        "tags": join_list(post.tags or []),
        "link": post.link or "",
        # only a named author: the one who queued it is the author by default, and an importer who may not name
        # others (an editor in the console) could not import the file back otherwise
        "author": post.author if post.author and post.author != post.created_by else "",
    }
    for channel, override in (post.overrides or {}).items():
        if override.get("body"):
            row[f"text:{channel}"] = override["body"]
        if override.get("title"):
            row[f"title:{channel}"] = override["title"]
    return row
