"""The Markdown reader: ``#`` headings, ``-``/``*``/``+``/numbered bullets, blank-line paragraphs."""

from __future__ import annotations

import re

from corpus.models import CleanDocument
from corpus.readers.blocks import BULLET_RE, Line, RawBlock, assemble, drop_repeated_headings, fingerprint, normalize
from corpus.readers.text import TextReader

_MD_BULLET_RE = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_MD_HEADING_RE = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


def _is_bullet_line(line: str) -> bool:
    return bool(BULLET_RE.match(line) or _MD_BULLET_RE.match(line))


def _join_lines(lines: list[str]) -> str:
    return re.sub(r"\s+", " ", " ".join(line.strip() for line in lines)).strip()


def _group(text: str) -> list[RawBlock]:
    blocks: list[RawBlock] = []
    current: RawBlock | None = None
    for line_text in text.split("\n"):
        line = Line(line_text, None, False)
        heading = _MD_HEADING_RE.match(line_text)
        if not line_text.strip():
            current = None
        elif heading:
            blocks.append(RawBlock("heading", [Line(heading.group(2), None, False)]))
            current = None
        elif _is_bullet_line(line_text):
            current = RawBlock("bullet", [line])
            blocks.append(current)
        elif current is None:
            current = RawBlock("paragraph", [line])
            blocks.append(current)
        else:
            current.lines.append(line)
    return blocks


class MarkdownReader(TextReader):
    """Markdown files; they have no pages, so every block's page is None."""

    name = "markdown"
    version = "1"
    suffixes = (".md", ".markdown")

    def clean(self, text: str, name: str) -> CleanDocument:
        sha = fingerprint(text)
        blocks = _group(normalize(text))
        for block in blocks:
            block.text = _join_lines([line.text for line in block.lines])
            if block.kind == "bullet":
                # Only Markdown markers are taken off; a "•" item keeps its character after BULLET_PREFIX.
                block.text = _MD_BULLET_RE.sub("", block.text, count=1).strip()
        removed: list[str] = []
        return assemble(drop_repeated_headings(blocks, removed), name, sha, removed)
