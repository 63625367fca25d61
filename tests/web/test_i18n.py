"""Every string the console shows has its Chinese, and the catalogue holds nothing unused."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from publisher.models import ApprovalState, DeliveryState
from publisher.web.i18n import choose_language, translator
from publisher.web.messages import ZH
from publisher.web.models import Role
from publisher.web.pages.coverage import KIND_LABELS, MATCHED_LABELS
from publisher.web.pages.reports import FORMAT_LABELS
from publisher.web.views import NAV

WEB = Path(str(resources.files("publisher.web")))
_CALL = re.compile(r"""\bt\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
#: strings the templates translate through a variable (t(state), t(item.label), ...)
DYNAMIC = {
    *(s.value for s in DeliveryState),
    *(s.value for s in ApprovalState),
    *(r.value for r in Role),
    *(item.label for item in NAV),
    "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun",
    "active", "claim", "post.add", "post.approve", "post.reject", "post.cancel", "post.replace", "post.replaced",
    *(f"delivery.{s.value}" for s in DeliveryState), "delivery.reschedule",
    "The request could not be read.", "Sign in first.", "You may not do this.", "There is nothing here.",
    "Something went wrong.",
    *KIND_LABELS.values(), *MATCHED_LABELS.values(), *FORMAT_LABELS.values(),
}  # fmt: skip
UNITS = {  # the adapters' length units
    "characters",
    "bytes (UTF-8)",
    "UTF-16 code units of visible text",
    "汉字",
    "bytes of event content (canonical JSON)",
    "characters, signature included (70 fit one SMS, longer ones go in 67-character parts)",
}


def used_strings() -> set[str]:
    found: set[str] = set()
    for path in [*WEB.rglob("*.html"), *WEB.rglob("*.py")]:
        if path.name == "messages.py":
            continue
        for match in _CALL.finditer(path.read_text(encoding="utf-8")):
            found.add(match.group(1) if match.group(1) is not None else match.group(2))
    return found


def test_every_string_shown_has_its_chinese() -> None:
    needed = used_strings() | DYNAMIC | UNITS
    missing = sorted(needed - set(ZH))
    assert missing == []
    unused = sorted(set(ZH) - needed)
    assert unused == []
    assert all(ZH[key].strip() for key in ZH)


def test_every_adapter_unit_is_translated() -> None:
    import adapters

    source = "\n".join(Path(str(Path(adapters.__file__).parent / f)).read_text() for f in ("weibo.py", "wecom.py"))
    for unit in re.findall(r'unit="([^"]+)"', source):
        assert unit in ZH


def test_placeholders_survive_translation() -> None:
    for english, chinese in ZH.items():
        assert set(re.findall(r"\{(\w+)\}", english)) == set(re.findall(r"\{(\w+)\}", chinese)), english


def test_translator_and_language_choice() -> None:
    assert translator("zh")("Queued post {id}.", id=3) == "稿件 3 已排入队列。"
    assert translator("en")("Queued post {id}.", id=3) == "Queued post 3."
    assert translator("zh")("not in the catalogue") == "not in the catalogue"
    assert choose_language("en", "zh-CN", "zh") == "en"
    assert choose_language(None, "zh-TW,zh;q=0.9", "en") == "zh"
    assert choose_language(None, "fr-FR,en;q=0.5", "zh") == "en"
    assert choose_language(None, None, "zh") == "zh"
