"""Retrieval and answer evaluation on a question file, with relevance judged by content.

Relevance rule: a passage is relevant to a question when, for one of the question's
evidence spans, it holds at least ``ceil(L / 2)`` characters of one occurrence of that
span in the cleaned document text, where ``L`` is the span's length after
normalisation (NFC, all whitespace removed, Turkish casefolding). A span wholly inside
a passage therefore counts; a span cut by a chunk boundary counts for the passage
holding at least half of it. Passages carry ``start``/``end`` offsets into their
document's cleaned text, so matching is exact character-range intersection.

Metrics come from ir-measures (``Success@1``, ``Success@5``, ``RR@10``, ``nDCG@10``) over
qrels and runs built here; confidence intervals are percentile bootstraps over questions.
"""

from __future__ import annotations

import codecs
import csv
import json
import logging
import math
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ir_measures
import numpy as np
from ir_measures import RR, Qrel, ScoredDoc, Success, nDCG

from corpus import Passage, Sentence, load_corpus
from corpus.errors import ReportQAError
from index.analysis import turkish_casefold
from index.embedder import Embedder
from qa.answer import Answer, QuestionError, answer_question, normalize_question
from qa.engine import Engine
from qa.retrieval import Hit, QueryVector, Retriever
from qa.settings import Retrieval

if TYPE_CHECKING:
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)

LANGUAGES = ("tr", "en")
RETRIEVERS: tuple[Retrieval, ...] = ("bm25", "dense", "hybrid")
# Reported name -> ir-measures measure. Success@k is "at least one relevant passage in the top k".
MEASURES = {"hit@1": Success @ 1, "hit@5": Success @ 5, "mrr@10": RR @ 10, "ndcg@10": nDCG @ 10}
METRICS = tuple(MEASURES)
ANSWER_METRICS = ("answered", "correctly_cited")
BOOTSTRAP_SAMPLES = 2000
BOOTSTRAP_SEED = 20240601
UNSPECIFIED_KIND = "unspecified"
QUERY_BATCH = 32

_FIELDS = ("id", "lang", "question", "evidence", "answerable", "kind", "pair")
_REQUIRED = ("id", "lang", "question", "evidence", "answerable")
_JSON_TYPES = {str: "a string", bool: "a boolean", int: "a number", float: "a number",
               list: "an array", dict: "an object", type(None): "null"}

# (done, total, what is happening)
Progress = Callable[[int, int, str], None]


def default_questions_path() -> Path:
    """The dev questions shipped with the project."""
    return Path(__file__).resolve().parent / "data" / "dev_questions.jsonl"


# ---------------------------------------------------------------- question files


class QuestionFileError(ReportQAError, ValueError):
    """A question file cannot be used. ``problems`` lists every problem, each naming its line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        more = len(self.problems) - 1
        super().__init__(self.problems[0] + (f" (and {more} more problem{'s' * (more > 1)})" if more else ""))


class CorpusMismatchError(ReportQAError, ValueError):
    """The index's passages do not come from the documents the evidence was located in."""


@dataclass(frozen=True)
class Question:
    """One line of a question file."""

    id: str
    lang: str
    question: str
    evidence: tuple[str, ...]
    answerable: bool
    kind: str | None = None
    pair: str | None = None
    line: int = 0

    @property
    def group(self) -> str:
        return self.kind or UNSPECIFIED_KIND


def _type_name(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _excerpt(text: str, limit: int = 60) -> str:
    """A one-line excerpt for error messages."""
    flat = " ".join(text.split())
    return f"“{flat[:limit]}…”" if len(flat) > limit else f"“{flat}”"


def _parse_line(raw: bytes) -> Question:
    """One question from one line, or ValueError naming the problem."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"line is not valid UTF-8 (byte {exc.start})") from exc
    try:
        item = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(item, dict):
        raise ValueError(f"expected a JSON object, got {_type_name(item)}")
    unknown = [name for name in item if name not in _FIELDS]
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r} (allowed: {', '.join(_FIELDS)})")
    missing = [name for name in _REQUIRED if name not in item]
    if missing:
        raise ValueError(f"missing field {missing[0]!r}")

    qid = item["id"]
    if not isinstance(qid, str) or not qid or any(c.isspace() for c in qid):
        raise ValueError(f"field 'id' must be a non-empty string without spaces, got {json.dumps(qid)}")
    where = f"question {qid}: "
    lang = item["lang"]
    if not isinstance(lang, str):
        raise ValueError(f"{where}field 'lang' must be a string, got {_type_name(lang)}")
    if lang not in LANGUAGES:
        raise ValueError(f"{where}unknown lang {lang!r} (expected 'tr' or 'en')")
    question = item["question"]
    if not isinstance(question, str) or not question.strip():
        raise ValueError(f"{where}field 'question' must be a non-empty string")
    evidence = item["evidence"]
    if not isinstance(evidence, list):
        raise ValueError(f"{where}field 'evidence' must be an array of strings, got {_type_name(evidence)}")
    for n, span in enumerate(evidence, start=1):
        if not isinstance(span, str) or not "".join(span.split()):
            raise ValueError(f"{where}evidence span {n} must be a non-empty string")
    answerable = item["answerable"]
    if not isinstance(answerable, bool):
        raise ValueError(f"{where}field 'answerable' must be true or false, got {_type_name(answerable)}")
    if answerable and not evidence:
        raise ValueError(f"{where}an answerable question needs at least one evidence span")
    if not answerable and evidence:
        raise ValueError(f"{where}an unanswerable question must have empty evidence")
    optional: dict[str, str | None] = {}
    for name in ("kind", "pair"):
        value = item.get(name)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ValueError(f"{where}field {name!r} must be a non-empty string or null")
        optional[name] = value.strip() if value else None
    return Question(qid, lang, question, tuple(evidence), answerable, optional["kind"], optional["pair"])


def _pair_problems(questions: Sequence[Question], source: str) -> list[str]:
    by_id = {q.id: q for q in questions}
    problems = []
    for q in questions:
        if q.pair is None:
            continue
        other = by_id.get(q.pair)
        where = f"{source}:{q.line}: question {q.id}: pair {q.pair!r}"
        if other is None:
            problems.append(f"{where} is not in the file")
        elif other.lang == q.lang:
            problems.append(f"{where} is in the same language ({q.lang}); a pair links a tr and an en question")
        elif other.pair not in (None, q.id):
            problems.append(f"{where} is paired with {other.pair!r} instead")
        elif other.answerable != q.answerable:
            problems.append(f"{where} disagrees on 'answerable'")
    return problems


def parse_questions(data: bytes, source: str) -> list[Question]:
    """Parse and validate a JSONL question file.

    Raises:
        QuestionFileError: every malformed line, each message naming ``source`` and the line.
    """
    data = data.removeprefix(codecs.BOM_UTF8)
    problems: list[str] = []
    questions: list[Question] = []
    first_line: dict[str, int] = {}
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            parsed = _parse_line(raw)
        except ValueError as exc:
            problems.append(f"{source}:{number}: {exc}")
            continue
        if parsed.id in first_line:
            problems.append(f"{source}:{number}: duplicate id {parsed.id!r} (first on line {first_line[parsed.id]})")
            continue
        first_line[parsed.id] = number
        questions.append(replace(parsed, line=number))
    problems += _pair_problems(questions, source)
    if not questions and not problems:
        problems.append(f"{source}: no questions (expected one JSON object per line)")
    if problems:
        raise QuestionFileError(problems)
    return questions


def load_questions(path: Path, source: str | None = None) -> list[Question]:
    """Read and validate a question file; messages name it ``source`` (default: the path)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise QuestionFileError([f"cannot read question file {path}: {exc.strerror or exc}"]) from exc
    return parse_questions(data, source or str(path))


def question_pairs(questions: Iterable[Question]) -> list[tuple[Question, Question]]:
    """Each (tr, en) pair once, in file order of the Turkish question."""
    questions = list(questions)
    by_id = {q.id: q for q in questions}
    pairs: dict[tuple[str, str], tuple[Question, Question]] = {}
    for q in questions:
        if q.pair is not None and q.pair in by_id:
            tr, en = (q, by_id[q.pair]) if q.lang == "tr" else (by_id[q.pair], q)
            pairs.setdefault((tr.id, en.id), (tr, en))
    return sorted(pairs.values(), key=lambda pair: pair[0].line)


# ---------------------------------------------------------------- relevance by content


def normalise(text: str) -> tuple[str, list[int]]:
    """``text`` without whitespace and Turkish-casefolded, with each kept character's offset in ``text``.

    Characters are folded one at a time so every output character maps back to exactly
    one input offset (a character that folds to two keeps the same offset twice).
    """
    chars: list[str] = []
    offsets: list[int] = []
    for i, c in enumerate(text):
        if c.isspace():
            continue
        for folded in turkish_casefold(c):
            chars.append(folded)
            offsets.append(i)
    return "".join(chars), offsets


def normalise_span(span: str) -> str:
    return normalise(unicodedata.normalize("NFC", span))[0]


@dataclass(frozen=True)
class Occurrence:
    """One place an evidence span occurs: the document offsets of its normalised characters."""

    doc: str
    offsets: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.offsets)

    def overlap(self, start: int, end: int) -> int:
        """How many of the span's normalised characters lie in ``[start, end)`` of the document."""
        return bisect_left(self.offsets, end) - bisect_left(self.offsets, start)

    def held_by(self, passage: Passage) -> bool:
        """The relevance rule: ``passage`` holds at least half (rounded up) of this occurrence."""
        return passage.doc == self.doc and self.overlap(passage.start, passage.end) >= math.ceil(len(self) / 2)

    def touches(self, doc: str, sentence: Sentence) -> bool:
        """``sentence`` shares at least one non-whitespace character with this occurrence."""
        return doc == self.doc and self.overlap(sentence.start, sentence.end) > 0


class EvidenceMatcher:
    """Finds evidence spans in cleaned documents, ignoring whitespace and case."""

    def __init__(self, documents: Mapping[str, str]) -> None:
        self._docs = {name: normalise(text) for name, text in documents.items()}

    def locate(self, span: str) -> list[Occurrence]:
        needle = normalise_span(span)
        found: list[Occurrence] = []
        if not needle:
            return found
        for name, (haystack, offsets) in self._docs.items():
            i = haystack.find(needle)
            while i >= 0:
                found.append(Occurrence(name, tuple(offsets[i : i + len(needle)])))
                i = haystack.find(needle, i + 1)
        return found


def relevant_passages(occurrences: Iterable[Occurrence], passages: Sequence[Passage]) -> frozenset[str]:
    """Chunk ids of the passages that hold at least half of some occurrence."""
    occurrences = list(occurrences)
    return frozenset(p.chunk_id for p in passages if any(o.held_by(p) for o in occurrences))


@dataclass(frozen=True)
class QuestionSet:
    """Validated questions with their evidence located in the corpus and their search text."""

    source: str
    questions: tuple[Question, ...]
    documents: Mapping[str, str]
    evidence: Mapping[str, tuple[Occurrence, ...]]  # question id -> every occurrence of every span
    texts: Mapping[str, str]  # question id -> the normalised text that is searched and answered


def prepare_questions(
    questions: Sequence[Question], documents: Mapping[str, str], source: str, max_question_chars: int
) -> QuestionSet:
    """Locate every evidence span and normalise every question.

    Raises:
        QuestionFileError: a span that occurs nowhere in the corpus, or a question the
            engine would refuse; each message names the line and the question id.
    """
    matcher = EvidenceMatcher(documents)
    problems: list[str] = []
    evidence: dict[str, tuple[Occurrence, ...]] = {}
    texts: dict[str, str] = {}
    for q in questions:
        where = f"{source}:{q.line}: question {q.id}"
        found: list[Occurrence] = []
        for n, span in enumerate(q.evidence, start=1):
            occurrences = matcher.locate(span)
            if not occurrences:
                problems.append(f"{where}: evidence span {n} is not in the corpus: {_excerpt(span)}")
            found += occurrences
        evidence[q.id] = tuple(found)
        try:
            texts[q.id] = normalize_question(q.question, max_question_chars)
        except QuestionError as exc:
            problems.append(f"{where}: {exc}")
    if problems:
        raise QuestionFileError(problems)
    return QuestionSet(source, tuple(questions), dict(documents), evidence, texts)


def load_question_set(
    path: Path, corpus_dir: Path, max_question_chars: int, source: str | None = None
) -> QuestionSet:
    """Read, validate and locate a question file against the documents in ``corpus_dir``.

    Raises:
        QuestionFileError: see ``parse_questions`` and ``prepare_questions``.
        CorpusError: the corpus cannot be loaded.
    """
    source = source or str(path)
    questions = load_questions(path, source)
    documents = {doc.name: doc.text for doc in load_corpus(corpus_dir).documents}
    return prepare_questions(questions, documents, source, max_question_chars)


def judge(qset: QuestionSet, passages: Sequence[Passage]) -> dict[str, frozenset[str]]:
    """Relevant chunk ids per answerable question.

    Raises:
        CorpusMismatchError: the passages do not come from the question set's documents.
        QuestionFileError: an answerable question with no passage holding half of a span.
    """
    for p in passages:
        text = qset.documents.get(p.doc)
        if text is None or text[p.start : p.end] != p.text:
            raise CorpusMismatchError(
                f"passage {p.chunk_id} does not match document {p.doc!r}: the corpus changed after "
                "the index was built; run `report-qa index` and evaluate again"
            )
    relevant: dict[str, frozenset[str]] = {}
    problems = []
    for q in qset.questions:
        if not q.answerable:
            continue
        relevant[q.id] = relevant_passages(qset.evidence[q.id], passages)
        if not relevant[q.id]:
            problems.append(
                f"{qset.source}:{q.line}: question {q.id}: no passage holds at least half of an evidence "
                "span (spans that lie in headings are not indexed)"
            )
    if problems:
        raise QuestionFileError(problems)
    return relevant


def cites_evidence(answer: Answer, relevant: frozenset[str], evidence: Iterable[Occurrence]) -> bool:
    """An answer cites correctly when a cited passage is relevant or a quoted sentence touches a span."""
    evidence = list(evidence)
    return any(
        c.passage.chunk_id in relevant or any(o.touches(c.passage.doc, c.sentence) for o in evidence)
        for c in answer.citations
    )


# ---------------------------------------------------------------- metrics


def build_qrels(relevant: Mapping[str, Iterable[str]]) -> list[Qrel]:
    """Binary qrels: every relevant passage has relevance 1."""
    return [Qrel(qid, doc, 1) for qid, docs in relevant.items() for doc in sorted(docs)]


def build_run(rankings: Mapping[str, Sequence[str]]) -> list[ScoredDoc]:
    """A run from ranked chunk ids. Scores are rank-derived (n, n-1, …, 1) so evaluation
    follows our order exactly: raw fused scores can tie and trec_eval breaks ties by doc id."""
    return [
        ScoredDoc(qid, doc, float(len(docs) - i)) for qid, docs in rankings.items() for i, doc in enumerate(docs)
    ]


def per_question_metrics(qrels: Sequence[Qrel], run: Sequence[ScoredDoc]) -> dict[str, dict[str, float]]:
    """Each judged question's value of every metric, via ``ir_measures.iter_calc``.

    A question with qrels but no retrieved passage scores 0 on every metric.
    """
    names = {measure: name for name, measure in MEASURES.items()}
    values: dict[str, dict[str, float]] = {q.query_id: dict.fromkeys(METRICS, 0.0) for q in qrels}
    for metric in ir_measures.iter_calc(list(MEASURES.values()), list(qrels), list(run)):
        if metric.query_id in values:
            values[metric.query_id][names[metric.measure]] = float(metric.value)
    return values


def bootstrap_ci(
    values: np.ndarray, *, samples: int = BOOTSTRAP_SAMPLES, seed: int = BOOTSTRAP_SEED
) -> tuple[np.ndarray, np.ndarray]:
    """95% percentile-bootstrap interval of the column means of ``values`` (questions × metrics).

    Questions are resampled with replacement; the fixed seed makes reports reproducible.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or len(values) == 0:
        raise ValueError(f"bootstrap needs a non-empty questions × metrics array, got shape {values.shape}")
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(values), size=(samples, len(values)))
    means = values[picks].mean(axis=1)
    low, high = np.quantile(means, [0.025, 0.975], axis=0)
    return low, high


@dataclass(frozen=True)
class Summary:
    """Means of per-question values over a group of questions, with 95% bootstrap intervals."""

    n: int
    means: dict[str, float] = field(default_factory=dict)
    ci95: dict[str, tuple[float, float]] = field(default_factory=dict)

    @classmethod
    def of(cls, rows: Sequence[Mapping[str, float]], names: Sequence[str]) -> Summary:
        if not rows:
            return cls(0)
        matrix = np.array([[row[name] for name in names] for row in rows], dtype=np.float64)
        low, high = bootstrap_ci(matrix)
        means = matrix.mean(axis=0)
        return cls(
            len(rows),
            {name: float(means[i]) for i, name in enumerate(names)},
            {name: (float(low[i]), float(high[i])) for i, name in enumerate(names)},
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: round(value, 4) for name, value in self.means.items()}
        out["n"] = self.n
        if self.ci95:
            out["ci95"] = {name: [round(lo, 4), round(hi, 4)] for name, (lo, hi) in self.ci95.items()}
        return out


@dataclass(frozen=True)
class PairGap:
    """Paired Turkish and English questions: each side's metrics and the tr − en gap."""

    tr: Summary
    en: Summary
    gap: dict[str, float]
    gap_ci95: dict[str, tuple[float, float]]

    @classmethod
    def of(cls, rows: Sequence[tuple[Mapping[str, float], Mapping[str, float]]]) -> PairGap:
        tr = Summary.of([a for a, _ in rows], METRICS)
        en = Summary.of([b for _, b in rows], METRICS)
        if not rows:
            return cls(tr, en, {}, {})
        diffs = np.array([[a[m] - b[m] for m in METRICS] for a, b in rows], dtype=np.float64)
        low, high = bootstrap_ci(diffs)
        means = diffs.mean(axis=0)
        return cls(
            tr,
            en,
            {m: float(means[i]) for i, m in enumerate(METRICS)},
            {m: (float(low[i]), float(high[i])) for i, m in enumerate(METRICS)},
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.tr.n,
            "tr": self.tr.to_json(),
            "en": self.en.to_json(),
            "gap": {m: round(v, 4) for m, v in self.gap.items()},
            "gap_ci95": {m: [round(lo, 4), round(hi, 4)] for m, (lo, hi) in self.gap_ci95.items()},
        }


@dataclass(frozen=True)
class AnswerSummary:
    """Answer-side shares: answerable questions answered / correctly cited, unanswerable declined."""

    answerable: Summary
    unanswerable: Summary
    declined_by_kind: dict[str, Summary]

    def to_json(self) -> dict[str, Any]:
        return {
            "answerable": self.answerable.to_json(),
            "unanswerable": {
                **self.unanswerable.to_json(),
                "by_kind": {kind: s.to_json() for kind, s in self.declined_by_kind.items()},
            },
        }


# ---------------------------------------------------------------- running an evaluation


class PrecomputedRetriever(Retriever):
    """A Retriever that returns query vectors computed up front, so answering does not embed again."""

    def __init__(self, base: Retriever, mode: Retrieval, vectors: Mapping[str, QueryVector]) -> None:
        super().__init__(base.index, base.embedder, base.settings.model_copy(update={"retriever": mode}))
        self._vectors = vectors

    def embed(self, text: str) -> QueryVector:
        cached = self._vectors.get(text)
        return cached if cached is not None else super().embed(text)


def embed_queries(
    embedder: Embedder, texts: Iterable[str], on_progress: Progress | None = None
) -> dict[str, QueryVector]:
    """Embed each distinct text once, in batches."""
    unique = list(dict.fromkeys(texts))
    vectors: dict[str, QueryVector] = {}
    for start in range(0, len(unique), QUERY_BATCH):
        batch = unique[start : start + QUERY_BATCH]
        for text, vector in zip(batch, embedder.encode_queries(batch), strict=True):
            vectors[text] = QueryVector(text, vector)
        if on_progress:
            on_progress(len(vectors), len(unique), "embedding questions")
    return vectors


@dataclass(frozen=True)
class Outcome:
    """One question under one retriever."""

    question: Question
    hits: tuple[Hit, ...]
    first_relevant: int | None  # rank of the first relevant passage; None when none in the top k
    metrics: dict[str, float] | None  # None for unanswerable questions
    answer: Answer
    correctly_cited: bool | None  # None for unanswerable questions


@dataclass(frozen=True)
class RetrieverReport:
    """Every result of one retriever on one question set."""

    retriever: str
    outcomes: tuple[Outcome, ...]
    overall: Summary
    by_language: dict[str, Summary]
    by_kind: dict[str, Summary]
    answers: AnswerSummary
    answers_by_language: dict[str, AnswerSummary]
    pairs: PairGap

    def to_json(self) -> dict[str, Any]:
        return {
            "overall": self.overall.to_json(),
            "by_language": {lang: s.to_json() for lang, s in self.by_language.items()},
            "by_kind": {kind: s.to_json() for kind, s in self.by_kind.items()},
            "answers": {
                **self.answers.to_json(),
                "by_language": {lang: s.to_json() for lang, s in self.answers_by_language.items()},
            },
            "pairs": self.pairs.to_json(),
        }


def _answer_summary(outcomes: Sequence[Outcome]) -> AnswerSummary:
    answerable = [
        {"answered": float(o.answer.answered), "correctly_cited": float(bool(o.correctly_cited))}
        for o in outcomes
        if o.question.answerable
    ]
    declined: dict[str, list[dict[str, float]]] = {}
    for o in outcomes:
        if not o.question.answerable:
            declined.setdefault(o.question.group, []).append({"declined": float(not o.answer.answered)})
    return AnswerSummary(
        Summary.of(answerable, ANSWER_METRICS),
        Summary.of([row for rows in declined.values() for row in rows], ("declined",)),
        {kind: Summary.of(rows, ("declined",)) for kind, rows in sorted(declined.items())},
    )


def summarise(
    retriever: str, outcomes: Sequence[Outcome], pairs: Sequence[tuple[Question, Question]]
) -> RetrieverReport:
    """Group the per-question outcomes into overall, per-language, per-kind, answer and pair summaries."""
    judged = [o for o in outcomes if o.metrics is not None]
    by_id = {o.question.id: o for o in judged}
    kinds = sorted({o.question.group for o in judged})
    languages = [lang for lang in LANGUAGES if any(o.question.lang == lang for o in outcomes)]
    return RetrieverReport(
        retriever=retriever,
        outcomes=tuple(outcomes),
        overall=Summary.of([o.metrics for o in judged if o.metrics], METRICS),
        by_language={
            lang: Summary.of([o.metrics for o in judged if o.metrics and o.question.lang == lang], METRICS)
            for lang in languages
        },
        by_kind={
            kind: Summary.of([o.metrics for o in judged if o.metrics and o.question.group == kind], METRICS)
            for kind in kinds
        },
        answers=_answer_summary(outcomes),
        answers_by_language={
            lang: _answer_summary([o for o in outcomes if o.question.lang == lang]) for lang in languages
        },
        pairs=PairGap.of(
            [
                (by_id[tr.id].metrics or {}, by_id[en.id].metrics or {})
                for tr, en in pairs
                if tr.id in by_id and en.id in by_id
            ]
        ),
    )


@dataclass(frozen=True)
class EvalReport:
    """An evaluation of one question set under one or more retrievers."""

    qset: QuestionSet
    k: int
    relevant: dict[str, frozenset[str]]
    reports: dict[str, RetrieverReport]
    config: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """One retriever: its report at the top level. Several: nested under ``retrievers``."""
        if len(self.reports) == 1:
            (report,) = self.reports.values()
            return {"config": self.config, **report.to_json()}
        return {"config": self.config, "retrievers": {name: r.to_json() for name, r in self.reports.items()}}


def evaluate(
    engine: Engine,
    qset: QuestionSet,
    *,
    retrievers: Sequence[Retrieval] = RETRIEVERS,
    k: int = 10,
    on_progress: Progress | None = None,
) -> EvalReport:
    """Search and answer every question under each retriever, embedding each question once.

    Raises:
        QuestionFileError, CorpusMismatchError: see ``judge``.
        ValueError: ``k`` is below 1.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    relevant = judge(qset, engine.index.passages)
    qrels = build_qrels(relevant)
    pairs = question_pairs(qset.questions)
    vectors = embed_queries(engine.embedder, qset.texts.values(), on_progress)
    total = len(qset.questions) * len(retrievers)
    reports: dict[str, RetrieverReport] = {}
    for r, mode in enumerate(retrievers):
        retriever = PrecomputedRetriever(engine.retriever, mode, vectors)
        searched: dict[str, tuple[Hit, ...]] = {}
        answers: dict[str, Answer] = {}
        for i, q in enumerate(qset.questions, start=1):
            searched[q.id] = tuple(retriever.search(vectors[qset.texts[q.id]], k, mode))
            # The same call as `report-qa ask`; the retriever returns the vector computed above.
            answers[q.id] = answer_question(retriever, q.question, language=q.lang, qid=q.id)
            if on_progress:
                on_progress(r * len(qset.questions) + i, total, f"{mode}: searching and answering")
        run = build_run({qid: [h.passage.chunk_id for h in searched[qid]] for qid in relevant})
        metrics = per_question_metrics(qrels, run)
        outcomes = []
        for q in qset.questions:
            hits = searched[q.id]
            rel = relevant.get(q.id, frozenset())
            outcomes.append(
                Outcome(
                    question=q,
                    hits=hits,
                    first_relevant=next((h.rank for h in hits if h.passage.chunk_id in rel), None),
                    metrics=metrics.get(q.id),
                    answer=answers[q.id],
                    correctly_cited=cites_evidence(answers[q.id], rel, qset.evidence[q.id]) if q.answerable else None,
                )
            )
        reports[mode] = summarise(mode, outcomes, pairs)
        log.info("evaluated %s on %d questions", mode, len(outcomes))
    config = {
        "questions": qset.source,
        "n_questions": len(qset.questions),
        "n_answerable": len(relevant),
        "retrievers": list(retrievers),
        "k": k,
        "model": engine.embedder.model_id,
        "passages": len(engine.index.passages),
        "answer_top_k": engine.settings.top_k,
        "bootstrap": {"samples": BOOTSTRAP_SAMPLES, "seed": BOOTSTRAP_SEED, "level": 0.95},
    }
    return EvalReport(qset, k, relevant, reports, config)


# ---------------------------------------------------------------- output


def write_qrels(path: Path, relevant: Mapping[str, Iterable[str]]) -> None:
    """TREC qrels: ``qid 0 docno relevance``."""
    path.write_text("".join(f"{q.query_id} 0 {q.doc_id} {q.relevance}\n" for q in build_qrels(relevant)), "utf-8")


def write_run(path: Path, rankings: Mapping[str, Sequence[str]], tag: str) -> None:
    """TREC run: ``qid Q0 docno rank score tag``, with the rank-derived scores used for evaluation."""
    lines = [
        f"{qid} Q0 {doc} {rank} {len(docs) - rank + 1} {tag}\n"
        for qid, docs in rankings.items()
        for rank, doc in enumerate(docs, start=1)
    ]
    path.write_text("".join(lines), "utf-8")


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


_COLOURS = {"bm25": "#d95f02", "dense": "#7570b3", "hybrid": "#1b9e77"}


def metrics_chart(groups: Mapping[str, Mapping[str, Summary]], title: str) -> Figure:
    """Bars of every metric per retriever, one panel per group, with 95% intervals as error bars."""
    # Imported here: only chart output needs matplotlib, and it costs a second to import.
    from matplotlib.figure import Figure

    # At most three panels per row, rows filled evenly (four groups make a 2 × 2 grid).
    nrows = math.ceil(len(groups) / 3)
    ncols = math.ceil(len(groups) / nrows)
    fig = Figure(figsize=(max(6.0, 4.6 * ncols), 0.6 + 4.2 * nrows), layout="constrained")
    grid = fig.subplots(nrows, ncols, sharey=True, squeeze=False)
    axes = list(grid.flat)
    for ax in axes[len(groups):]:
        ax.set_visible(False)
    for ax, (group, by_retriever) in zip(axes, groups.items(), strict=False):
        names = list(by_retriever)
        width = 0.8 / max(len(names), 1)
        x = np.arange(len(METRICS))
        for j, name in enumerate(names):
            s = by_retriever[name]
            if not s.n:
                continue
            means = np.array([s.means[m] for m in METRICS])
            errors = np.array([[means[i] - s.ci95[m][0], s.ci95[m][1] - means[i]] for i, m in enumerate(METRICS)]).T
            bars = ax.bar(x + (j - (len(names) - 1) / 2) * width, means, width, yerr=errors, capsize=3,
                          label=name, color=_COLOURS.get(name), error_kw={"elinewidth": 0.8, "alpha": 0.7})
            # Inside the bar: above it the label would collide with the error bar.
            ax.bar_label(bars, labels=[f"{v:.2f}" if v >= 0.08 else "" for v in means], label_type="center",
                         fontsize=7, color="white", rotation=90)
        n = max((s.n for s in by_retriever.values()), default=0)
        ax.set_title(f"{group} (n={n})")
        ax.set_xticks(x, METRICS)
        ax.set_ylim(0, 1.12)
        ax.grid(axis="y", alpha=0.3)
    for row in grid:
        row[0].set_ylabel("score (error bars: 95% bootstrap CI)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=max(len(labels), 1), fontsize=9)
    fig.suptitle(title)
    return fig


def report_chart(report: EvalReport) -> Figure:
    groups: dict[str, dict[str, Summary]] = {"all": {}}
    for name, r in report.reports.items():
        groups["all"][name] = r.overall
        for lang, s in r.by_language.items():
            groups.setdefault(lang, {})[name] = s
    return metrics_chart(groups, f"Retrieval on {Path(report.qset.source).name} (k={report.k})")


def _flag(value: bool) -> str:
    return "true" if value else "false"


def question_rows(report: EvalReport) -> list[list[Any]]:
    """Per-question rows: retriever, id, language, kind, answerable, first relevant rank, answered, cited."""
    rows = []
    for name, r in report.reports.items():
        for o in r.outcomes:
            q = o.question
            rows.append([
                name, q.id, q.lang, q.kind or "", _flag(q.answerable),
                "" if o.first_relevant is None else o.first_relevant,
                _flag(o.answer.answered), "" if o.correctly_cited is None else _flag(o.correctly_cited),
            ])
    return rows


QUESTION_COLUMNS = ("retriever", "id", "language", "kind", "answerable", "first_relevant_rank", "answered",
                    "correctly_cited")


def write_report(report: EvalReport, out: Path) -> list[Path]:
    """Write qrels, one TREC run per retriever, the per-question CSV, the JSON report and the chart."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "qrels.txt"]
    write_qrels(written[0], report.relevant)
    for name, r in report.reports.items():
        path = out / f"run.{name}.txt"
        write_run(path, {o.question.id: [h.passage.chunk_id for h in o.hits] for o in r.outcomes
                         if o.question.answerable}, f"report-qa-{name}")
        written.append(path)
    write_csv(out / "questions.csv", QUESTION_COLUMNS, question_rows(report))
    (out / "report.json").write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n", "utf-8")
    report_chart(report).savefig(out / "metrics.png", dpi=130)
    written += [out / "questions.csv", out / "report.json", out / "metrics.png"]
    return written


def format_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table with left-aligned first columns and right-aligned numbers."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for row in cells:
        parts = [
            c.rjust(w) if c[:1].isdigit() or c[:1] in "+-" else c.ljust(w) for c, w in zip(row, widths, strict=True)
        ]
        lines.append("  ".join(parts).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_value(summary: Summary, name: str) -> str:
    if not summary.n:
        return "-"
    lo, hi = summary.ci95[name]
    return f"{summary.means[name]:.3f} [{lo:.2f},{hi:.2f}]"


def _share(summary: Summary, name: str) -> str:
    return f"{summary.means[name]:.2f}" if summary.n else "-"


TABLE_COLUMNS = ("retriever", "scope", "n", *METRICS, "answered", "cited", "declined")


def table_rows(report: EvalReport) -> list[list[Any]]:
    """Rows of the comparison table: per retriever, all questions, each language, each kind."""
    rows = []
    for name, r in report.reports.items():
        scopes = [("all", r.overall, r.answers)]
        scopes += [(lang, s, r.answers_by_language[lang]) for lang, s in r.by_language.items()]
        for scope, s, a in scopes:
            rows.append([name, scope, s.n, *(format_value(s, m) for m in METRICS),
                         _share(a.answerable, "answered"), _share(a.answerable, "correctly_cited"),
                         _share(a.unanswerable, "declined")])
        for kind, s in r.by_kind.items():
            rows.append([name, f"kind:{kind}", s.n, *(format_value(s, m) for m in METRICS), "", "", ""])
    return rows


def render_text(report: EvalReport) -> str:
    """The human-readable report: one table for every retriever, then pairs and answers."""
    c = report.config
    lines = [
        f"Evaluation of {c['questions']}: {c['n_questions']} questions ({c['n_answerable']} answerable), "
        f"k={report.k}, {c['passages']} passages, model {c['model']}",
        "Metrics: mean [95% bootstrap CI] over answerable questions. answered/cited: share of answerable "
        "questions; declined: share of unanswerable ones.",
        "",
        format_table(TABLE_COLUMNS, table_rows(report)),
        "",
    ]
    pair_rows = []
    for name, r in report.reports.items():
        p = r.pairs
        if p.tr.n:
            pair_rows += [[name, m, f"{p.tr.means[m]:.3f}", f"{p.en.means[m]:.3f}", f"{p.gap[m]:+.3f}",
                           f"[{p.gap_ci95[m][0]:+.2f},{p.gap_ci95[m][1]:+.2f}]"] for m in ("mrr@10", "hit@5")]
    if pair_rows:
        n = next(iter(report.reports.values())).pairs.tr.n
        lines += [f"Cross-lingual gap on {n} tr/en pairs (gap = tr − en):",
                  format_table(["retriever", "metric", "tr", "en", "gap", "95% CI"], pair_rows), ""]
    decline_rows = [
        [name, kind, s.n, _share(s, "declined")]
        for name, r in report.reports.items()
        for kind, s in r.answers.declined_by_kind.items()
    ]
    if decline_rows:
        lines += ["Unanswerable questions declined, by kind:",
                  format_table(["retriever", "kind", "n", "declined"], decline_rows), ""]
    return "\n".join(lines).rstrip() + "\n"
