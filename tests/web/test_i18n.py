"""Every string the console shows has its Chinese, and the catalogue holds nothing unused."""

from __future__ import annotations

import ast
import re
from importlib import resources
from pathlib import Path

from publisher.models import ApprovalState, DeliveryState
from publisher.web.i18n import _EVENT_NOTES as EVENT_NOTES
from publisher.web.i18n import choose_language, translator
from publisher.web.messages import ZH
from publisher.web.models import Role
from publisher.web.pages.coverage import KIND_LABELS, MATCHED_LABELS
from publisher.web.pages.posts import METRIC_LABELS, READ_BACK_LABELS
from publisher.web.pages.reports import FORMAT_LABELS
from publisher.web.pages.webhooks import STATE_WORDS as WEBHOOK_STATE_WORDS
from publisher.web.pages.webhooks import TYPE_WORDS as WEBHOOK_TYPE_WORDS
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
    "delivery.taken_down", "delivery.back_online", "delivery.copies_removed",
    "The request could not be read.", "Sign in first.", "You may not do this.", "There is nothing here.",
    "Something went wrong.",
    "Not Found", "Method Not Allowed", "id out of range",  # an /api/ path's HTTP error (Starlette's, BodyLimit's)
    *KIND_LABELS.values(), *MATCHED_LABELS.values(), *FORMAT_LABELS.values(),
    *READ_BACK_LABELS.values(), *METRIC_LABELS.values(),
    *(template for _, template in EVENT_NOTES),
    *WEBHOOK_TYPE_WORDS.values(), *WEBHOOK_STATE_WORDS.values(),
}  # fmt: skip
UNITS = {  # the adapters' length units
    "characters",
    "bytes (UTF-8)",
    "UTF-16 code units of visible text",
    "汉字",
    "bytes of event content (canonical JSON)",
    "characters, signature included (70 fit one SMS, longer ones go in 67-character parts)",
}


#: the core's refusal templates (``PublisherError.of("...")``, adjacent literals joined, in either quotes: one that
#: holds a double quote is written in single ones), which the console translates
_OF = re.compile(r"""\.of\(\s*((?:(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*)+)""")


def core_templates() -> set[str]:
    root = WEB.parent
    found: set[str] = set()
    for path in root.rglob("*.py"):
        for match in _OF.finditer(path.read_text(encoding="utf-8")):
            found.add(ast.literal_eval("(" + match.group(1) + ")"))
    return found


def used_strings() -> set[str]:
    found: set[str] = core_templates()
    # the console's pages and code, and the core's lines a face says through its translator (``Done.line(t)``)
    core = list(WEB.parent.glob("*.py"))
    for path in [*WEB.rglob("*.html"), *WEB.rglob("*.py"), *core]:
        if path.name == "messages.py":
            continue
        for match in _CALL.finditer(path.read_text(encoding="utf-8")):
            found.add(match.group(1) if match.group(1) is not None else match.group(2))
    return found


def cli_strings() -> tuple[set[str], set[str]]:
    """What the command line looks up in the same catalogue: (what it must have: its ``t("...")`` calls, click's
    headings and every command's short help; what it may have: option help, whole help pages, table headings)."""
    import click

    from publisher.cli import cli
    from publisher.cli.lang import _short_help

    source = ""
    # click's own words, and the state `post list` shows for a post awaiting approval (translated as a value)
    needed = {"Options", "Commands", "Show this message and exit.", "Show the version and exit.", "awaiting approval"}
    for path in (WEB.parent / "cli").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        source += text
        needed |= {m.group(1) if m.group(1) is not None else m.group(2) for m in _CALL.finditer(text)}
    optional: set[str] = {k for k in ZH if k.startswith("column.") and f'"{k.removeprefix("column.")}"' in source}
    for path in WEB.parent.rglob("*.py"):  # the core's hints for the command line, after a refusal
        needed.update(hint.strip() for hint in re.findall(r'\bcli="([^"]+)"', path.read_text(encoding="utf-8")))

    def walk(command: click.Command) -> None:
        needed.add(_short_help(command))
        optional.add(command.help or "")
        optional.update(getattr(p, "help", None) or "" for p in command.params)
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(cli)
    return needed, optional


def test_every_string_shown_has_its_chinese() -> None:
    from publisher.cli.zh import ZH as CLI_ZH

    cli_needed, cli_optional = cli_strings()
    # what only the command line says (its prompts, --version) may be in its own table instead
    needed = used_strings() | DYNAMIC | UNITS | (cli_needed - set(CLI_ZH))
    missing = sorted(needed - set(ZH))
    assert missing == []
    unused = sorted(set(ZH) - needed - cli_optional)
    assert unused == []
    assert all(ZH[key].strip() for key in ZH)


def test_every_adapter_unit_is_translated() -> None:
    import adapters

    source = "\n".join(Path(str(Path(adapters.__file__).parent / f)).read_text() for f in ("weibo.py", "wecom.py"))
    for unit in re.findall(r'unit="([^"]+)"', source):
        assert unit in ZH


def test_placeholders_survive_translation() -> None:
    from publisher.cli.zh import ZH as CLI_ZH

    for english, chinese in [*ZH.items(), *CLI_ZH.items()]:
        assert set(re.findall(r"\{(\w+)\}", english)) == set(re.findall(r"\{(\w+)\}", chinese)), english


def test_translator_and_language_choice() -> None:
    assert translator("zh")("Queued post {id}.", id=3) == "稿件 3 已排入队列。"
    assert translator("en")("Queued post {id}.", id=3) == "Queued post 3."
    assert translator("zh")("not in the catalogue") == "not in the catalogue"
    assert choose_language("en", "zh-CN", "zh") == "en"
    assert choose_language(None, "zh-TW,zh;q=0.9", "en") == "zh"
    assert choose_language(None, "fr-FR,en;q=0.5", "zh") == "en"
    assert choose_language(None, None, "zh") == "zh"


def test_a_history_reason_of_several_notes_is_said_note_by_note() -> None:
    from publisher.web.i18n import event_note

    zh = translator("zh")
    found = "found by lookup after an earlier unanswered attempt; extra copies moved to the trash: 5, 6"
    assert event_note(zh, found) == "上一次尝试没有收到应答，经查询确认已发出；多出的副本已移到回收站：5, 6"
    left = "extra copies left online, remove them by hand: 7 (HTTP 500)"
    assert event_note(zh, left) == "多出的副本仍在线上，请手动删除：7 (HTTP 500)"
    assert event_note(zh, "the parents asked; so did the head") == "the parents asked; so did the head"  # a person's
    assert event_note(translator("en"), found) == found
