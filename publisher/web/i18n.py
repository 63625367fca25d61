"""Chinese and English. Strings are written in English in the code and templates and looked up in ``ZH``.

``t("Queued post {id}.", id=3)`` formats after translating. A person's language is stored on their user;
before signing in it is the one chosen on the sign-in page, else the browser's, else ``[web] language``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from publisher.errors import PublisherError
from publisher.web.messages import ZH

__all__ = ["Translate", "choose_language", "event_note", "say", "translator"]

Translate = Callable[..., str]


def translator(language: str) -> Translate:
    catalogue = ZH if language == "zh" else {}

    def t(text: str, /, **values: Any) -> str:
        translated: str = catalogue.get(text, text)
        return translated.format(**values) if values else translated

    return t


def choose_language(chosen: str | None, accept_language: str | None, default: str) -> str:
    if chosen in ("zh", "en"):
        return chosen
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return default


def say(t: Translate, error: BaseException) -> str:
    """A refusal from the core in the reader's language: its template translated when it was made with
    ``PublisherError.of``, else its exact message from the catalogue (a fixed sentence), else as written."""
    if isinstance(error, PublisherError) and error.template:
        # a refusal wrapped in another (a config key's cron expression) is said in the same language
        params = {k: say(t, v) if isinstance(v, PublisherError) else v for k, v in error.params.items()}
        return t(error.template, **params)
    return t(str(error))


#: the fixed shapes in which the core words the reasons of its own history events (publisher.queue, the store's
#: claims), each with its English template in the catalogue; a person's note or a platform's error matches none and
#: is shown as written
_EVENT_NOTES = [
    (re.compile(r"attempt (?P<n>\d+)"), "attempt {n}"),
    (
        re.compile(r"due (?P<when>.+?) on (?P<channels>[^;]+); waits for approval"),
        "due {when} on {channels}; waits for approval",
    ),
    (re.compile(r"due (?P<when>.+?) on (?P<channels>[^;]+)"), "due {when} on {channels}"),
    (re.compile(r"cancelled"), "cancelled"),
    (re.compile(r"rejected: (?P<reason>.*)", re.S), "rejected: {reason}"),
    (re.compile(r"replaced by post (?P<id>\d+)"), "replaced by post {id}"),
    (re.compile(r"replaces post (?P<id>\d+)"), "replaces post {id}"),
    (
        re.compile(r"found by lookup after an earlier unanswered attempt"),
        "found by lookup after an earlier unanswered attempt",
    ),
    (re.compile(r"extra copies moved to the trash: (?P<ids>.+)"), "extra copies moved to the trash: {ids}"),
    (
        re.compile(r"extra copies left online, remove them by hand: (?P<ids>[^(]+?)(?: \((?P<why>.*)\))?", re.S),
        "extra copies left online, remove them by hand: {ids}",
    ),
]


def event_note(t: Translate, reason: str) -> str:
    """A history event's reason in the reader's language when the core wrote it in one of its fixed shapes; a
    reason of several notes joined by "; " is said note by note (a note in no fixed shape stays as written)."""
    said = _one_note(t, reason)
    if said is not None:
        return said
    notes = [(part, _one_note(t, part)) for part in reason.split("; ")]
    if len(notes) == 1 or all(said is None for _, said in notes):
        return reason  # a person's note, or a platform's error, as written
    return t("; ").join(said or part for part, said in notes)


def _one_note(t: Translate, reason: str) -> str | None:
    for shape, template in _EVENT_NOTES:
        found = shape.fullmatch(reason)
        if found:
            values = {k: v for k, v in found.groupdict().items() if v is not None}
            why = values.pop("why", None)
            return t(template, **values) + (f" ({why})" if why else "")
    return None
