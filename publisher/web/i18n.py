"""Chinese and English. Strings are written in English in the code and templates and looked up in ``ZH``.

``t("Queued post {id}.", id=3)`` formats after translating. A person's language is stored on their user;
before signing in it is the one chosen on the sign-in page, else the browser's, else ``[web] language``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from publisher.web.messages import ZH

__all__ = ["Translate", "choose_language", "translator"]

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
