"""The command line in Chinese when the locale is Chinese, looked up by the English text: first in the command
line's own table (``publisher/cli/zh.py``: options' help, click's messages), then in the console's catalogue
(``publisher/web/messages.py``, the words both faces share).

Help pages go through a translating formatter; click's errors (a mistyped option, a missing value) are put into
Chinese as they leave a command's context, by matching click's message templates (``zh.CLICK``), so click itself is
not patched. English output is click's own, untouched.

The language is read at each call, not at import: ``PUBLISHER_LANG`` (``zh`` or ``en``) wins, else the first of
``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set (POSIX order). The tables are imported only when the language is
Chinese and a string is looked up, so `publisher --help` in English imports nothing more.
"""

from __future__ import annotations

import functools
import os
import re
from types import TracebackType
from typing import IO, Any

import click

__all__ = [
    "Context",
    "HelpFormatter",
    "click_message",
    "column",
    "is_chinese",
    "localise",
    "t",
    "t_error",
]


def is_chinese() -> bool:
    chosen = os.environ.get("PUBLISHER_LANG", "").strip().lower()
    if chosen:
        return chosen.startswith("zh")
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return value.lower().startswith("zh")
    return False


def _lookup(text: str) -> str | None:
    """The Chinese of ``text``: the command line's own table first, then the console's catalogue."""
    from publisher.cli.zh import ZH as CLI_ZH
    from publisher.web.messages import ZH

    return CLI_ZH.get(text, ZH.get(text))


def t(text: str, /, **values: Any) -> str:
    """``text`` in the user's language, then formatted with ``values`` (as the console's ``t``)."""
    translated = (_lookup(text) or text) if is_chinese() else text
    return translated.format(**values) if values else translated


def column(name: str) -> str:
    """A table heading: ``column.<name>`` in the catalogue, else the column's name in capitals."""
    if is_chinese():
        heading = _lookup(f"column.{name}")
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
    # a refusal wrapped in another (a config key's cron expression) is said in the same language
    params = {k: t_error(v) if _templated(v) else v for k, v in getattr(error, "params", {}).items()}
    translated = t(template, **params)
    cli: str = getattr(error, "cli", "")
    if cli.strip():  # the hint's template, looked up before the names in it are filled
        return f"{translated}{t(cli.strip(), **params)}"
    said = template.format(**params)
    hint = message[len(said) :].strip() if message.startswith(said) else ""
    return f"{translated}{t(hint)}" if hint else translated


def _templated(value: object) -> bool:
    return isinstance(value, BaseException) and bool(getattr(value, "template", ""))


def _short_help(command: click.Command) -> str:
    """The first sentence of a command's help, whole (click's own short help is cut to the terminal width)."""
    return command.get_short_help_str(limit=10_000)


# --- click's own messages: its templates (``zh.CLICK``) as patterns, matched against the message it made ---


@functools.cache
def _patterns(table: str) -> list[tuple[re.Pattern[str], str]]:
    """``zh.CLICK`` or ``zh.RANGES`` as (pattern, Chinese): ``Missing option {param_hint}.`` matches
    ``Missing option '--title'.`` with ``param_hint`` = ``'--title'``."""
    from publisher.cli import zh

    compiled = []
    for english, chinese in getattr(zh, table).items():
        pieces = re.split(r"\{(\w+)\}", english)  # literal, field, literal, field, ..., literal
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(pieces))
        compiled.append((re.compile(regex, re.DOTALL), chinese))
    return compiled


def _from_template(text: str, table: str) -> str | None:
    for pattern, chinese in _patterns(table):
        found = pattern.fullmatch(text)
        if found is not None:
            return chinese.format(**{name: _field(name, value) for name, value in found.groupdict().items()})
    return None


def _field(name: str, value: str) -> str:
    """A field of a click message: the inner message and the range in Chinese, a few of click's words; the names and
    values the user typed as they are."""
    from publisher.cli.zh import WORDS

    if name == "message":
        return click_message(value)
    if name == "range":
        return _range(value)
    if name in ("kind", "number_type"):
        return WORDS.get(value, value)
    return value


def _range(text: str) -> str:
    """Click's description of a number range (``1<=x<=100000``) in Chinese (``1 到 100000``)."""
    return _from_template(text, "RANGES") or text


def click_message(message: str) -> str:
    """One of click's messages (or a command's own usage error) in Chinese; as it is if neither table has it."""
    return _from_template(message, "CLICK") or t(message)


def _click_text(template: str, **values: Any) -> str:
    from publisher.cli.zh import CLICK

    return CLICK[template].format(**values)


class ChineseError(click.ClickException):
    """A click error already in Chinese, shown as click would, with Chinese words."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(_click_text("Error: {message}", message=self.message), file=file, err=True, color=self.show_color)


class ChineseUsageError(click.UsageError):
    """A usage error already in Chinese: the command's usage, how to ask for its help, then the message."""

    def show(self, file: IO[Any] | None = None) -> None:
        color = self.show_color
        if self.ctx is not None:
            color = self.ctx.color
            hint = ""
            if self.ctx.command.get_help_option(self.ctx) is not None:
                option = max(self.ctx.command.get_help_option_names(self.ctx), key=len)
                hint = _click_text("Try '{command} {option}' for help.", command=self.ctx.command_path, option=option)
                hint += "\n"
            click.echo(f"{self.ctx.get_usage()}\n{hint}", file=file, err=True, color=color)
        click.echo(_click_text("Error: {message}", message=self.message), file=file, err=True, color=color)


class ChineseAbort(click.ClickException):
    """Click's "Aborted!" (a prompt answered no, or Ctrl-C or end of input at one) in Chinese, with its status."""

    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(self.message, file=file, err=True)


def _in_chinese(error: click.ClickException) -> click.ClickException:
    """``error`` with its message in Chinese, to be raised in its place; ``error`` itself when it is Chinese already,
    is a help page (``no_args_is_help``), or exits with a status of its own."""
    if isinstance(error, (ChineseError, ChineseUsageError, ChineseAbort, click.exceptions.NoArgsIsHelpError)):
        return error
    message = click_message(error.format_message())
    if isinstance(error, click.UsageError):
        translated: click.ClickException = ChineseUsageError(message, error.ctx)
    else:
        translated = ChineseError(message)
    return translated if translated.exit_code == error.exit_code else error


# --- help pages ---


def _one_line(text: str) -> str:
    """A help text as the tables hold it: a docstring's line breaks and indents are not part of the text."""
    return " ".join(text.split())


def _option_help(option: click.Option, ctx: click.Context) -> str:
    """An option's help and the notes click adds after it (default, range, required), in Chinese."""
    extra = option.get_help_extra(ctx)
    notes = []
    if "envvars" in extra:
        notes.append(_click_text("env var: {var}", var=", ".join(extra["envvars"])))
    if "default" in extra:
        notes.append(_click_text("default: {default}", default=extra["default"]))
    if "range" in extra:
        notes.append(_click_text("range: {range}", range=_range(extra["range"])))
    if "required" in extra:
        notes.append(_click_text("required"))
    text = t(_one_line(option.help)) if option.help else ""
    if not notes:
        return text
    suffix = f"[{'；'.join(notes)}]"
    return f"{text}  {suffix}" if text else suffix


class HelpFormatter(click.HelpFormatter):
    """Click's formatter in Chinese: headings, the help text, the options' help and the commands' short help."""

    def __init__(self, *args: Any, ctx: click.Context, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ctx = ctx

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, t("Usage: ") if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{t(heading)}：\n")  # a full-width colon after Chinese

    def write_text(self, text: str) -> None:
        super().write_text("\n\n".join(self._paragraph(paragraph) for paragraph in text.split("\n\n")))

    def _paragraph(self, text: str) -> str:
        """One paragraph of a help text, looked up whole; else its first sentence (the command's short help, in the
        console's catalogue) and the rest apart."""
        plain = _one_line(text)
        whole = _lookup(plain)
        if whole is not None:
            return whole
        first = _short_help(self.ctx.command)
        head = _lookup(first)
        if head is None or not plain.startswith(first.removesuffix(".")):
            return text
        rest = plain[len(first.removesuffix(".")) :].removeprefix(".").strip()
        return head + t(rest) if rest else head

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        command = self.ctx.command
        subcommands = command.commands if isinstance(command, click.Group) else {}
        options = {p.get_help_spec(self.ctx): p for p in command.get_params(self.ctx) if isinstance(p, click.Option)}
        translated = []
        for term, text in rows:
            if term in subcommands:
                text = t(_short_help(subcommands[term]))
            elif term in options:
                text = _option_help(options[term], self.ctx)
            else:
                text = t(text)
            translated.append((term, text))
        super().write_dl(translated, col_max, col_spacing)


class Context(click.Context):
    """Click's context, in Chinese when the locale is: its help pages through the translating formatter, and the
    errors click raises under it (a mistyped option, a missing value) put into Chinese as they leave it."""

    formatter_class = HelpFormatter

    def make_formatter(self) -> click.HelpFormatter:
        if not is_chinese():
            return click.HelpFormatter(width=self.terminal_width, max_width=self.max_content_width)
        return HelpFormatter(width=self.terminal_width, max_width=self.max_content_width, ctx=self)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> bool | None:
        exited = super().__exit__(kind, error, traceback)
        if isinstance(error, click.Abort) and is_chinese():  # click would print "Aborted!" on its way out
            raise ChineseAbort(t("Aborted!")) from error
        if isinstance(error, click.ClickException) and is_chinese():
            translated = _in_chinese(error)
            if translated is not error:
                raise translated from error
        return exited


def localise(command: click.Command) -> click.Command:
    """Give ``command`` and every subcommand the translating context (a no-op in English)."""
    command.context_class = Context
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            localise(sub)
    return command
