"""The ``wordpress`` channel: a post on a WordPress site through its REST API (``/wp-json/wp/v2``).

Authentication is an Application Password sent as HTTP Basic. WordPress has no idempotency key, and a second POST
with a slug already taken succeeds with the slug suffixed ``-2``. So every post carries a slug derived from the
delivery's key (``slug_for``), and after an unknown outcome the dispatcher calls ``lookup``, which finds the post
by that slug. A twin can appear anyway: a request still on its way when the lookup ran lands later, under
``<slug>-2``. Every look at a key (``lookup``, ``reconcile``, and ``publish`` when it gets a suffixed slug back) so
finds all its copies, keeps the first created and moves the others to the trash; the receipt's ``details`` say
which (``trashed``), and which could not be (``duplicates_left``, ``duplicate_error``).
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from adapters.article import article, excerpt, slug_for
from adapters.base import (
    Capabilities,
    ChannelAdapter,
    Idempotency,
    Limits,
    Payload,
    PostContent,
    ReadBack,
    Receipt,
    read_back_safely,
)
from adapters.errors import ChannelError, CredentialsRejected, Permanent, Retryable, Uncertain
from adapters.http import raise_for_transport, status_error, summarise
from adapters.media import EXTENSIONS
from adapters.options import Option, timeout

# article, excerpt and slug_for (adapters.article) lived here; still importable from here
__all__ = ["WordPressAdapter", "article", "copy_slugs", "excerpt", "slug_for"]

STATUSES = ("publish", "draft", "pending", "private")
#: copies of one post looked for: its slug, and the suffixed ones WordPress gives twins (``-2`` to ``-10``)
COPIES = 10
_COPY_DETAILS = ("trashed", "duplicates_left", "duplicate_error")  # what a lookup says of extra copies


def copy_slugs(key: str) -> list[str]:
    """The slugs the copies of ``key``'s post can have: a trashed copy's slug becomes ``…__trashed`` and frees its
    suffix, so a few suffixes cover every twin a send can leave."""
    slug = slug_for(key)
    return [slug, *(f"{slug}-{n}" for n in range(2, COPIES + 1))]


class WordPressAdapter(ChannelAdapter):
    kind: ClassVar[str] = "wordpress"
    options: ClassVar[tuple[Option, ...]] = (
        Option(
            name="url",
            url=True,
            help="The site's address, without /wp-json: what visitors type. Use https:// (see WP_ENVIRONMENT_TYPE in "
            "the docs).",
            example="https://www.example.edu.cn",
        ),
        Option(
            name="username",
            help='The WordPress user that posts. Give it the "editor" role (publish, upload, manage categories) or '
            '"author" (publish and upload only: then keep create_terms = false and create the categories by hand).',
            example="publisher",
        ),
        Option(
            name="app_password_env",
            help="The environment variable holding that user's Application Password (Users → Profile → Application "
            "Passwords). Never the password itself, and never the user's login password.",
            example="WORDPRESS_APP_PASSWORD",
        ),
        Option(
            name="status",
            default="publish",
            choices=STATUSES,
            help='"publish" (default), "draft" (an editor publishes it by hand), "pending" (awaiting review) or '
            '"private".',
            example="publish",
        ),
        Option(
            name="categories",
            type=list,
            items=str,
            default=(),
            help="Category names given to every post of this channel. Each must exist on the site unless "
            "create_terms = true.",
            example=["News"],
        ),
        Option(
            name="create_terms",
            type=bool,
            default=False,
            help="true: create missing categories and tags; false (default): a post naming a missing category or tag "
            "fails, with the missing name in the reason, and `channel test` lists the categories the site lacks. "
            "On a fresh site, which has no categories or tags yet, true lets posts go out as they are (the user then "
            "needs the editor role); with false, create the categories and tags by hand first.",
            example=True,
        ),
        timeout("Seconds to wait for each answer (an image upload included)."),
    )
    # articles: other deliveries carry its link
    capabilities: Capabilities = Capabilities(articles=True, lookup=True, read_back=True)
    # no length limit in core; rate limits, if any, are the host's; uploads make each post several requests
    limits: Limits = Limits(max_length=None, max_images=10, rate_per_minute=None, concurrency=2)
    idempotency: Idempotency = "lookup"

    def setup(self, config: dict[str, Any]) -> None:
        self.url: str = config["url"]
        self.api = self.url + "/wp-json/wp/v2"
        self.username: str = config["username"]
        self._auth = httpx.BasicAuth(self.username, config["app_password_env"])
        # over plain http WordPress ignores even a right application password unless the site is 'local'
        http = " (over http://, also that the site's WP_ENVIRONMENT_TYPE is 'local')" if self.url[:5] == "http:" else ""
        self._refused = (
            f"WordPress refused the application password for user {self.username!r}: check username and "
            f"app_password_env{http}"
        )
        self.status: str = config["status"]
        self.categories: list[str] = list(config["categories"])
        self.create_terms: bool = config["create_terms"]
        self.timeout: float = config["timeout"]

    def render(self, post: PostContent) -> Payload:
        return Payload(text=f"{post.title}\n\n{post.body}", data=article(post))

    async def publish(self, payload: Payload, key: str) -> Receipt:
        data, slug = payload.data, slug_for(key)
        categories = [await self._term("categories", name) for name in self.categories]
        tags = [await self._term("tags", name) for name in data["tags"]]
        media = [await self._upload(image, f"{slug}-{n}") for n, image in enumerate(data["images"], 1)]
        # the first image is the featured one; the others follow the text
        figures = [
            f'<figure class="wp-block-image"><img src="{html.escape(url)}" alt=""/></figure>' for _, url in media[1:]
        ]
        post = {
            "title": data["title"],
            "content": "\n".join([data["html"], *figures]),
            "excerpt": data["excerpt"],
            "status": self.status,
            "slug": slug,
            "categories": categories,
            "tags": tags,
            "featured_media": media[0][0] if media else 0,
        }
        created = await self._call("POST", "/posts", json=post, creates_post=True)
        if not isinstance(created, dict) or not isinstance(created.get("id"), int):
            raise Uncertain(f"WordPress answered the post without an id: {str(created)[:200]}")
        if created.get("slug") != slug:  # the slug was taken: an earlier attempt landed after all
            try:
                copies = await self._copies(key)
            except ChannelError:  # cannot tell now; our post exists, so this send succeeded
                return _receipt(created)
            if all(copy["id"] != created["id"] for copy in copies):  # a suffix beyond COPIES, say
                copies.append(created)
            return await self._keep_first(copies)
        return _receipt(created)

    async def lookup(self, key: str) -> Receipt | None:
        """The first post made with ``key``, or None; any later copies (twins) are moved to the trash."""
        copies = await self._copies(key)
        return await self._keep_first(copies) if copies else None

    async def reconcile(self, key: str) -> list[str]:
        """Move every copy of ``key``'s post but the first to the trash; returns the ids trashed. A copy that could
        not be trashed is left for the next call (``lookup`` says which in its receipt)."""
        found = await self.lookup(key)
        return list(found.details.get("trashed", ())) if found is not None else []

    async def read_back(self, sent: Receipt, key: str) -> ReadBack:
        """Whether the post is still published (``trash`` or deleted: gone; ``draft``, ``pending``, ``private``,
        ``future``: hidden), and its approved comments. On the way, copies made by a request that landed after the
        delivery was settled are moved to the trash (``reconcile``), and ``copies`` says so."""
        found = await read_back_safely(self._read_back(sent))
        if found.state != "online":
            return found
        try:
            kept = await self.lookup(key)
        except ChannelError:  # the copies wait for the next read-back
            return found
        copies = {k: v for k, v in (kept.details if kept else {}).items() if k in _COPY_DETAILS}
        return dataclasses.replace(found, copies=copies) if copies else found

    async def _read_back(self, sent: Receipt) -> ReadBack:
        post_id = sent.remote_id or ""
        if not post_id.isdigit():
            return ReadBack.unknown(f"no WordPress post id was kept for this delivery ({post_id!r})")
        # context=edit: a trashed, draft or private post is then shown to us rather than a 401 or 404
        post = _dict(
            await self._call("GET", f"/posts/{post_id}", params={"context": "edit"}, accept="rest_post_invalid_id")
        )
        if post.get("code") == "rest_post_invalid_id":
            return ReadBack(state="gone", detail=f"post {post_id} no longer exists on {self.url} (deleted for good)")
        status, link = str(post.get("status", "")), post.get("link")
        url = link if isinstance(link, str) else sent.url
        if status == "trash":
            return ReadBack(state="gone", detail=f"post {post_id} was moved to the trash on {self.url}")
        if status != "publish":
            own = f" (this channel posts as {self.status!r})" if status == self.status else ""
            return ReadBack(state="hidden", detail=f"post {post_id} is now {status!r}: readers cannot see it{own}")
        comments, why = await self._comments(post_id)
        return ReadBack(
            state="online",
            detail=f"post {post_id} is published" + (f"; {why}" if why else ""),
            metrics={"comments": comments} if comments is not None else {},
            url=url,
        )

    async def _comments(self, post_id: str) -> tuple[int | None, str]:
        """The post's approved comments (``X-WP-Total`` of a one-item page), or None and why not: the counter is a
        bonus, its failure never hides that the post is online."""
        params: dict[str, str | int] = {"post": post_id, "per_page": 1, "_fields": "id"}
        try:
            response = await self.client.get(
                self.api + "/comments", params=params, auth=self._auth, timeout=self.timeout
            )
        except httpx.TransportError as exc:
            return None, f"comments not counted: {raise_for_transport(exc).reason}"
        total = response.headers.get("X-WP-Total", "")
        if response.status_code != 200 or not total.isdigit():
            return None, f"comments not counted: HTTP {response.status_code} {summarise(response.text[:120])}"
        return int(total), ""

    async def check(self) -> str:
        me = _dict(await self._call("GET", "/users/me", params={"context": "edit"}))
        capabilities = _dict(me.get("capabilities"))
        needed = ["publish_posts" if self.status == "publish" else "edit_posts", "upload_files"]
        needed += ["manage_categories"] if self.create_terms else []
        missing = [c for c in needed if not capabilities.get(c)]
        roles = ", ".join(str(role) for role in me.get("roles", [])) or "no role"
        if missing:
            raise Permanent(f"user {self.username!r} ({roles}) lacks {', '.join(missing)}: give it the editor role")
        verdict = f"logged in to {self.url} as {self.username!r} ({roles}); it can {', '.join(needed)}"
        if self.create_terms:
            return verdict + ("; missing categories will be created" if self.categories else "")
        # without create_terms every post would fail on a category the site lacks: say so now, not at the first send
        absent = [name for name in self.categories if await self._find("categories", name) is None]
        if absent:
            names = ", ".join(repr(name) for name in absent)
            raise Permanent(
                f"{verdict}, but the categories {names} do not exist on {self.url}: create them (Posts → Categories) "
                "or set create_terms = true"
            )
        return verdict + (f"; the categories {', '.join(map(repr, self.categories))} exist" if self.categories else "")

    async def _copies(self, key: str) -> list[dict[str, Any]]:
        """Every post (any status but trash) made with ``key``, the first created first."""
        slugs = copy_slugs(key)
        params = {"slug": ",".join(slugs), "status": "any", "context": "edit", "per_page": 100}
        found = await self._call("GET", "/posts", params=params)
        posts = [p for p in found if isinstance(p, dict) and p.get("slug") in slugs] if isinstance(found, list) else []
        # ids grow with each post made: the lowest is the copy that landed first, the one a receipt names
        return sorted((p for p in posts if isinstance(p.get("id"), int)), key=lambda p: int(p["id"]))

    async def _keep_first(self, copies: list[dict[str, Any]]) -> Receipt:
        """The first of ``copies``' receipt, once the others are in the trash (recoverable there)."""
        first, *twins = sorted(copies, key=lambda p: int(p["id"]))
        trashed, left, errors = [], [], []
        for twin in twins:
            try:
                # without force=true WordPress trashes; a copy trashed meanwhile (410) is gone all the same
                await self._call("DELETE", f"/posts/{twin['id']}", accept="rest_already_trashed")
                trashed.append(str(twin["id"]))
            except ChannelError as exc:  # the first exists either way: report the twin left behind
                left.append(str(twin["id"]))
                errors.append(exc.reason)
        receipt = _receipt(first)
        notes: dict[str, Any] = {"trashed": trashed} if trashed else {}
        if left:
            notes.update(duplicates_left=left, duplicate_error=errors[0])
        return dataclasses.replace(receipt, details={**receipt.details, **notes}) if notes else receipt

    async def _find(self, taxonomy: str, name: str) -> int | None:
        """The id of the category or tag called ``name``, or None if the site has none."""
        # WordPress stores "&" as "&amp;" and searches the stored text
        found = await self._call("GET", f"/{taxonomy}", params={"search": name.replace("&", "&amp;"), "per_page": 100})
        for term in found if isinstance(found, list) else []:
            if isinstance(term, dict) and html.unescape(str(term.get("name"))).casefold() == name.casefold():
                return int(term["id"])
        return None

    async def _term(self, taxonomy: str, name: str) -> int:
        """The id of the category or tag called ``name``, created if ``create_terms`` allows it."""
        existing = await self._find(taxonomy, name)
        if existing is not None:
            return existing
        if not self.create_terms:
            kind = "category" if taxonomy == "categories" else "tag"
            raise Permanent(f"the {kind} {name!r} does not exist on {self.url}; create it or set create_terms = true")
        # "term_exists" (created meanwhile, or spelt differently) carries the existing id
        created = await self._call("POST", f"/{taxonomy}", json={"name": name}, accept="term_exists")
        created = _dict(created)
        term_id = created.get("id", _dict(created.get("data")).get("term_id"))
        if not isinstance(term_id, int):
            raise Retryable(f"WordPress answered the new term {name!r} without an id")
        return term_id

    async def _upload(self, image: str, name: str) -> tuple[int, str]:
        """Upload one image (read through the image source) to the media library; return its id and public URL."""
        loaded = await self.images.load(image)
        filename = f"{name}.{EXTENSIONS[loaded.mime]}"
        headers = {"Content-Type": loaded.mime, "Content-Disposition": f'attachment; filename="{filename}"'}
        params = {"alt_text": loaded.alt} if loaded.alt else None  # the <img alt> WordPress writes in the article
        uploaded = await self._call("POST", "/media", content=loaded.data, headers=headers, params=params)
        if not isinstance(uploaded, dict) or not isinstance(uploaded.get("id"), int):
            raise Retryable(f"WordPress answered the upload of {image} without an id")
        return uploaded["id"], str(uploaded.get("source_url", ""))

    async def _call(self, method: str, path: str, *, creates_post: bool = False, accept: str = "", **kw: Any) -> Any:
        """One REST request; the answer's JSON (also for an error whose code is ``accept``) or a ChannelError.

        Only a request creating a post can leave a post behind when it fails midway: for the others (reads, terms,
        media) a failure after sending is Retryable, at worst leaving an unused term or image in the library.
        """
        try:
            response = await self.client.request(method, self.api + path, auth=self._auth, timeout=self.timeout, **kw)
        except httpx.TransportError as exc:
            error = raise_for_transport(exc)
            raise (error if creates_post else Retryable(error.reason)) from exc
        if 300 <= response.status_code < 400:  # nothing was done: plain permalinks, or a wrong url
            where = response.headers.get("Location", "elsewhere")
            raise Permanent(
                f"{method} {self.api}{path} was redirected to {where}: the REST API is not there; check url, and "
                "that Settings → Permalinks is not 'Plain'"
            )
        try:
            document = response.json()
        except ValueError:
            document = None
        if response.status_code >= 400:
            if accept and isinstance(document, dict) and document.get("code") == accept:
                return document
            raise _error(response, document if isinstance(document, dict) else {}, creates_post, self._refused)
        if document is None:
            reason = f"{method} {path}: HTTP {response.status_code} with an answer that is not JSON"
            raise Uncertain(reason) if creates_post else Retryable(reason)
        return document


def _error(response: httpx.Response, document: Mapping[str, Any], creates_post: bool, refused: str) -> ChannelError:
    """What an error answer ``{"code", "message", "data": {"status", "params"?}}`` means for the delivery."""
    status, code = response.status_code, str(document.get("code", ""))
    data = _dict(document.get("data"))
    message = html.unescape(str(document.get("message", summarise(response.text[:200]))))
    reason = f"HTTP {status}{' ' + code if code else ''}: {message}"
    if status == 401:
        # the password is always sent, so a 401 (not a 403) means it was not taken: WordPress 6.1 answers a wrong
        # one exactly as none at all (rest_not_logged_in, rest_cannot_create), later versions incorrect_password
        return CredentialsRejected(f"{refused} ({reason})")
    if status == 403 and code.startswith(("rest_cannot", "rest_forbidden")):
        return CredentialsRejected(reason)
    if status == 400 and data.get("params"):
        return Permanent(f"{reason} {data['params']}")
    if status >= 500 and status != 503 and not creates_post:
        # nothing that could become a post was created; an upload refused for its file type stays refused
        return Permanent(reason) if code.startswith("rest_upload") else Retryable(reason)
    return status_error(response, reason)


def _dict(value: Any) -> dict[str, Any]:
    """``value`` if the answer is the JSON object expected, else an empty one."""
    return value if isinstance(value, dict) else {}


def _receipt(post: Mapping[str, Any]) -> Receipt:
    link = post.get("link")
    return Receipt(
        remote_id=str(post["id"]),
        url=link if isinstance(link, str) else None,
        details={"slug": post.get("slug"), "status": post.get("status"), "featured_media": post.get("featured_media")},
    )
