"""The web chat's second pass without a browser: off-topic answers, folded sources, headings, highlights, chart."""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser

import pytest
from ui_helpers import citation, passage

from ui import render, strings
from ui.conversation import Turn
from ui.highlight import mark_terms, query_terms

TEXT = "Giriş cümlesi. 1998 protokolü beş ülke arasında imzalandı. Son cümle."
QUOTE = "1998 protokolü beş ülke arasında imzalandı."


class _Ids(HTMLParser):
    """Element ids, and the text of every link (what a screen reader reads as its name)."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.labels: list[str] = []
        self._in_link = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if tag == "a":
            self._in_link = True
            self.labels.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._in_link = False

    def handle_data(self, data: str) -> None:
        if self._in_link:
            self.labels[-1] += data


def _parsed(html: str) -> _Ids:
    parser = _Ids()
    parser.feed(html)
    return parser


def _answer(**extra) -> dict:
    return {"question": "q", "language": "tr", "answered": True, "answer": f"Rapora göre: {QUOTE} [1]",
            "citations": [citation(1, QUOTE, TEXT)], "passages": [passage(1, TEXT)], **extra}


@pytest.mark.parametrize("lang", ["tr", "en"])
def test_off_topic_is_a_short_statement_without_passages(lang):
    answer = _answer(language=lang, answered=False, citations=[], declined="off_topic",
                     passages=[passage(1, "Ekmek hakkında hiçbir şey yok."), passage(2, "Başka bir pasaj.")])
    html = render.answer_html(answer, 4, "tr")
    assert escape(strings.text(lang, "off_topic")) in html  # in the question's language, like every answer
    assert "Ekmek" not in html and "<li" not in html and "details" not in html
    panel = render.sources_html([Turn(4, "How do I bake bread?", "How do I bake bread?", answer)], lang)
    assert escape(strings.text(lang, "off_topic_note")) in panel and "Ekmek" not in panel
    assert escape(strings.text(lang, "declined")) not in panel


@pytest.mark.parametrize("declined", [None, "not_in_report"])
def test_a_miss_on_the_topic_still_lists_the_closest_passages(declined):
    """Without the engine's reason (older engines) or with "not_in_report", a miss stays as it was."""
    answer = _answer(answered=False, citations=[], answer="Raporda yok.", passages=[passage(1, TEXT)])
    if declined:
        answer["declined"] = declined
    html = render.answer_html(answer, 2, "en")
    assert 'href="#near-2-1"' in html and "Giriş cümlesi" in html
    assert f'href="#near-2-1">{escape(render.location(passage(1, TEXT), "en"))}</a>' in html
    panel = render.sources_html([Turn(2, "q", "q", answer)], "en")
    assert escape(strings.text("en", "declined")) in panel and 'id="near-2-1"' in panel


@pytest.mark.parametrize("lang", ["tr", "en"])
def test_each_answer_folds_its_own_passages_with_ids_of_its_own(lang):
    """The in-message copy (shown on phones) has the highlighted quote under ids that never clash with the panel's."""
    turn = Turn(3, "q", "q", _answer())
    chat = render.answer_html(_answer(), 3, lang)
    panel = render.sources_html([turn], lang)
    assert "<details" in chat and escape(strings.text(lang, "answer_sources", n=1)) in chat
    assert f'id="{render.IN_CHAT}cite-3-1"' in chat and 'id="cite-3-1"' in panel
    ids = _parsed(chat + panel).ids
    assert len(ids) == len(set(ids))
    # Every link says where it leads, in the interface language.
    where = render.location(citation(1, QUOTE, TEXT), lang)
    labels = _parsed(chat).labels
    assert labels and set(labels) == {"[1] " + strings.text(lang, "cite_label", n=1, where=where)}


def test_a_long_question_is_shortened_in_the_sources_heading_with_the_whole_of_it_on_hover():
    question = "Uzun bir soru " * 100 + "<son>"
    panel = render.sources_html([Turn(1, question, question, _answer())], "tr")
    assert f'title="{escape(question)}"' in panel
    shown = panel.split('class="rqa-question"', 1)[1].split("</q>", 1)[0].split(">", 1)[1]
    assert shown.endswith("…") and len(shown) <= render.HEADING_CHARS + 1
    short = render.sources_html([Turn(1, "Kısa soru?", "Kısa soru?", _answer())], "tr")
    assert ">Kısa soru?</q>" in short


def test_query_words_are_marked_the_way_bm25_matches_them():
    terms = query_terms("Kazakistan ile imzalanan protokol")
    html = mark_terms("Kazakistan'ın <b>imzaladığı</b> protokolle ve bir anlaşma.", terms)
    assert '<mark class="rqa-term">Kazakistan&#x27;ın</mark>' in html
    assert '<mark class="rqa-term">protokolle</mark>' in html
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert "<mark class=\"rqa-term\">ve</mark>" not in html and "anlaşma" in html  # stopwords and others stay
    assert mark_terms("<i>metin</i>", query_terms("")) == escape("<i>metin</i>")


def test_passages_tab_marks_the_query_words():
    html = render.hits_html([passage(1, "İstihbarat paylaşımı ve protokol.")], "tr", query="istihbarat PAYLAŞIMI")
    assert '<mark class="rqa-term">İstihbarat</mark> <mark class="rqa-term">paylaşımı</mark>' in html
    assert "<mark" not in render.hits_html([passage(1, "İstihbarat")], "tr")


@pytest.mark.parametrize("lang", ["tr", "en"])
def test_footer_is_in_the_interface_language(lang):
    assert escape(strings.text(lang, "footer")) in render.footer_html(lang)
