"""Write the reference parts of the manual from the code, so they cannot drift from it.

    python scripts/gen_docs.py           # rewrite the generated blocks in docs/
    python scripts/gen_docs.py --check   # exit 1 if any block differs from what the code gives now

Each generated block sits between ``<!-- generated: NAME -->`` and ``<!-- end generated -->`` in a page; the prose
around it is written by hand and left alone (the way sqlite-utils keeps its CLI reference with cog). Blocks:

- ``config`` in docs/configuration.md: every table and key of the config file, from the settings dataclasses
  (``publisher.config.Settings`` and every dataclass it holds, such as ``[tracker]`` and ``[reports]``), with each
  key's type, default and meaning (the ``#:`` comment above the field or the comment after it; failing both, the
  comment above the key in config/publisher.example.toml). Which table a top-level field lives in is read from
  the loader (``publisher.config._parse``) with ``ast``, so ``database_url`` is documented as ``[database] url``.
  A field added to a settings class, or a new settings class held by ``Settings``, appears without editing this.
- ``cli`` in docs/cli.md: the usage, help and options of every command of the click group ``publisher.cli`` holds.
- ``options`` in docs/channels/KIND.md: a channel kind's keys, from the options its adapter declares (a kind that
  declares none: from its commented example).
- ``options`` in config/channels/KIND.toml: the commented keys of the example table, from the same declaration (each
  key's help as its comment; set to its ``example``, commented out where the option says so, or its default
  commented out). The TOML markers are ``# <generated: NAME>`` and ``# <end generated>``.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import difflib
import importlib
import inspect
import io
import json
import re
import sys
import textwrap
import tokenize
import types
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLE = ROOT / "config" / "publisher.example.toml"
END = "<!-- end generated -->"
#: the one key every [channels.NAME] table has, which no settings class or example comments
KIND_MEANING = "which adapter sends to this channel: one of the kinds under Channels"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def start_marker(name: str, page: Path | None = None) -> str:
    return f"# <generated: {name}>" if page is not None and page.suffix == ".toml" else f"<!-- generated: {name} -->"


def end_marker(page: Path) -> str:
    return "# <end generated>" if page.suffix == ".toml" else END


# --- commented TOML examples ---------------------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*(#\s*)?\[([^\[\]]+)\]\s*(#.*)?$")
_KEY = re.compile(r"^(?P<hash>#\s*)?(?P<key>[A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?P<value>.+?)\s*$")


@dataclasses.dataclass
class ExampleKey:
    key: str
    value: str  # as written in the example, without its trailing comment
    commented: bool  # shown as `# key = value`: optional
    meaning: str  # the comment lines just above it, and its trailing comment


def _split_comment(value: str) -> tuple[str, str]:
    """``value  # note`` -> (value, note), ignoring a # inside a quoted string."""
    quote = ""
    for index, char in enumerate(value):
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            return value[:index].rstrip(), value[index + 1 :].strip()
    return value.rstrip(), ""


def example_tables(path: Path) -> dict[str, list[ExampleKey]]:
    """Each ``[table]`` of a commented TOML example (commented-out tables included), with its keys in order."""
    tables: dict[str, list[ExampleKey]] = {}
    current: list[ExampleKey] | None = None
    comments: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        header = _HEADER.match(line)
        if header:
            current = tables.setdefault(header.group(2).strip(), [])
            comments = []
            continue
        if not line:
            comments = []
            continue
        match = _KEY.match(line)
        if match and current is not None and not (match.group("hash") and " " in match.group("key")):
            value, note = _split_comment(match.group("value"))
            if match.group("hash") and not _looks_like_toml_value(value):
                comments.append(line.lstrip("#").strip())  # prose that happens to contain "="
                continue
            meaning = " ".join([*comments, note]).strip()
            current.append(ExampleKey(match.group("key"), value, bool(match.group("hash")), meaning))
            comments = []
        elif line.startswith("#"):
            comments.append(line.lstrip("#").strip())
    return tables


def _looks_like_toml_value(value: str) -> bool:
    return bool(re.match(r'^("|\'|\[|\{|-?\d|true\b|false\b)', value))


# --- the config reference ------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Row:
    key: str
    type: str
    default: str
    meaning: str


@dataclasses.dataclass
class Table:
    heading: str  # e.g. [web], [channels.NAME], or "top level"
    about: str
    rows: list[Row]


def _field_comments(cls: type) -> dict[str, str]:
    """A dataclass's ``#:`` comments (the lines just above a field) and trailing comments, by field name."""
    source = textwrap.dedent(inspect.getsource(cls))
    lines = source.splitlines()
    trailing: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and not token.string.startswith("#:"):
            trailing[token.start[0]] = token.string.lstrip("#").strip()
    found: dict[str, str] = {}
    class_node = ast.parse(source).body[0]
    assert isinstance(class_node, ast.ClassDef)
    for node in class_node.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        above: list[str] = []
        number = node.lineno - 1  # the line above, 1-based
        while number >= 1 and lines[number - 1].strip().startswith("#:"):
            above.insert(0, lines[number - 1].strip()[2:].strip())
            number -= 1
        after = trailing.get(node.end_lineno or node.lineno, "")
        found[node.target.id] = " ".join(part for part in (*above, after) if part)
    return found


def _hints(cls: type) -> dict[str, Any]:
    module = sys.modules[cls.__module__]
    return typing.get_type_hints(cls, vars(module))


def _is_dataclass_type(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _unwrap_optional(tp: Any) -> Any:
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if typing.get_origin(tp) in (typing.Union, types.UnionType) and len(args) == 1:
        return args[0]
    return tp


def _mapping_value(tp: Any) -> Any | None:
    """V for Mapping[str, V] / dict[str, V], else None."""
    origin = typing.get_origin(tp)
    if origin is not None and isinstance(origin, type) and issubclass(origin, Mapping):
        args = typing.get_args(tp)
        return args[1] if len(args) == 2 else Any
    return None


def _type_name(tp: Any) -> str:
    names = {str: "string", int: "integer", float: "number", bool: "true/false"}
    if tp in names:
        return names[tp]
    args = typing.get_args(tp)
    origin = typing.get_origin(tp)
    if origin in (tuple, list) and args:
        return f"list of {_type_name(args[0])}s"
    if args and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return " or ".join(_type_name(a) for a in rest) + ", optional"
    return getattr(tp, "__name__", str(tp))


def _toml(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{}" if not value else "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    return str(value)


def _default(field: dataclasses.Field[Any]) -> str:
    if field.default is not dataclasses.MISSING:
        return _toml(field.default)
    if field.default_factory is not dataclasses.MISSING:
        return _toml(field.default_factory())
    return "required"


class _Loader:
    """Which TOML table and key each top-level ``Settings`` field is read from, found in ``_parse`` with ``ast``."""

    def __init__(self, function: Any) -> None:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
        self.assigned: dict[str, ast.expr] = {}
        self.call: ast.Call | None = None
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                self.assigned.setdefault(node.targets[0].id, node.value)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Settings":
                self.call = node

    def keyword(self, field: str) -> ast.expr | None:
        if self.call is None:
            return None
        return next((k.value for k in self.call.keywords if k.arg == field), None)

    def tables(self, expr: ast.expr, seen: frozenset[str] = frozenset()) -> list[str]:
        """Every ``X.table_of("T")`` reachable from ``expr`` through the function's assignments, nearest first."""
        found = [
            node.args[0].value
            for node in ast.walk(expr)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "table_of"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ]
        for node in ast.walk(expr):
            if isinstance(node, ast.Name) and node.id in self.assigned and node.id not in seen:
                found += self.tables(self.assigned[node.id], seen | {node.id})
        return found

    def table_of(self, expr: ast.expr, field: str = "") -> str | None:
        """The table a value is read from: the one named like the field if it is reachable, else the nearest."""
        found = self.tables(expr)
        return field if field in found else (found[0] if found else None)

    def key(self, expr: ast.expr, seen: frozenset[str] = frozenset()) -> tuple[str, str] | None:
        """(table, key) for a scalar read as ``reader.string("key", ...)``, following plain names."""
        if isinstance(expr, ast.Name) and expr.id in self.assigned and expr.id not in seen:
            return self.key(self.assigned[expr.id], seen | {expr.id})
        if (
            isinstance(expr, ast.Call)
            and isinstance(expr.func, ast.Attribute)
            and isinstance(expr.func.value, ast.Name)
            and expr.args
            and isinstance(expr.args[0], ast.Constant)
            and isinstance(expr.args[0].value, str)
        ):
            table = self.table_of(expr.func.value)
            return (table or "", expr.args[0].value)
        return None


def _rows(cls: type, fallback: list[ExampleKey], skip: set[str]) -> list[Row]:
    hints, comments = _hints(cls), _field_comments(cls)
    examples = {entry.key: entry.meaning for entry in fallback}
    rows = []
    for field in dataclasses.fields(cls):
        if field.name in skip or field.name.startswith("_") or not field.init:
            continue  # private state, not a key of the file
        tp = hints[field.name]
        if _is_dataclass_type(_unwrap_optional(tp)) or _is_dataclass_type(_mapping_value(tp)):
            continue  # a table of its own
        meaning = comments.get(field.name) or examples.get(field.name, "")
        if not meaning and field.name == "kind" and cls.__name__ == "ChannelSettings":
            meaning = KIND_MEANING
        rows.append(Row(field.name, _type_name(tp), _default(field), _prose(meaning)))
    return rows


def _about(cls: type) -> str:
    doc = inspect.getdoc(cls) or ""
    if doc.startswith(f"{cls.__name__}("):  # the signature dataclasses writes when there is no docstring
        return ""
    return " ".join(doc.split("\n\n")[0].split())


def _prose(text: str) -> str:
    """A code comment as Markdown: reST's double backticks made single, a bare "[table]:" label dropped."""
    text = re.sub(r"^(`*\[[^\]]+\]`*(, )?)+:?\s*", "", text.replace("``", "`")).strip()
    return text[:1].upper() + text[1:]


def config_tables() -> list[Table]:
    config = importlib.import_module("publisher.config")
    settings_cls = config.Settings
    loader = _Loader(config._parse)
    examples = example_tables(EXAMPLE)
    generic = set(getattr(config, "GENERIC_CHANNEL_KEYS", ()))
    hints, comments = _hints(settings_cls), _field_comments(settings_cls)
    tables: dict[str, Table] = {}

    def example_rows(title: str) -> list[ExampleKey]:
        """The example's keys for a table; for ``x.NAME``, those of the first example ``[x.something]``."""
        if title.endswith(".NAME"):
            prefix = title[: -len("NAME")]
            return next((rows for name, rows in examples.items() if name.startswith(prefix)), [])
        return examples.get(title, [])

    def add(name: str, cls: type, comment: str, *, named: bool) -> None:
        title = f"{name}.NAME" if named else name
        skip = {"name", "source"} if named else {"source"}
        about = _prose(_about(cls) or comment)
        if cls.__name__ == "ChannelSettings" and generic:
            skip |= {f.name for f in dataclasses.fields(cls) if f.name not in generic and f.name != "kind"}
            about = (about + " " if about else "") + (
                "Every other key of the table goes to the channel's adapter: see the channel's page."
            )
        # a [x.NAME] table of Settings holds examples of different sorts (one per channel kind): no fallback there
        fallback = [] if named else example_rows(title)
        tables[f"[{title}]"] = Table(f"[{title}]", about, _rows(cls, fallback, skip))
        class_hints, class_comments = _hints(cls), _field_comments(cls)
        for field in dataclasses.fields(cls):
            inner = _mapping_value(class_hints[field.name])
            if _is_dataclass_type(inner):
                sub = f"{title}.NAME" if named else f"{name}.NAME"
                about = _prose(_about(inner) or class_comments.get(field.name, ""))
                tables[f"[{sub}]"] = Table(f"[{sub}]", about, _rows(inner, example_rows(sub), {"name"}))

    for field in dataclasses.fields(settings_cls):
        if field.name == "source":
            continue
        tp = hints[field.name]
        expr = loader.keyword(field.name)
        table = (loader.table_of(expr, field.name) if expr is not None else None) or field.name
        inner = _unwrap_optional(tp)
        value = _mapping_value(tp)
        meaning = comments.get(field.name, "")
        if _is_dataclass_type(inner):
            add(table, inner, meaning, named=False)
        elif _is_dataclass_type(value):
            add(table, value, meaning, named=True)
        elif value is not None:
            heading = f"[{table}]"
            row = Row("NAME", _type_name(value), "", "one entry per name, named as you choose")
            tables[heading] = Table(heading, _prose(meaning), [row])
        else:
            where = loader.key(expr) if expr is not None else None
            table_name, key = where if where else (table, field.name)
            heading = f"[{table_name}]" if table_name else "top level"
            fallback = next((e.meaning for e in examples.get(table_name, []) if e.key == key), "")
            row = Row(key, _type_name(tp), _default(field), _prose(meaning or fallback))
            tables.setdefault(heading, Table(heading, "", [])).rows.append(row)
    return list(tables.values())


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") or "-"


def config_reference() -> str:
    parts = []
    for table in config_tables():
        parts.append(f"### `{table.heading}`\n")
        if table.about:
            parts.append(table.about + "\n")
        parts.append("| key | type | default | meaning |\n|---|---|---|---|")
        for row in table.rows:
            default = f"`{row.default}`" if row.default not in ("", "required") else _cell(row.default)
            parts.append(f"| `{row.key}` | {_cell(row.type)} | {_cell(default)} | {_cell(row.meaning)} |")
        parts.append("")
    return "\n".join(parts)


# --- the CLI reference ---------------------------------------------------------------------------------------------


def root_group() -> Any:
    """The click group that ``publisher.cli`` holds and no other group holds."""
    import click

    module = importlib.import_module("publisher.cli")
    groups = [value for value in vars(module).values() if isinstance(value, click.Group)]
    children = {id(sub) for group in groups for sub in group.commands.values()}
    roots = [group for group in groups if id(group) not in children]
    if len(roots) != 1:
        raise SystemExit(f"expected one root click group in publisher.cli, found {len(roots)}")
    return roots[0]


def walk_commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name in sorted(getattr(command, "commands", {})):
        yield from walk_commands(command.commands[name], (*path, name))


def cli_reference() -> str:
    import click

    parts: list[str] = []

    def visit(command: Any, path: tuple[str, ...], parent: click.Context | None) -> None:
        # a fixed width, so the text does not depend on the terminal that runs the generator
        settings = {**command.context_settings, "terminal_width": 100, "max_content_width": 100}
        ctx = click.Context(command, info_name=path[-1] if path else "publisher", parent=parent, **settings)
        level = "#" * min(1 + max(len(path), 1), 4)
        parts.append(f"{level} {' '.join(('publisher', *path))}\n")
        parts.append("```text\n" + command.get_help(ctx).rstrip() + "\n```\n")
        for name in sorted(getattr(command, "commands", {})):
            visit(command.commands[name], (*path, name), ctx)

    visit(root_group(), (), None)
    return "\n".join(parts)


# --- channel options -----------------------------------------------------------------------------------------------


def channel_example(kind: str) -> tuple[str, list[ExampleKey]] | None:
    """(the file, its keys) of the commented example for one channel kind."""
    own = ROOT / "config" / "channels" / f"{kind}.toml"
    candidates = [own] if own.exists() else [EXAMPLE]
    for path in candidates:
        for title, rows in example_tables(path).items():
            if title.startswith("channels.") and any(r.key == "kind" and r.value == json.dumps(kind) for r in rows):
                return str(path.relative_to(ROOT)), rows
    return None


def declared_options_reference(kind: str) -> str | None:
    """The options table from the adapter's declaration (``options`` on the class), or None for a kind without one."""
    import adapters
    from adapters.base import ChannelAdapter
    from adapters.options import REQUIRED

    cls = adapters.REGISTRY[kind]
    if not issubclass(cls, ChannelAdapter):
        return None
    found = channel_example(kind)
    where = f" An example of each is in `{found[0]}`." if found else ""
    lines = [
        f"From the adapter's declared options.{where} `*_env` keys name an environment variable that holds a "
        "secret: the secret itself never goes in the file. Unknown keys are refused.\n",
        "| key | type | default | meaning |\n|---|---|---|---|",
    ]
    for option in cls.options:
        if not option.documented:
            continue
        if option.default is REQUIRED:
            default = "required"
        elif option.default is None or option.default == ():
            default = "-"
        else:
            default = f"`{_cell(_toml(option.default))}`"
        kind_word = option.type_word() + (f" ({', '.join(map(str, option.choices))})" if option.choices else "")
        lines.append(f"| `{option.name}` | {_cell(kind_word)} | {default} | {_cell(_prose(option.help))} |")
    return "\n".join(lines) + "\n"


def options_reference(kind: str) -> str:
    declared = declared_options_reference(kind)
    if declared is not None:
        return declared
    found = channel_example(kind)
    if found is None:
        return f"No commented example of `{kind}` was found in config/.\n"
    path, rows = found
    lines = [
        f"From `{path}`. Keys commented out there are optional; `*_env` keys name an environment variable.\n",
        "| key | example | optional | meaning |\n|---|---|---|---|",
    ]
    for row in rows:
        optional = "yes" if row.commented else "-"
        meaning = row.meaning or (KIND_MEANING if row.key == "kind" else "")
        lines.append(f"| `{row.key}` | `{_cell(row.value)}` | {optional} | {_cell(_prose(meaning))} |")
    return "\n".join(lines) + "\n"


def example_options(kind: str) -> str:
    """The declared options of ``kind`` as commented TOML lines for its example table."""
    import adapters
    from adapters.options import REQUIRED

    lines = []
    for option in adapters.REGISTRY[kind].options:
        if not option.documented:
            continue
        # a `code` span is never broken across lines: its spaces are hidden from the wrapping
        help = re.sub(r"`[^`]*`", lambda code: code[0].replace(" ", "\0"), option.help.replace("``", "`"))
        wrapped = textwrap.wrap(help, width=116, initial_indent="# ", subsequent_indent="# ", break_on_hyphens=False)
        lines += [line.replace("\0", " ") for line in wrapped]
        if option.example is not REQUIRED:
            comment = "# " if option.commented else ""
            lines.append(f"{comment}{option.name} = {_toml(option.example)}")
        elif option.required:
            raise SystemExit(f"{kind}: the required option {option.name} declares no example")
        else:
            default = option.default if option.default is not None else ""
            lines.append(f"# {option.name} = {_toml(default)}")
    return "\n".join(lines) + "\n"


# --- writing the blocks --------------------------------------------------------------------------------------------


def blocks() -> list[tuple[Path, str, str]]:
    """(page, block name, generated text) for every block the manual should have."""
    import adapters

    found = [
        (DOCS / "configuration.md", "config", config_reference()),
        (DOCS / "cli.md", "cli", cli_reference()),
    ]
    for kind in sorted(adapters.REGISTRY):
        page = DOCS / "channels" / f"{kind}.md"
        if page.exists() and kind != "fake":
            found.append((page, "options", options_reference(kind)))
        example = ROOT / "config" / "channels" / f"{kind}.toml"
        if example.exists():
            found.append((example, "options", example_options(kind)))
    return found


def replace_block(text: str, name: str, body: str, page: Path) -> str:
    start, end = start_marker(name, page), end_marker(page)
    if start not in text:
        raise SystemExit(f"{page.relative_to(ROOT)}: no {start} marker; add it with {end} where the block goes")
    head, rest = text.split(start, 1)
    if end not in rest:
        raise SystemExit(f"{page.relative_to(ROOT)}: {start} has no {end} after it")
    _, tail = rest.split(end, 1)
    gap = "\n" if page.suffix == ".toml" else "\n\n"  # no blank lines inside a TOML table
    return f"{head}{start}{gap}{body.strip()}{gap}{end}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a block is out of date")
    args = parser.parse_args(argv)
    stale = []
    for page, name, body in blocks():
        old = page.read_text(encoding="utf-8")
        new = replace_block(old, name, body, page)
        if new == old:
            continue
        stale.append(page)
        if args.check:
            diff = difflib.unified_diff(old.splitlines(), new.splitlines(), str(page), "generated", lineterm="", n=1)
            print("\n".join(list(diff)[:40]))
        else:
            page.write_text(new, encoding="utf-8")
            print(f"updated {page.relative_to(ROOT)}")
    if args.check and stale:
        names = ", ".join(str(p.relative_to(ROOT)) for p in stale)
        print(f"out of date: {names}; run python scripts/gen_docs.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
