"""The Documents tab: the indexed documents, uploads (checked, stored safely, indexed incrementally),
removal, and the selector that limits chat questions to chosen documents."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any, Protocol

import gradio as gr

from corpus.readers import registered_suffixes
from qa.documents import DocumentRow, add_files, document_rows, remove_file
from qa.engine import Engine
from ui import strings
from ui.errors import UserError, attempt
from ui.strings import text

log = logging.getLogger(__name__)

# Indexing holds the model and the index lock: one document change at a time.
DOCUMENTS_GROUP = "documents"


class EngineHolder(Protocol):
    """Whoever answers the chat (ui.app.Handlers): its engine is swapped after each update."""

    engine: Engine


def _cell(value: object) -> str:
    return "—" if value in (None, "") else escape(str(value))


def table_html(rows: list[DocumentRow], lang: str) -> str:
    """The documents as an accessible table, in ``lang``."""
    if not rows:
        return f'<p class="rqa-docs-empty">{escape(text(lang, "docs_none"))}</p>'
    head = "".join(f'<th scope="col">{escape(text(lang, f"docs_col_{c}"))}</th>'
                   for c in ("name", "title", "type", "pages", "passages", "status"))
    body = []
    for r in rows:
        skipped = text(lang, "docs_skipped", reason=r.reason_text(lang))
        status = text(lang, "docs_indexed") if r.status == "indexed" else skipped
        body.append(f"<tr><td>{_cell(r.name)}</td><td>{_cell(r.title)}</td><td>{_cell(r.type)}</td>"
                    f"<td>{_cell(r.pages)}</td><td>{_cell(r.passages)}</td><td>{escape(status)}</td></tr>")
    return (f'<table class="rqa-docs-table"><caption>{escape(text(lang, "docs_caption"))}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def _notice(lang: str, allowed: bool, max_mb: float) -> str:
    key = "docs_hint" if allowed else "docs_disabled"
    return f"<p>{escape(text(lang, key, types=', '.join(registered_suffixes()), limit=f'{max_mb:g}'))}</p>"


def _status(lang: str, key: str, **values: object) -> str:
    role = "alert" if key.startswith("docs_err") else "status"
    return f'<p role="{role}" class="rqa-docs-status">{escape(text(lang, key, **values))}</p>'


def _error(lang: str, error: UserError, max_mb: float) -> str:
    """An upload mistake in ``lang`` (its own translation), else the error's text around a fixed prefix."""
    key = f"docs_err_{error.code}"
    if key not in strings.UI["en"]:
        key = "docs_err_other"
    return _status(lang, key, detail=error.message, types=", ".join(registered_suffixes()), limit=f"{max_mb:g}")


@dataclass
class DocumentsTab:
    """The tab's components and handlers; ``selector`` is read by the chat."""

    holder: EngineHolder
    allowed: bool
    tab: Any = None
    notice: Any = None
    upload: Any = None
    status: Any = None
    table: Any = None
    remove_choice: Any = None
    remove_button: Any = None
    selector: Any = None

    def _names(self) -> list[str]:
        return [r.name for r in document_rows(self.holder.engine) if r.status == "indexed"]

    def _refreshed(self, lang: str, status: str, selected: list[str] | None = None) -> tuple[Any, ...]:
        names = self._names()
        kept = [n for n in (selected or []) if n in names]
        return (status, table_html(document_rows(self.holder.engine), lang),
                gr.update(choices=names, value=None), gr.update(choices=names, value=kept), None)

    def on_upload(self, files: list[str] | None, lang: str, selected: list[str] | None,
                  progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008 (Gradio's way)
        """Check, store and index the uploaded files; the chat then answers from them."""
        if not files:
            return (gr.skip(),) * 5
        if not self.allowed:
            return self._refreshed(lang, _status(lang, "docs_err_disabled"), selected)
        progress(0.1, desc=text(lang, "docs_indexing"))
        pairs = [(Path(f), Path(f).name) for f in files]
        outcome = attempt(lambda: add_files(self.holder.engine, pairs))
        if isinstance(outcome, UserError):
            return self._refreshed(lang, _error(lang, outcome, self.holder.engine.settings.max_file_mb), selected)
        self.holder.engine, names = outcome
        progress(1.0)
        # A stored file the readers could not use (damaged, encrypted, scanned) is listed as skipped.
        skipped = [r for r in document_rows(self.holder.engine) if r.status == "skipped" and r.name in names]
        if skipped:
            reasons = "; ".join(f"{r.name}: {r.reason_text(lang)}" for r in skipped)
            return self._refreshed(lang, _status(lang, "docs_err_unread", detail=reasons), selected)
        return self._refreshed(lang, _status(lang, "docs_added", names=", ".join(names)), selected)

    def on_remove(self, name: str | None, lang: str, selected: list[str] | None) -> tuple[Any, ...]:
        """Delete the chosen document from the library and the index."""
        if not name:
            return (gr.skip(),) * 5
        if not self.allowed:
            return self._refreshed(lang, _status(lang, "docs_err_disabled"), selected)
        outcome = attempt(lambda: remove_file(self.holder.engine, name))
        if isinstance(outcome, UserError):
            return self._refreshed(lang, _error(lang, outcome, self.holder.engine.settings.max_file_mb), selected)
        self.holder.engine = outcome
        return self._refreshed(lang, _status(lang, "docs_removed", name=name), selected)

    def relabel(self, lang: str) -> list[Any]:
        """The tab's fixed strings and its table in ``lang`` (the order of :attr:`relabelled`)."""
        return [
            gr.update(label=text(lang, "docs_tab")),
            _notice(lang, self.allowed, self.holder.engine.settings.max_file_mb),
            gr.update(label=text(lang, "docs_upload")),
            table_html(document_rows(self.holder.engine), lang),
            gr.update(label=text(lang, "docs_remove_choice")),
            gr.update(value=text(lang, "docs_remove")),
            gr.update(label=text(lang, "docs_filter"), info=text(lang, "docs_filter_info")),
        ]

    @property
    def relabelled(self) -> list[Any]:
        return [self.tab, self.notice, self.upload, self.table, self.remove_choice, self.remove_button, self.selector]


def build_documents_tab(holder: EngineHolder, language: gr.Radio, *, allowed: bool) -> DocumentsTab:
    """The Documents tab inside the current ``gr.Tabs``; uploads and removal only when ``allowed``."""
    lang = strings.DEFAULT_LANGUAGE
    tab = DocumentsTab(holder, allowed)
    names = tab._names()
    with gr.Tab(text(lang, "docs_tab"), id="documents") as tab.tab:
        tab.selector = gr.Dropdown(names, value=[], multiselect=True, label=text(lang, "docs_filter"),
                                   info=text(lang, "docs_filter_info"), elem_id="rqa-doc-filter")
        tab.notice = gr.HTML(_notice(lang, allowed, holder.engine.settings.max_file_mb), elem_id="rqa-docs-notice")
        tab.upload = gr.File(file_count="multiple", file_types=list(registered_suffixes()), type="filepath",
                             label=text(lang, "docs_upload"), interactive=allowed, elem_id="rqa-upload")
        tab.status = gr.HTML("", elem_id="rqa-docs-status")
        tab.table = gr.HTML(table_html(document_rows(holder.engine), lang), elem_id="rqa-docs-table")
        with gr.Row(equal_height=True):
            tab.remove_choice = gr.Dropdown(names, value=None, label=text(lang, "docs_remove_choice"),
                                            interactive=allowed, scale=4, elem_id="rqa-docs-remove-choice")
            tab.remove_button = gr.Button(text(lang, "docs_remove"), variant="stop", interactive=allowed, scale=0,
                                          min_width=120, elem_id="rqa-docs-remove")
    work: dict[str, Any] = {"api_visibility": "private", "concurrency_limit": 1, "concurrency_id": DOCUMENTS_GROUP}
    outputs = [tab.status, tab.table, tab.remove_choice, tab.selector, tab.upload]
    tab.upload.upload(tab.on_upload, [tab.upload, language, tab.selector], outputs, **work)
    tab.remove_button.click(tab.on_remove, [tab.remove_choice, language, tab.selector], outputs, **work)
    language.change(tab.relabel, [language], tab.relabelled, queue=False, api_visibility="private")
    return tab

