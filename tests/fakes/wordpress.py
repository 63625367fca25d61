"""A stand-in WordPress REST API (``/wp-json/wp/v2``), written from WordPress 6.1's behaviour as observed.

It enforces what a real site does: HTTP Basic with an Application Password (spaces in it ignored; ignored over
http unless the environment type is "local"), the role's capabilities, ``{"code", "message", "data": {"status"}}``
errors, a taken slug suffixed ``-2``, unknown term ids and ``featured_media`` dropped silently, ``term_exists``
with the existing id, and the media endpoint's header checks.

Besides the shared faults it knows "late": the request reaches the site only when the test calls ``land()``, long
after the client gave up waiting (a request stuck in a proxy or a busy PHP pool, as seen on a real site).
"""

from __future__ import annotations

import asyncio
import base64
import html
import re
import time
from typing import Any, ClassVar

from aiohttp import web

from tests.fakes.server import StandIn

__all__ = ["FakeWordPress"]

STATUSES = ("publish", "future", "draft", "pending", "private")
CAPABILITIES = {
    "editor": {"edit_posts", "publish_posts", "upload_files", "manage_categories", "delete_posts"},
    "author": {"edit_posts", "publish_posts", "upload_files", "delete_posts"},
    "contributor": {"edit_posts", "delete_posts"},
}
MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "jpg": b"\xff\xd8\xff", "jpeg": b"\xff\xd8\xff", "gif": b"GIF8"}


def _error(status: int, code: str, message: str, **data: Any) -> web.Response:
    return web.json_response({"code": code, "message": message, "data": {"status": status, **data}}, status=status)


def _invalid(param: str, message: str) -> web.Response:
    return _error(400, "rest_invalid_param", f"Invalid parameter(s): {param}", params={param: message})


class FakeWordPress(StandIn):
    kind = "wordpress"
    own_faults: ClassVar[tuple[str, ...]] = ("ok", "late")
    fault_after: ClassVar[dict[str, float]] = {"rate_limit": 30.0, "unavailable": 600.0}

    def __init__(
        self,
        *,
        username: str = "publisher",
        app_password: str = "abcd EFGH ijkl MNOP qrst UVWX",
        role: str = "editor",
        environment_type: str = "local",
        categories: tuple[str, ...] = ("Uncategorized", "News"),
        tags: tuple[str, ...] = (),
        rate_per_minute: int | None = None,
    ) -> None:
        super().__init__()
        self.username, self.app_password, self.role = username, app_password, role
        self.environment_type = environment_type
        self.rate_per_minute = rate_per_minute
        self.posts: dict[int, dict[str, Any]] = {}
        self.comments: list[dict[str, Any]] = []
        self.media: dict[int, dict[str, Any]] = {}
        self.terms: dict[str, dict[int, str]] = {"categories": {}, "tags": {}}
        self._next_id = 1
        for taxonomy, names in (("categories", categories), ("tags", tags)):
            for name in names:
                self.terms[taxonomy][self._new_id()] = name.replace("&", "&amp;")
        self._seen: list[float] = []
        self._landing = asyncio.Event()
        self._late: list[asyncio.Task[web.StreamResponse]] = []  # requests held by the "late" fault

    def new_app(self) -> web.Application:
        return web.Application(middlewares=[self._middleware], client_max_size=30 * 1024 * 1024)

    def routes(self, router: web.UrlDispatcher) -> None:
        api = "/wp-json/wp/v2"
        router.add_get(f"{api}/users/me", self._me)
        router.add_get(f"{api}/posts", self._list_posts)
        router.add_post(f"{api}/posts", self._create_post)
        router.add_delete(api + "/posts/{id:\\d+}", self._trash_post)
        router.add_get(api + "/posts/{id:\\d+}", self._get_post)
        router.add_get(f"{api}/comments", self._list_comments)
        router.add_post(f"{api}/media", self._upload)
        for taxonomy in ("categories", "tags"):
            router.add_get(f"{api}/{taxonomy}", self._list_terms)
            router.add_post(f"{api}/{taxonomy}", self._create_term)

    def channel_options(self, base_url: str) -> tuple[dict[str, Any], dict[str, str]]:
        options = {"url": base_url, "username": self.username, "app_password_env": "WP_APP_PASSWORD"}
        return options, {"WP_APP_PASSWORD": self.app_password}

    def set_status(self, post_id: int, status: str) -> None:
        """An editor changes the post's status in wp-admin (to draft, private, trash...)."""
        post = self.posts[post_id]
        if status == "trash" and post["status"] != "trash":
            post["slug"] += "__trashed"
        post["status"] = status

    def delete(self, post_id: int) -> None:
        """An editor empties the trash: the post is gone for good."""
        del self.posts[post_id]

    def comment(self, post_id: int, count: int = 1, *, approved: bool = True) -> None:
        """Readers comment; an unapproved (held) comment is not counted by the public API."""
        self.comments.extend({"post": post_id, "approved": approved} for _ in range(count))

    def live(self) -> list[dict[str, Any]]:
        """Posts a reader can see on the site (not trashed)."""
        return [post for post in self.posts.values() if post["status"] != "trash"]

    async def land(self) -> int:
        """Let the requests held by the "late" fault reach the site now, and wait until it has handled them;
        returns how many there were."""
        held, self._late = self._late, []
        self._landing.set()
        await asyncio.gather(*held)
        self._landing.clear()
        return len(held)

    async def _arrive_late(self, request: web.Request, handler: Any) -> web.StreamResponse:
        await request.read()  # the body came with the request; the client may be gone when it is handled
        task = asyncio.create_task(self._when_landed(request, handler))
        self._late.append(task)
        # shielded: the site handles the request even when the connection it came on is closed
        return await asyncio.shield(task)

    async def _when_landed(self, request: web.Request, handler: Any) -> web.StreamResponse:
        await self._landing.wait()
        response: web.StreamResponse = await handler(request)
        return response

    async def _shutdown(self, app: web.Application) -> None:
        for task in self._late:  # never let land: lost with the site
            task.cancel()
        await super()._shutdown(app)

    # --- plumbing ----------------------------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        now = time.monotonic()
        if self.rate_per_minute is not None:  # core has none; this is the host's firewall
            self._seen = [t for t in self._seen if now - t < 60]
            if len(self._seen) >= self.rate_per_minute:
                wait = int(60 - (now - self._seen[0])) + 1
                return web.Response(status=429, text="Too Many Requests", headers={"Retry-After": str(wait)})
            self._seen.append(now)
        fault = self.next_fault()
        if fault == "rate_limit":
            return web.Response(status=429, text="Too Many Requests", headers={"Retry-After": "30"})
        if fault == "server_error":
            message = "<p>There has been a critical error on this website.</p>"
            return _error(500, "internal_server_error", message)
        if fault == "unavailable":  # maintenance mode
            text = "Briefly unavailable for scheduled maintenance. Check back in a minute."
            return web.Response(status=503, text=text, headers={"Retry-After": "600"})
        if fault == "auth":
            return self._anonymous(request)
        if fault == "late":
            return await self._arrive_late(request, handler)
        return await self.misbehave(fault, request, await handler(request), '{"id": 1, "link": "http')

    def _user(self, request: web.Request) -> bool:
        """Whether the request carries this user's application password (and the site honours them)."""
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic ") or self.environment_type != "local":
            return False  # over http application passwords are off unless the site is 'local'
        try:
            login, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        strip = re.compile(r"[^a-zA-Z0-9]")  # WordPress ignores anything but letters and digits
        return login == self.username and strip.sub("", password) == strip.sub("", self.app_password)

    def _can(self, capability: str) -> bool:
        return capability in CAPABILITIES.get(self.role, set())

    def _anonymous(self, request: web.Request) -> web.Response:
        if request.method == "GET" and request.path.endswith("/users/me"):
            return _error(401, "rest_not_logged_in", "You are not currently logged in.")
        return _error(401, "rest_cannot_create", "Sorry, you are not allowed to create posts as this user.")

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    # --- routes ------------------------------------------------------------------------------------------------

    async def _me(self, request: web.Request) -> web.Response:
        if not self._user(request):
            return self._anonymous(request)
        capabilities = dict.fromkeys(sorted(CAPABILITIES.get(self.role, ())), True)
        return web.json_response(
            {"id": 2, "username": self.username, "roles": [self.role], "capabilities": capabilities}
        )

    async def _list_posts(self, request: web.Request) -> web.Response:
        statuses = request.query.get("status", "publish").split(",")
        user = self._user(request)
        if not user and statuses != ["publish"]:
            return _invalid("status", "Status is forbidden.")
        if not user and request.query.get("context") == "edit":
            return _error(401, "rest_forbidden_context", "Sorry, you are not allowed to edit posts in this post type.")
        wanted = set(STATUSES) if statuses == ["any"] else set(statuses)
        slugs = request.query.get("slug", "").split(",") if "slug" in request.query else None
        found = [p for p in self.posts.values() if p["status"] in wanted and (slugs is None or p["slug"] in slugs)]
        return web.json_response(found)

    async def _create_post(self, request: web.Request) -> web.Response:
        if not self._user(request):
            return self._anonymous(request)
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "rest_invalid_json", "Invalid JSON body passed.")
        status = body.get("status", "draft")
        if status not in STATUSES:
            return _invalid("status", "status is not one of publish, future, draft, pending, and private.")
        for field in ("categories", "tags"):
            if not all(isinstance(i, int) for i in body.get(field, [])):
                return _invalid(field, f"{field}[0] is not of type integer.")
        if status == "publish" and not self._can("publish_posts"):
            return _error(403, "rest_cannot_publish", "Sorry, you are not allowed to publish posts in this post type.")
        if not any(body.get(field) for field in ("title", "content", "excerpt")):
            return _error(400, "empty_content", "Content, title, and excerpt are empty.")
        post_id = self._new_id()
        slug = str(body.get("slug") or f"post-{post_id}").lower()
        taken = {p["slug"] for p in self.posts.values()}  # through REST, drafts' slugs are made unique too
        base, n = slug, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        site = f"{request.scheme}://{request.host}"
        post = {
            "id": post_id,
            "slug": slug,
            "status": status,
            "type": "post",
            "link": f"{site}/{slug}/" if status == "publish" else f"{site}/?p={post_id}",
            "title": {"raw": body.get("title", ""), "rendered": html.escape(body.get("title", ""))},
            "content": {"raw": body.get("content", ""), "rendered": body.get("content", "")},
            "excerpt": {"raw": body.get("excerpt", ""), "rendered": f"<p>{body.get('excerpt', '')}</p>\n"},
            # unknown ids are dropped without a word, as WordPress does
            "categories": [i for i in body.get("categories", []) if i in self.terms["categories"]],
            "tags": [i for i in body.get("tags", []) if i in self.terms["tags"]],
            "featured_media": body.get("featured_media", 0) if body.get("featured_media") in self.media else 0,
        }
        self.posts[post_id] = post
        self.accepted.append(post)
        location = f"{site}/wp-json/wp/v2/posts/{post_id}"
        return web.json_response(post, status=201, headers={"Location": location})

    async def _trash_post(self, request: web.Request) -> web.Response:
        post = self.posts.get(int(request.match_info["id"]))
        if not self._user(request) or not self._can("delete_posts"):
            return _error(401, "rest_cannot_delete", "Sorry, you are not allowed to delete this post.")
        if post is None:
            return _error(404, "rest_post_invalid_id", "Invalid post ID.")
        if post["status"] == "trash":
            return _error(410, "rest_already_trashed", "The post has already been deleted.")
        post.update(status="trash", slug=post["slug"] + "__trashed")
        return web.json_response(post)

    async def _get_post(self, request: web.Request) -> web.Response:
        post = self.posts.get(int(request.match_info["id"]))
        if post is None:
            return _error(404, "rest_post_invalid_id", "Invalid post ID.")
        if post["status"] != "publish" and not self._user(request):  # only an editor sees drafts and the trash
            return _error(401, "rest_forbidden", "Sorry, you are not allowed to do that.")
        if request.query.get("context") == "edit" and not self._user(request):
            return _error(401, "rest_forbidden_context", "Sorry, you are not allowed to edit this post.")
        return web.json_response(post)

    async def _list_comments(self, request: web.Request) -> web.Response:
        per_page = int(request.query.get("per_page", "10"))
        if not 1 <= per_page <= 100:
            return _invalid("per_page", "per_page must be between 1 (inclusive) and 100 (inclusive)")
        post = int(request.query["post"]) if "post" in request.query else None
        found = [
            {"id": n, "post": c["post"]}
            for n, c in enumerate(self.comments, 1)
            if c["approved"] and (post is None or c["post"] == post)
        ]
        return web.json_response(found[:per_page], headers={"X-WP-Total": str(len(found)), "X-WP-TotalPages": "1"})

    async def _upload(self, request: web.Request) -> web.Response:
        if not self._user(request) or not self._can("upload_files"):
            return _error(401, "rest_cannot_create", "Sorry, you are not allowed to upload media on this site.")
        disposition = request.headers.get("Content-Disposition")
        if "Content-Type" not in request.headers:
            return _error(400, "rest_upload_no_content_type", "No Content-Type supplied.")
        if not disposition:
            return _error(400, "rest_upload_no_content_disposition", "No Content-Disposition supplied.")
        match = re.search(r'filename="?([^";]+)"?', disposition)
        if not match:
            message = "Invalid Content-Disposition supplied. Content-Disposition needs to be formatted as "
            return _error(400, "rest_upload_invalid_disposition", message + '`attachment; filename="image.png"`.')
        data = await request.read()
        if not data:
            return _error(400, "rest_upload_no_data", "No data supplied.")
        filename = match.group(1)
        extension = filename.rsplit(".", 1)[-1].lower()
        if extension not in MAGIC or not data.startswith(MAGIC[extension]):
            return _error(500, "rest_upload_sideload_error", "Sorry, you are not allowed to upload this file type.")
        media_id = self._new_id()
        source = f"{request.scheme}://{request.host}/wp-content/uploads/2026/11/{filename}"
        alt = request.query.get("alt_text", "")  # WordPress takes a POST's arguments from its query too
        self.media[media_id] = {
            "id": media_id,
            "source_url": source,
            "media_type": "image",
            "bytes": data,
            "alt_text": alt,
        }
        return web.json_response({"id": media_id, "source_url": source, "media_type": "image"}, status=201)

    async def _list_terms(self, request: web.Request) -> web.Response:
        taxonomy = request.path.rsplit("/", 1)[1]
        if int(request.query.get("per_page", "10")) > 100:
            return _invalid("per_page", "per_page must be between 1 (inclusive) and 100 (inclusive)")
        search = request.query.get("search", "").lower()  # on the stored, escaped name, like SQL LIKE
        found = [{"id": i, "name": n} for i, n in self.terms[taxonomy].items() if search in n.lower()]
        return web.json_response(found)

    async def _create_term(self, request: web.Request) -> web.Response:
        taxonomy = request.path.rsplit("/", 1)[1]
        if not self._user(request) or not self._can("manage_categories"):
            return _error(401, "rest_cannot_create", "Sorry, you are not allowed to create terms in this taxonomy.")
        body = await request.json()
        if not body.get("name"):
            return _error(400, "rest_missing_callback_param", "Missing parameter(s): name", params=["name"])
        stored = body["name"].replace("&", "&amp;")  # what kses does to "&"
        for term_id, name in self.terms[taxonomy].items():
            if name.lower() == stored.lower():
                message = "A term with the name provided already exists in this taxonomy."
                return _error(400, "term_exists", message, term_id=term_id)
        term_id = self._new_id()
        self.terms[taxonomy][term_id] = stored
        return web.json_response({"id": term_id, "name": stored, "taxonomy": taxonomy}, status=201)
