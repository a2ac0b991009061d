"""The HTML reader, through BeautifulSoup with the lxml parser.

Why this parser: lxml is fast and, behind BeautifulSoup, forgiving of the broken markup real
pages have; both are maintained, permissively licensed and ship wheels. Page furniture is
dropped by element (``nav``, ``header``, ``footer``, ``aside``, scripts, styles, forms, and
their ARIA roles); headings become sections, list items bullets, tables one block each.
"""

from __future__ import annotations

import re

from corpus.models import BlockKind, CleanDocument
from corpus.readers.blocks import Line, RawBlock, assemble, drop_repeated_headings, fingerprint, normalize
from corpus.readers.text import TextReader

_DROPPED = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "iframe", "svg")
_DROPPED_ROLES = ("navigation", "banner", "contentinfo", "search", "complementary")
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_TEXT_BLOCKS = {"p", "blockquote", "pre", "dd", "dt", "figcaption", "address"}


def _text(raw: str) -> str:
    return re.sub(r"\s+", " ", raw).strip()


class HtmlReader(TextReader):
    """HTML pages: their main content, without navigation, site header and footer or scripts."""

    name = "html"
    version = "1"
    suffixes = (".html", ".htm")

    def clean(self, text: str, name: str) -> CleanDocument:
        from bs4 import BeautifulSoup, Tag

        sha = fingerprint(text)
        soup = BeautifulSoup(normalize(text), "lxml")
        title_tag = soup.find("title")
        title = _text(title_tag.get_text()) if title_tag else ""
        for tag in soup.find_all(_DROPPED):
            tag.decompose()
        for tag in soup.find_all(lambda t: t.get("role") in _DROPPED_ROLES):
            tag.decompose()
        root = soup.find("main") or soup.find("article") or soup.body or soup
        blocks: list[RawBlock] = []

        def add(kind: BlockKind, value: str) -> None:
            if value:
                blocks.append(RawBlock(kind, [Line(value, None, True)], value))

        def walk(node: Tag) -> None:
            loose: list[str] = []  # text directly inside a container, outside any block element
            for child in node.children:
                if not isinstance(child, Tag):
                    loose.append(str(child))
                    continue
                if child.name in _HEADINGS or child.name in _TEXT_BLOCKS or child.name in ("li", "table"):
                    add("paragraph", _text(" ".join(loose)))
                    loose = []
                if child.name in _HEADINGS:
                    add("heading", _text(child.get_text(" ")))
                elif child.name in _TEXT_BLOCKS:
                    add("paragraph", _text(child.get_text(" ")))
                elif child.name == "li":
                    add("bullet", _text(child.get_text(" ")))
                elif child.name == "table":
                    caption = child.find("caption")
                    rows = [
                        " | ".join(_text(cell.get_text(" ")) for cell in row.find_all(["td", "th"]))
                        for row in child.find_all("tr")
                    ]
                    lines = [_text(caption.get_text(" ")) if caption else "", *rows]
                    add("table", "\n".join(line for line in lines if line.strip(" |")))
                elif child.name in ("br",):
                    loose.append(" ")
                elif child.find(list(_HEADINGS | _TEXT_BLOCKS | {"li", "table", "div", "section"})):
                    add("paragraph", _text(" ".join(loose)))
                    loose = []
                    walk(child)
                else:
                    loose.append(child.get_text(" "))
            add("paragraph", _text(" ".join(loose)))

        walk(root)
        removed: list[str] = []
        return assemble(drop_repeated_headings(blocks, removed), name, sha, removed, title=title or None)
