"""The extractive answerer: quote the report's own sentences that answer, each with its ``[n]``.

Offline and deterministic. Sentences of the top passages are scored against the question
(``qa.answerers.selection``); the best one and any within ``SENTENCE_MARGIN`` of it are quoted,
best first. Two reasons to decline, each with its own message (``Answer.declined``):

* ``off_topic``: junk input (``qa.answerability.is_junk``), no word of the report nor any
  function word, or the question's relevance (best sentence similarity + ``CENTROID_WEIGHT`` ×
  similarity to the corpus centroid + the model's ``generic_weight`` × (similarity to the corpus
  centroid − similarity to everyday questions)) is below the question language's calibrated
  threshold, and it names none of the documents' names (``qa.names``);
* ``not_in_report``: on topic, but the answerability model (``qa.answerability``) says the
  best sentences do not carry what the question asks for; or far from the documents' sentences,
  but naming one of their names ("MİT'in yıllık bütçesi ne kadar?").

A broad question (``qa.broad``) is answered with the key sentences of the conclusions section.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from corpus import Sentence
from corpus.errors import ReportQAError
from index.analysis import turkish_casefold
from qa import strings
from qa.answer import Answer, Citation
from qa.answerability import AnswerabilityModel, Features, default_model_path, generic_questions, is_junk, knows_a_word
from qa.answerers.base import AnswerRequest
from qa.answerers.selection import key_sentences, select_sentences
from qa.broad import KEY_SENTENCES
from qa.glossary import Translation
from qa.names import names_one, proper_names
from qa.places import place_conflict
from qa.retrieval import Hit, QueryVector, Retriever
from qa.settings import CENTROID_WEIGHT, Settings
from qa.signals import (
    carries_type,
    clauses,
    defines,
    expansion_asked,
    expected_type,
    is_yes_no,
    names_subject,
    number_missing,
    table_numbers,
    terms_missing,
)

OFF_TOPIC = "off_topic"
NOT_IN_REPORT = "not_in_report"
_DATE_RE = re.compile(
    r"\b(\d{1,2})\s+(" + "|".join(strings.TURKISH_MONTHS_EN) + r")\s+(\d{4})\b", re.IGNORECASE
)


def _english_dates(text: str) -> list[str]:
    out = []
    for day, month, year in _DATE_RE.findall(text):
        english = strings.TURKISH_MONTHS_EN[turkish_casefold(month)]
        out.append(f"{int(day)} {english} {year}")
    return out


def relevance(retriever: Retriever, query: QueryVector) -> float:
    """How close the report comes to the question: its best sentence anywhere, plus the centroid term.

    Independent of the fusion weights (the whole corpus is searched), so re-weighting retrieval
    does not move the off-topic thresholds.
    """
    best = max(retriever.backend.sentences(query.vector, 1).values(), default=0.0)
    return best + CENTROID_WEIGHT * float(retriever.centroid @ query.vector)


def compose(language: str, quotes: list[tuple[int, Sentence]], lead: dict[str, str] = strings.ANSWER_LEAD) -> str:
    """The answer text: the quotes with their ``[n]``, framed in ``language`` after ``lead``."""
    if language == "tr":
        body = " ".join(f"{s.text} [{n}]" for n, s in quotes)
        return f"{lead['tr']} {body}"
    body = " ".join(f"“{s.text}” [{n}]" for n, s in quotes)
    text = f"{lead['en']} {body}"
    dates = [d for _, s in quotes for d in _english_dates(s.text)]
    if dates:
        text += " " + strings.DATES_NOTE_EN.format(dates="; ".join(dict.fromkeys(dates)))
    return text


class ExtractiveAnswerer:
    """Quotes the report's sentences; the offline default."""

    name = "extractive"

    def __init__(self, retriever: Retriever, settings: Settings) -> None:
        self.retriever = retriever
        self.settings = settings
        path = settings.answerability_model or default_model_path()
        try:
            self.model = AnswerabilityModel.load(path)
        except ValueError as exc:
            raise ReportQAError(
                f"cannot use the answerability model: {exc}; run `report-qa calibrate --out FILE` to write one",
                "bad_answerability_model",
            ) from exc
        self._generic: NDArray[np.float32] | None = None

    @property
    def generic_centroid(self) -> NDArray[np.float32]:
        """The normalised mean vector of everyday questions (``qa.answerability.generic_questions``)."""
        if self._generic is None:
            mean = self.retriever.embed_many(generic_questions()).mean(axis=0)
            self._generic = (mean / np.linalg.norm(mean)).astype(np.float32)
        return self._generic

    @property
    def document_frequency(self) -> dict[str, int]:
        """In how many passages each analysed term occurs (the retriever's, computed once)."""
        return self.retriever.document_frequency

    def relevance(self, request: AnswerRequest, generic_weight: float | None = None) -> float:
        """The off-topic score of ``request`` (see the module docstring).

        ``generic_weight`` (default: the model's) weighs how much closer the question is to the
        report than to everyday questions.
        """
        weight = self.model.generic(request.detected) if generic_weight is None else generic_weight
        score = relevance(self.retriever, request.query)
        if weight:
            vector = request.query.vector
            score += weight * float(self.retriever.centroid @ vector - self.generic_centroid @ vector)
        return score

    def features(self, request: AnswerRequest, chosen: list[tuple[Hit, Sentence, float]], named: str) -> Features:
        """The answerability features of ``request`` and its chosen sentences (``chosen`` best first);
        ``named`` is what the question names (:meth:`named`)."""
        best_hit, best_sentence, _ = chosen[0]
        vecs = self.retriever.sentence_vectors(best_hit.row)
        kind = expected_type(request.text)
        expanded = expansion_asked(request.text)
        definition = self.retriever.spelled_out(request.text) if expanded else None
        carried = kind is not None and carries_type(kind, best_sentence.text, named)
        return Features(
            similarity=float((vecs @ request.query.vector).max()),
            type_missing=float(
                (kind is not None and not carried)
                # "What does X stand for?" is answered only by the sentence that spells X out.
                or (expanded is not None
                    and not defines(best_sentence.text, definition.name if definition else expanded))
            ),
            terms_missing=terms_missing(request.text, [s.text for _, s, _ in chosen], self.document_frequency),
            number_missing=float(number_missing(request.text, best_sentence.text)),
            yes_no=float(is_yes_no(request.text)),
            english=float(request.detected != "tr"),
            place_conflict=float(place_conflict(named, best_sentence.text)),
            clause_gap=(
                self.clause_gap(request, vecs[best_hit.passage.sentences.index(best_sentence)], best_sentence.text,
                                kind, named)
                if kind is not None and carried else 0.0
            ),
        )

    def clause_gap(
        self, request: AnswerRequest, vector: NDArray[np.float32], sentence: str, kind: str, named: str
    ) -> float:
        """How much less like the question the clauses of ``sentence`` (its vector ``vector``) that
        hold the ``kind`` of answer are than the whole sentence: a year or a name in a clause about
        something else. 0 for a sentence of one clause."""
        parts = clauses(sentence)
        if len(parts) < 2:
            return 0.0
        holding = [p for p in parts if carries_type(kind, p, named)] or parts
        subject = parts[0]
        if subject not in holding and names_subject(subject, named):
            # The clause holding the answer says it of the subject the question asks about.
            holding = [f"{subject}, {p}" for p in holding]
        best = float((self.retriever.embed_documents(holding) @ request.query.vector).max())
        return float(vector @ request.query.vector) - best

    def named(self, request: AnswerRequest) -> str:
        """What ``request`` names: its text, and for a glossed question also its Turkish gloss
        ("Azerbaijani city" names Azerbaycan, which a quote must not offer as the place asked for)."""
        translation = self.translation(request)
        return request.text if translation is None else f"{request.text} {translation.text}"

    def translation(self, request: AnswerRequest) -> Translation | None:
        """A non-Turkish question in the documents' Turkish words (``qa.glossary``): the gloss the
        search embedded, or a fresh one; None for a Turkish question or one too little translates."""
        if request.detected == "tr":
            return None
        gloss = request.query.gloss
        return gloss.translation if gloss is not None else self.retriever.translate(request.text)

    def decline(self, request: AnswerRequest, reason: str = NOT_IN_REPORT) -> Answer:
        """The sentinel answer for ``reason`` in the request's language, with the hits as the closest passages."""
        lang = request.language
        return Answer(
            request.text, lang, False, strings.DECLINED[reason][lang], [], request.hits, request.qid, declined=reason
        )

    def answerability(self, request: AnswerRequest) -> tuple[list[tuple[Hit, Sentence, float]], Features | None]:
        """The sentences ``request`` would quote (best first) and their features (None when there are none)."""
        named = self.named(request)
        chosen = select_sentences(
            self.retriever, request.query, request.hits, self.settings.answer_sentences, request.exclude, named
        )
        return chosen, (self.features(request, chosen, named) if chosen else None)

    def off_topic(self, request: AnswerRequest) -> bool:
        """Whether ``request`` is not about the corpus at all (junk, no known word, or too far from it)."""
        if self._unknown(request):
            return True
        threshold = self.settings.abstain_threshold(request.detected)
        return not request.broad and self._far(request, threshold, self.model) and not self.names_one(request)

    def names_one(self, request: AnswerRequest) -> bool:
        """Whether ``request`` names one of the documents' names (``qa.names``): it is about them,
        and when it is far from their sentences, they do not say what it asks."""
        return names_one(request.text, self.names, self.retriever.glossary)

    def _unknown(self, request: AnswerRequest) -> bool:
        """Junk, or no word of the documents, no name they spell out ("OTS neyin kısaltması?"
        asks about the report's TDT through the glossary) and no English the glossary puts into
        their words ("Nakhchivan Agreement?" is the report's "Nahçıvan Anlaşması")."""
        return is_junk(request.text) or (
            not knows_a_word(request.text, self.document_frequency)
            and not self.spelled_out(request)
            and not self.glossed(request)
        )

    def _far(self, request: AnswerRequest, threshold: float, model: AnswerabilityModel) -> bool:
        """Whether ``request``'s off-topic score is below ``threshold`` (a glossed question, one
        about a table of the documents or one asking the full form of a name they spell out never is)."""
        if self.glossed(request) or table_numbers(request.text) & self.tables or self.spelled_out(request):
            return False
        return self.relevance(request, model.generic(request.detected)) < threshold

    def spells_out(self, request: AnswerRequest, sentence: Sentence) -> bool:
        """Whether ``sentence`` spells out the name whose full form ``request`` asks for."""
        definition = self.retriever.spelled_out(request.text)
        return definition is not None and defines(sentence.text, definition.name)

    def spelled_out(self, request: AnswerRequest) -> bool:
        """Whether ``request`` asks the full form of a name that the documents spell out
        ("Europol'ün açık adı nedir?" and "Europol’ün (European Union Agency …")."""
        return self.retriever.spelled_out(request.text) is not None

    @cached_property
    def names(self) -> frozenset[str]:
        """The names the documents write (``qa.names``): a question naming one is about them."""
        passages = self.retriever.backend.passages
        return proper_names(([s.text for s in p.sentences] for p in passages), self.retriever.glossary)

    @cached_property
    def tables(self) -> set[str]:
        """The numbers of the documents' tables, from their captions ("Tablo 2: …")."""
        return {
            n for p in self.retriever.backend.passages if p.kind == "table" for n in table_numbers(p.sentences[0].text)
        }

    def glossed(self, request: AnswerRequest) -> bool:
        """Whether the glossary puts a non-Turkish question into the documents' own words (most of
        its content words are words of the documents): a question about them, whatever its score."""
        return self.translation(request) is not None

    def decide(
        self, request: AnswerRequest, threshold: float, model: AnswerabilityModel
    ) -> tuple[str | None, list[tuple[Hit, Sentence, float]]]:
        """Why to decline ``request`` (``off_topic``, ``not_in_report``) or None, with the sentences to quote.

        ``threshold`` (off-topic relevance) and ``model`` are parameters so that calibration
        can try values through exactly the decision ``answer`` makes.
        """
        if self._unknown(request):
            return OFF_TOPIC, []
        if request.broad:
            # "What does the report recommend?" is about the report by definition.
            return None, []
        if self._far(request, threshold, model):
            return (NOT_IN_REPORT if self.names_one(request) else OFF_TOPIC), []
        chosen, features = self.answerability(request)
        if chosen and self.spells_out(request, chosen[0][1]):
            # "What does OTS stand for?" and the first quote spells the name out: that is the
            # answer, however little the question's few words read like it.
            return None, chosen
        if features is None or not model.answers(features):
            return NOT_IN_REPORT, []
        return None, chosen

    def answer(self, request: AnswerRequest) -> Answer:
        threshold = self.settings.abstain_threshold(request.detected)
        reason, chosen = self.decide(request, threshold, self.model)
        if reason == NOT_IN_REPORT and request.exclude:
            # Only sentences the conversation has shown already answer the follow-up: quoting
            # them again beats declining a question the report answers.
            request = replace(request, exclude=frozenset())
            reason, chosen = self.decide(request, threshold, self.model)
        if reason is not None:
            return self.decline(request, reason)
        if request.broad:
            quotes = [
                (hit, sentence)
                for hit, sentence in key_sentences(self.retriever, request.query, request.hits, KEY_SENTENCES)
                if sentence.text not in request.exclude
            ]
            return self._cite(request, quotes, strings.BROAD_LEAD) if quotes else self.decline(request)
        # Best first: the first quote is the one that answers.
        return self._cite(request, [(hit, sentence) for hit, sentence, _ in chosen], strings.ANSWER_LEAD)

    def _cite(self, request: AnswerRequest, quotes: list[tuple[Hit, Sentence]], lead: dict[str, str]) -> Answer:
        citations = [Citation(n, hit.passage, sentence) for n, (hit, sentence) in enumerate(quotes, start=1)]
        text = compose(request.language, [(c.n, c.sentence) for c in citations], lead)
        return Answer(request.text, request.language, True, text, citations, request.hits, request.qid)
