"""Webhooks (admins only): add, switch on and off, give a new secret, remove, resume a paused one; the delivery log
with a "resend" button. All through ``publisher.services.webhooks``, as the CLI's ``webhook`` commands are."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from publisher.services.webhooks import EVENT_TYPES, Webhooks
from publisher.web.auth import console_of, page
from publisher.web.models import Role
from publisher.web.pages.common import Submission, form_action
from publisher.web.views import render

__all__ = ["routes"]

LOG_ROWS = 100
#: the event types and the outbox states in words (translated when shown)
TYPE_WORDS = {
    "post.created": "post created",
    "post.approved": "post approved",
    "post.rejected": "post rejected",
    "delivery.sent": "delivery sent",
    "delivery.failed": "delivery failed",
    "delivery.uncertain": "delivery uncertain",
    "post.taken_down": "post taken down",
    "coverage.found": "coverage found",
}
STATE_WORDS = {"queued": "waiting", "delivered": "delivered", "failed": "failed"}


def _service(sent: Submission) -> Webhooks:
    console = sent.console
    return Webhooks(console.settings, console.store, console.clock)


@page(Role.ADMIN)
async def webhooks_page(request: Request) -> Response:
    console = console_of(request)
    service = Webhooks(console.settings, console.store, console.clock)
    state = request.query_params.get("state") or None
    rows = await run_in_threadpool(service.subscribers)
    if state not in STATE_WORDS:
        state = None
    log = await run_in_threadpool(service.log, None, state, LOG_ROWS)
    words = {action.value: TYPE_WORDS[name] for name, actions in EVENT_TYPES.items() for action in actions}
    context = {
        "rows": rows,
        "log": log,
        "types": TYPE_WORDS,
        "action_words": words,
        "state_words": STATE_WORDS,
        "state": state,
    }
    return render(request, "webhooks.html", context)


def _secret_told(sent: Submission, name: str, secret: str) -> str:
    return sent.t(
        "Webhook {name}: its signing secret, shown this once (give it to the receiver): {secret}",
        name=name,
        secret=secret,
    )


@form_action("/webhooks", Role.ADMIN)
def add_webhook(sent: Submission) -> str:
    name, url = sent.field("name"), sent.field("url")
    types = [value for value in sent.form.getlist("event") if isinstance(value, str)]
    secret = _service(sent).add(name, url, types, sent.user.name)
    return _secret_told(sent, name, secret)


@form_action("/webhooks", Role.ADMIN)
def switch_webhook(sent: Submission) -> str:
    name, on = sent.params["name"], sent.field("active") == "1"
    _service(sent).edit(name, active=on, actor=sent.user.name)
    return sent.t("Webhook {name} is on.", name=name) if on else sent.t("Webhook {name} is off.", name=name)


@form_action("/webhooks", Role.ADMIN)
def rotate_webhook(sent: Submission) -> str:
    name = sent.params["name"]
    secret = _service(sent).edit(name, rotate=True, actor=sent.user.name) or ""
    return _secret_told(sent, name, secret)


@form_action("/webhooks", Role.ADMIN)
def resume_webhook(sent: Submission) -> str:
    name = sent.params["name"]
    _service(sent).resume(name, sent.user.name)
    return sent.t("Webhook {name} resumed: what waited goes out now.", name=name)


@form_action("/webhooks", Role.ADMIN)
def remove_webhook(sent: Submission) -> str:
    name = sent.params["name"]
    _service(sent).remove(name, sent.user.name)
    return sent.t("Webhook {name} removed.", name=name)


@form_action("/webhooks", Role.ADMIN)
def resend_webhook(sent: Submission) -> str:
    row_id = int(sent.params["delivery_id"])
    _service(sent).resend(row_id, sent.user.name)
    return sent.t("Event {id} will be sent again now.", id=row_id)


routes = [
    Route("/webhooks", webhooks_page),
    Route("/webhooks/add", add_webhook, methods=["POST"]),
    Route("/webhooks/{name}/active", switch_webhook, methods=["POST"]),
    Route("/webhooks/{name}/secret", rotate_webhook, methods=["POST"]),
    Route("/webhooks/{name}/resume", resume_webhook, methods=["POST"]),
    Route("/webhooks/{name}/remove", remove_webhook, methods=["POST"]),
    Route("/webhooks/log/{delivery_id:int}/resend", resend_webhook, methods=["POST"]),
]
