"""The command line in Chinese when the locale is Chinese: the console's catalogue (``publisher/web/messages.py``),
one table for both faces, looked up by the English text.

The language is read at each call, not at import: ``PUBLISHER_LANG`` (``zh`` or ``en``) wins, else the first of
``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set (POSIX order). The catalogue is imported only when the language
is Chinese and a string is looked up, so `publisher --help` in English imports nothing more.
"""

from __future__ import annotations

import os
from typing import Any

import click

__all__ = ["Context", "HelpFormatter", "column", "is_chinese", "localise", "t", "t_error"]


def is_chinese() -> bool:
    chosen = os.environ.get("PUBLISHER_LANG", "").strip().lower()
    if chosen:
        return chosen.startswith("zh")
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return value.lower().startswith("zh")
    return False


def _catalogue() -> dict[str, str]:
    from publisher.web.messages import ZH

    return ZH


def t(text: str, /, **values: Any) -> str:
    """``text`` in the user's language, then formatted with ``values`` (as the console's ``t``)."""
    translated = _catalogue().get(text, text) if is_chinese() else text
    return translated.format(**values) if values else translated


def column(name: str) -> str:
    """A table heading: ``column.<name>`` in the catalogue, else the column's name in capitals."""
    if is_chinese():
        heading = _catalogue().get(f"column.{name}")
        if heading is not None:
            return heading
    return name.upper()


def t_error(error: BaseException | str) -> str:
    """A core error's message in the user's language: one made with ``PublisherError.of`` through its template
    (the console's path), with its command-line hint (the flags to use) after it; else the catalogue's exact text."""
    message = str(error)
    if not is_chinese():
        return message
    template: str = getattr(error, "template", "")
    if not template:
        return t(message)
    params = dict(getattr(error, "params", {}))
    said = template.format(**params)
    hint = message[len(said) :].strip() if message.startswith(said) else ""
    translated = t(template, **params)
    return f"{translated}{t(hint)}" if hint else translated


def _short_help(command: click.Command) -> str:
    """The first sentence of a command's help, whole (click's own short help is cut to the terminal width)."""
    return command.get_short_help_str(limit=10_000)


class HelpFormatter(click.HelpFormatter):
    """Click's formatter, with headings, help texts and the commands' short help looked up in the catalogue."""

    def __init__(self, *args: Any, command: click.Command | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.command = command

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, t("Usage: ") if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{t(heading)}：\n")  # a full-width colon after Chinese

    def write_text(self, text: str) -> None:
        translated = t(text)
        if translated == text and self.command is not None:
            # a help page the catalogue lacks: its first sentence (the short help) in Chinese, the details as written
            first = _short_help(self.command).removesuffix(".")
            if text.startswith(first) and t(first + ".") != first + ".":
                translated = t(first + ".") + text[len(first) :].removeprefix(".").lstrip(" ")
        super().write_text(translated)

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        subcommands = getattr(self.command, "commands", {}) if isinstance(self.command, click.Group) else {}
        translated = []
        for term, text in rows:
            sub = subcommands.get(term)
            translated.append((term, t(_short_help(sub)) if sub is not None else t(text)))
        super().write_dl(translated, col_max, col_spacing)


class Context(click.Context):
    """Click's context, making the translating formatter (set on every command by ``localise``)."""

    formatter_class = HelpFormatter

    def make_formatter(self) -> click.HelpFormatter:
        if not is_chinese():
            return click.HelpFormatter(width=self.terminal_width, max_width=self.max_content_width)
        return HelpFormatter(width=self.terminal_width, max_width=self.max_content_width, command=self.command)


def localise(command: click.Command) -> click.Command:
    """Give ``command`` and every subcommand the translating context (a no-op in English)."""
    command.context_class = Context
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            localise(sub)
    return command
