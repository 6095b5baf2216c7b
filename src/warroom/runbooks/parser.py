"""Markdown runbook → tree of sections with their code blocks, tables, lists and checklists."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

_ESCAPED_FENCE = re.compile(r"^(\s*)\\`\\`\\`", re.MULTILINE)
_md = MarkdownIt("commonmark", {"html": False}).enable("table")


@dataclass
class CodeBlock:
    """A fenced or indented code block."""

    language: str
    code: str
    line: int


@dataclass
class ListItem:
    """One list item: its text, whether it is a checkbox (and ticked), its code and sub-items."""

    text: str
    checked: bool | None = None
    code: list[CodeBlock] = field(default_factory=list)
    children: list[ListItem] = field(default_factory=list)


@dataclass
class ListBlock:
    """An ordered or bullet list."""

    ordered: bool
    items: list[ListItem]
    line: int


@dataclass
class Table:
    """A pipe table, cells as plain text."""

    header: list[str]
    rows: list[list[str]]
    line: int


@dataclass
class Paragraph:
    """A paragraph as plain text."""

    text: str
    line: int


Block = CodeBlock | ListBlock | Table | Paragraph


@dataclass
class Section:
    """A heading and everything up to the next heading."""

    heading: str
    level: int
    line: int
    body: str
    blocks: list[Block] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)
    parent: Section | None = field(default=None, repr=False)

    def walk(self) -> list[Section]:
        """This section and all below it, in document order."""
        return [self, *(s for child in self.children for s in child.walk())]

    def path(self) -> list[str]:
        """Headings from the top of the document down to this section."""
        return [*(self.parent.path() if self.parent else []), self.heading]


@dataclass
class ParsedRunbook:
    """A whole runbook: its repaired text, title and top-level sections."""

    text: str
    title: str
    sections: list[Section]

    def all_sections(self) -> list[Section]:
        """Every section in document order."""
        return [s for top in self.sections for s in top.walk()]


def decode(raw: bytes) -> str:
    """Text from bytes in any common encoding, with mojibake (UTF-8 read as cp1252) repaired."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    import ftfy  # only runbook imports need it; the API process stays smaller without

    return ftfy.fix_text(text, normalization="NFC").replace("\r\n", "\n").replace("\r", "\n")


def _plain(inline: Token) -> str:
    parts: list[str] = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return " ".join("".join(parts).split())


class _Blocks:
    """Turns a flat token stream into blocks, nesting list items."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0

    def read_until(self, stop: str | None = None) -> list[Block]:
        blocks: list[Block] = []
        while self.index < len(self.tokens):
            token = self.tokens[self.index]
            if stop and token.type == stop:
                self.index += 1
                return blocks
            self.index += 1
            line = (token.map[0] + 1) if token.map else 0
            if token.type in ("fence", "code_block"):
                language = token.info.strip().split(" ")[0] if token.info else ""
                blocks.append(CodeBlock(language, token.content.rstrip("\n"), line))
            elif token.type == "paragraph_open":
                text = _plain(self.tokens[self.index])
                self.index += 2
                blocks.append(Paragraph(text, line))
            elif token.type in ("bullet_list_open", "ordered_list_open"):
                blocks.append(self._list(token.type == "ordered_list_open", line))
            elif token.type == "table_open":
                blocks.append(self._table(line))
        return blocks

    def _list(self, ordered: bool, line: int) -> ListBlock:
        close = "ordered_list_close" if ordered else "bullet_list_close"
        items: list[ListItem] = []
        while self.tokens[self.index].type != close:
            self.index += 1  # list_item_open
            inner = self.read_until("list_item_close")
            items.append(_item(inner))
        self.index += 1
        return ListBlock(ordered, items, line)

    def _table(self, line: int) -> Table:
        rows: list[list[str]] = []
        header: list[str] = []
        current: list[str] = []
        while self.tokens[self.index].type != "table_close":
            token = self.tokens[self.index]
            if token.type == "inline":
                current.append(_plain(token))
            elif token.type == "tr_close":
                if header:
                    rows.append(current)
                else:
                    header = current
                current = []
            self.index += 1
        self.index += 1
        return Table(header, rows, line)


_CHECKBOX = re.compile(r"^\[( |x|X)\]\s*")


def _item(blocks: list[Block]) -> ListItem:
    texts = [b.text for b in blocks if isinstance(b, Paragraph)]
    text = texts[0] if texts else ""
    checked = None
    match = _CHECKBOX.match(text)
    if match:
        checked = match.group(1).lower() == "x"
        text = text[match.end() :]
    item = ListItem(text=text, checked=checked)
    for block in blocks:
        if isinstance(block, CodeBlock):
            item.code.append(block)
        elif isinstance(block, ListBlock):
            item.children.extend(block.items)
        elif isinstance(block, Paragraph) and block.text != texts[0]:
            item.text = f"{item.text} {block.text}".strip()
    return item


def parse(text: str) -> ParsedRunbook:
    """Parse Markdown; fences written escaped (``\\`\\`\\```) count as fences."""
    text = _ESCAPED_FENCE.sub(r"\1```", text)
    tokens = _md.parse(text)
    lines = text.split("\n")
    headings = [(i, t) for i, t in enumerate(tokens) if t.type == "heading_open" and t.level == 0]
    roots: list[Section] = []
    stack: list[Section] = []
    first_heading = headings[0][0] if headings else len(tokens)
    preamble_end = headings[0][1].map[0] if headings and headings[0][1].map else len(lines)
    preamble = "\n".join(lines[:preamble_end]).strip("\n")
    if preamble.strip():
        # Text before the first heading (or a file without headings) is kept as a section too.
        roots.append(
            Section(
                heading="",
                level=1,
                line=1,
                body=preamble,
                blocks=_Blocks(tokens[:first_heading]).read_until(),
            )
        )
    for number, (position, token) in enumerate(headings):
        level = int(token.tag[1])
        start = token.map[1] if token.map else 0
        if number + 1 < len(headings):
            next_position, next_token = headings[number + 1]
            end = next_token.map[0] if next_token.map else start
        else:
            next_position, end = len(tokens), len(lines)
        section = Section(
            heading=_plain(tokens[position + 1]),
            level=level,
            line=(token.map[0] + 1) if token.map else 0,
            body="\n".join(lines[start:end]).strip("\n"),
            blocks=_Blocks(tokens[position + 3 : next_position]).read_until(),
        )
        while stack and stack[-1].level >= level:
            stack.pop()
        if stack:
            section.parent = stack[-1]
            stack[-1].children.append(section)
        else:
            roots.append(section)
        stack.append(section)
    title = next((s.heading for s in roots if s.level == 1 and s.heading), "")
    return ParsedRunbook(text=text, title=title, sections=roots)
