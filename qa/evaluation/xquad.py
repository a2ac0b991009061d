"""XQuAD as a passage-retrieval benchmark for Turkish, English and cross-lingual search.

Each of XQuAD's 240 paragraphs is written as one Markdown document into
``<cache_dir>/xquad-corpus-<lang>`` and indexed with the normal ``build_index`` (same
embedder, FAISS and BM25 code) into ``<cache_dir>/xquad-index-<lang>``, with a chunker
large enough that every paragraph stays exactly one passage. A question's only relevant
passage is its own paragraph. Settings are named ``<question language>-<corpus language>``.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from corpus import ChunkerConfig
from corpus.errors import ReportQAError
from index.backends import DEFAULT_BACKEND
from index.embedding import Embedder
from index.store import IndexConfig, LoadedIndex, ensure_index
from qa.answer import normalize_question
from qa.evaluation.metrics import METRICS, Summary, build_qrels, build_run, per_question_metrics
from qa.evaluation.questions import LANGUAGES
from qa.evaluation.reports import format_table, format_value, metrics_chart, write_csv, write_qrels, write_run
from qa.evaluation.runner import embed_queries
from qa.modes import EVALUATION_ORDER, RetrievalMode
from qa.retrieval import QueryVector, Retriever
from qa.settings import Settings

log = logging.getLogger(__name__)

XQUAD_DIR = Path(__file__).resolve().parent.parent / "data" / "xquad"
# (question language, corpus language)
SETTINGS: tuple[tuple[str, str], ...] = (("tr", "tr"), ("en", "en"), ("en", "tr"), ("tr", "en"))
# No XQuAD paragraph exceeds 509 words: with these limits none is split, and merging
# never crosses documents, so each paragraph is exactly one passage.
CHUNKER = ChunkerConfig(min_words=1, target_words=2000, max_words=2000)
LIMIT_SEED = 20240601


class XquadError(ReportQAError, ValueError):
    """The XQuAD files cannot be used, or a paragraph did not become exactly one passage."""


@dataclass(frozen=True)
class XquadQuestion:
    """One XQuAD question, in both languages, with the index of its paragraph."""

    id: str
    paragraph: int
    text: Mapping[str, str]  # language -> question


@dataclass(frozen=True)
class XquadData:
    paragraphs: Mapping[str, tuple[str, ...]]  # language -> paragraphs, parallel across languages
    questions: tuple[XquadQuestion, ...]


def _read_squad(path: Path) -> list[tuple[str, list[tuple[str, str]]]]:
    """(context, [(question id, question)]) per paragraph of a SQuAD-format file."""
    try:
        data = json.loads(path.read_text("utf-8"))
        return [
            (p["context"], [(q["id"], q["question"]) for q in p["qas"]])
            for article in data["data"]
            for p in article["paragraphs"]
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise XquadError(f"cannot read XQuAD file {path}: {exc}") from exc


def load_xquad(folder: Path | None = None) -> XquadData:
    """Load the Turkish and English files (default: the copy shipped in qa/data/xquad) and check they are parallel.

    Raises:
        XquadError: a file is missing or malformed, or the two languages do not align.
    """
    folder = folder or XQUAD_DIR
    files = {lang: _read_squad(folder / f"xquad.{lang}.json") for lang in LANGUAGES}
    tr, en = files["tr"], files["en"]
    if len(tr) != len(en) or any([i for i, _ in a[1]] != [i for i, _ in b[1]] for a, b in zip(tr, en, strict=False)):
        raise XquadError(
            f"xquad.tr.json and xquad.en.json in {folder} are not parallel (paragraphs or question ids differ)"
        )
    questions = tuple(
        XquadQuestion(qid, n, {"tr": tr_q, "en": en_q})
        for n, (a, b) in enumerate(zip(tr, en, strict=True))
        for (qid, tr_q), (_, en_q) in zip(a[1], b[1], strict=True)
    )
    return XquadData({lang: tuple(context for context, _ in files[lang]) for lang in LANGUAGES}, questions)


def paragraph_doc(n: int) -> str:
    return f"p{n:03d}.md"


def _document(paragraph: str) -> str:
    # One line: the Markdown cleaner would start a new block at a blank line, and a BOM
    # (present in some Turkish contexts) is not text.
    return " ".join(paragraph.replace("\ufeff", " ").split()) + "\n"


def write_corpus(paragraphs: Sequence[str], folder: Path) -> None:
    """Write one document per paragraph; unchanged files are left alone so the index stays current."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {paragraph_doc(n): _document(p) for n, p in enumerate(paragraphs)}
    for path in folder.iterdir():
        if path.is_file() and path.name not in wanted:
            path.unlink()
    for name, text in wanted.items():
        path = folder / name
        if not path.is_file() or path.read_text("utf-8") != text:
            path.write_text(text, "utf-8")


def xquad_index(
    settings: Settings,
    embedder: Embedder,
    lang: str,
    paragraphs: Sequence[str],
    *,
    show_progress: bool = False,
    on_stage: Callable[[str], None] | None = None,
) -> LoadedIndex:
    """The index of one language's paragraphs, built on first use and reused afterwards.

    Raises:
        XquadError: a paragraph did not become exactly one passage.
    """
    cache = settings.cache_dir.expanduser()
    # Each backend keeps its own XQuAD index (and Milvus collections), so switching back and forth rebuilds neither.
    suffix = "" if settings.backend == DEFAULT_BACKEND else f"-{settings.backend}"
    options = settings.backend_options()
    config = IndexConfig(
        corpus_dir=cache / f"xquad-corpus-{lang}",
        index_dir=cache / f"xquad-index-{lang}{suffix}",
        cache_dir=cache,
        model=settings.model,
        chunker=CHUNKER,
        backend=settings.backend,
        options=replace(options, milvus_prefix=f"{options.milvus_prefix}_xquad_{lang}"),
    )
    write_corpus(paragraphs, config.corpus_dir)
    index = ensure_index(config, embedder, show_progress=show_progress, on_stage=on_stage)
    per_doc: dict[str, int] = {}
    for p in index.passages:
        per_doc[p.doc] = per_doc.get(p.doc, 0) + 1
    wrong = [paragraph_doc(n) for n in range(len(paragraphs)) if per_doc.get(paragraph_doc(n)) != 1]
    if wrong:
        raise XquadError(f"XQuAD {lang} paragraphs not indexed as exactly one passage: {', '.join(wrong[:5])}")
    return index


def sample_questions(questions: Sequence[XquadQuestion], limit: int | None) -> list[XquadQuestion]:
    """All questions, or a fixed-seed random sample of ``limit`` of them in file order."""
    if limit is None or limit >= len(questions):
        return list(questions)
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    picked = set(random.Random(LIMIT_SEED).sample(range(len(questions)), limit))
    return [q for i, q in enumerate(questions) if i in picked]


@dataclass(frozen=True)
class SettingResult:
    """One retriever in one question-language/corpus-language setting."""

    summary: Summary
    rankings: dict[str, list[str]]  # question id -> ranked chunk ids
    first_relevant: dict[str, int | None]


@dataclass(frozen=True)
class XquadReport:
    questions: tuple[XquadQuestion, ...]
    relevant: dict[str, dict[str, frozenset[str]]]  # corpus language -> question id -> chunk ids
    results: dict[str, dict[str, SettingResult]]  # "<question lang>-<corpus lang>" -> retriever -> result
    timings: dict[str, float]
    config: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "benchmark": "xquad",
            "config": self.config,
            "settings": {
                name: {mode: r.summary.to_json() for mode, r in by_mode.items()}
                for name, by_mode in self.results.items()
            },
            "timings": {name: round(value, 2) for name, value in self.timings.items()},
        }


def run_xquad(
    settings: Settings,
    embedder: Embedder,
    *,
    retrievers: Sequence[RetrievalMode | str] = EVALUATION_ORDER,
    k: int = 10,
    limit: int | None = None,
    data: XquadData | None = None,
    show_progress: bool = False,
    on_stage: Callable[[str], None] | None = None,
) -> XquadReport:
    """Evaluate every retriever in the four settings tr-tr, en-en, en-tr and tr-en."""
    stage = on_stage or (lambda _message: None)
    modes = [RetrievalMode(mode) for mode in retrievers]
    started = time.perf_counter()
    data = data or load_xquad()
    questions = sample_questions(data.questions, limit)
    timings: dict[str, float] = {}
    indexes: dict[str, LoadedIndex] = {}

    def index_stage(lang: str) -> Callable[[str], None]:
        return lambda message: stage(f"{lang} index: {message}")

    for lang in LANGUAGES:
        t0 = time.perf_counter()
        stage(f"{lang} index ({len(data.paragraphs[lang])} paragraphs)")
        indexes[lang] = xquad_index(
            settings, embedder, lang, data.paragraphs[lang], show_progress=show_progress, on_stage=index_stage(lang)
        )
        timings[f"index_{lang}_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    stage(f"embedding {len(questions)} questions in {len(LANGUAGES)} languages")
    vectors: dict[str, dict[str, QueryVector]] = {}
    for lang in LANGUAGES:
        texts = {q.id: normalize_question(q.text[lang], settings.max_question_chars) for q in questions}
        by_text = embed_queries(embedder, texts.values())
        vectors[lang] = {qid: by_text[text] for qid, text in texts.items()}
    timings["embed_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    relevant: dict[str, dict[str, frozenset[str]]] = {}
    for lang, index in indexes.items():
        chunks: dict[str, set[str]] = {}
        for p in index.passages:
            chunks.setdefault(p.doc, set()).add(p.chunk_id)
        relevant[lang] = {q.id: frozenset(chunks[paragraph_doc(q.paragraph)]) for q in questions}
    results: dict[str, dict[str, SettingResult]] = {}
    for question_lang, corpus_lang in SETTINGS:
        name = f"{question_lang}-{corpus_lang}"
        stage(f"searching {name}")
        retriever = Retriever(indexes[corpus_lang], embedder, settings)
        qrels = build_qrels(relevant[corpus_lang])
        results[name] = {}
        for mode in modes:
            rankings = {
                q.id: [h.passage.chunk_id for h in retriever.search(vectors[question_lang][q.id], k, mode)]
                for q in questions
            }
            metrics = per_question_metrics(qrels, build_run(rankings))
            first = {
                qid: next((rank for rank, doc in enumerate(docs, start=1) if doc in relevant[corpus_lang][qid]), None)
                for qid, docs in rankings.items()
            }
            summary = Summary.of([metrics[q.id] for q in questions], METRICS)
            results[name][mode] = SettingResult(summary, rankings, first)
    timings["search_s"] = time.perf_counter() - t0
    timings["total_s"] = time.perf_counter() - started
    config = {
        "questions": len(questions),
        "of_questions": len(data.questions),
        "paragraphs": len(data.paragraphs["tr"]),
        "limit": limit,
        "limit_seed": LIMIT_SEED,
        "retrievers": [str(mode) for mode in modes],
        "k": k,
        "model": embedder.model_id,
        "settings": "question language-corpus language",
    }
    return XquadReport(tuple(questions), relevant, results, timings, config)


def render_xquad(report: XquadReport) -> str:
    rows = [
        [name, mode, r.summary.n, *(format_value(r.summary, m) for m in METRICS)]
        for name, by_mode in report.results.items()
        for mode, r in by_mode.items()
    ]
    c, t = report.config, report.timings
    return "\n".join([
        f"XQuAD passage retrieval: {c['questions']} of {c['of_questions']} questions, {c['paragraphs']} paragraphs "
        f"per language, k={c['k']}, model {c['model']}",
        "Setting = question language-corpus language. Metrics: mean [95% bootstrap CI].",
        "",
        format_table(["setting", "retriever", "n", *METRICS], rows),
        "",
        "Time: " + ", ".join(f"{name.removesuffix('_s')} {value:.1f} s" for name, value in t.items()),
    ]) + "\n"


def write_xquad(report: XquadReport, out: Path) -> list[Path]:
    """Write qrels per corpus language, a TREC run per setting and retriever, the CSV, JSON and chart."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for lang, relevant in report.relevant.items():
        written.append(out / f"qrels.{lang}.txt")
        write_qrels(written[-1], relevant)
    rows = []
    paragraph = {q.id: q.paragraph for q in report.questions}
    for name, by_mode in report.results.items():
        for mode, r in by_mode.items():
            written.append(out / f"run.{name}.{mode}.txt")
            write_run(written[-1], r.rankings, f"report-qa-{mode}-{name}")
            rows += [
                [name, mode, qid, paragraph[qid], "" if rank is None else rank]
                for qid, rank in r.first_relevant.items()
            ]
    write_csv(out / "questions.csv", ("setting", "retriever", "id", "paragraph", "first_relevant_rank"), rows)
    (out / "report.json").write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n", "utf-8")
    groups = {name: {mode: r.summary for mode, r in by_mode.items()} for name, by_mode in report.results.items()}
    metrics_chart(groups, f"XQuAD passage retrieval (question-corpus language, k={report.config['k']})").savefig(
        out / "metrics.png", dpi=130
    )
    written += [out / "questions.csv", out / "report.json", out / "metrics.png"]
    return written
