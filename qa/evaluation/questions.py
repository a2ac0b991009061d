"""The question-file format: one JSON object per line, validated line by line.

Every reader of question files (``report-qa eval``, ``calibrate`` and ``bench``) goes through
:func:`load_questions`, so a broken file always ends in one :class:`QuestionFileError` whose
message names the file, the line and the question.

A line holds ``id`` (no spaces), ``lang`` (``tr`` or ``en``), ``question``, ``evidence`` (spans
of the report's text; empty for an unanswerable question), ``answerable``, and optionally
``kind``, ``pair`` (the id of the same question in the other language) and ``answer`` (a
reference answer in the question's language, for judging generated answers).
"""

from __future__ import annotations

import codecs
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from corpus.errors import ReportQAError
from qa.answer import QuestionError, normalize_question

LANGUAGES = ("tr", "en")
UNSPECIFIED_KIND = "unspecified"
# Dev questions are split in two: weights and thresholds are fitted on ``tune`` only, and
# the figures the README reports come from ``test``. ``all`` is both.
SPLITS = ("tune", "test")
ALL_SPLITS = "all"

_FIELDS = ("id", "lang", "question", "evidence", "answerable", "kind", "pair", "answer", "split")
_REQUIRED = ("id", "lang", "question", "evidence", "answerable")
_JSON_TYPES = {str: "a string", bool: "a boolean", int: "a number", float: "a number",
               list: "an array", dict: "an object", type(None): "null"}


def default_questions_path() -> Path:
    """The dev questions shipped with the project (``qa/data/dev_questions.jsonl``)."""
    return Path(__file__).resolve().parent.parent / "data" / "dev_questions.jsonl"


def sanity_questions_path() -> Path:
    """Plain factual questions the report answers in one sentence (``qa/data/sanity_questions.jsonl``).

    Not a dev file: in neither split, never tuned on. A check that a change which declines more
    near-miss questions does not also decline the obvious ones ("When was X founded?").
    """
    return default_questions_path().parent / "sanity_questions.jsonl"


def dev_question_paths() -> tuple[Path, ...]:
    """Every shipped dev question file: the first set, the second (written for issue 11), the
    third (written blind, to make both splits big enough to rank changes) and the fourth (tr/en
    pairs written blind, all in ``tune``: more English questions to fit on, the test split unchanged)."""
    data = default_questions_path().parent
    names = ("dev_questions.jsonl", "dev_questions_2.jsonl", "dev_questions_3.jsonl", "dev_questions_4.jsonl")
    return tuple(data / name for name in names)


class QuestionFileError(ReportQAError, ValueError):
    """A question file cannot be used. ``problems`` lists every problem, each naming its line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        more = len(self.problems) - 1
        super().__init__(self.problems[0] + (f" (and {more} more problem{'s' * (more > 1)})" if more else ""))


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
    answer: str | None = None  # issue 10: a reference answer (optional)
    fixed_split: str | None = None  # the file's ``split`` field: overrides the hash


    @property
    def group(self) -> str:
        """The kind, or ``unspecified``: what per-kind summaries group by."""
        return self.kind or UNSPECIFIED_KIND

    @property
    def split(self) -> str:
        """``tune`` or ``test``: the file's ``split`` field, else fixed by a hash of the id.

        The pair's smaller id is hashed (SHA-1, stable across runs and machines, unlike
        ``hash``), so both sides of a pair land in the same split. A file sets ``split`` for
        questions written for one side only, such as tune questions added after the test
        figures were reported.
        """
        if self.fixed_split:
            return self.fixed_split
        key = min(self.id, self.pair) if self.pair else self.id
        return SPLITS[int(hashlib.sha1(key.encode("utf-8")).hexdigest(), 16) % len(SPLITS)]


def _type_name(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


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
    for name in ("kind", "pair", "answer"):
        value = item.get(name)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ValueError(f"{where}field {name!r} must be a non-empty string or null")
        optional[name] = value.strip() if value else None
    split = item.get("split")
    if split is not None and split not in SPLITS:
        raise ValueError(f"{where}field 'split' must be one of {', '.join(SPLITS)} or null, got {json.dumps(split)}")
    return Question(qid, lang, question, tuple(evidence), answerable, optional["kind"], optional["pair"],
                    answer=optional["answer"], fixed_split=split)


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
        elif other.fixed_split != q.fixed_split:
            problems.append(f"{where} disagrees on 'split'")
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
    """Read and validate a question file; messages name it ``source`` (default: the path).

    Raises:
        QuestionFileError: the file cannot be read, or see :func:`parse_questions`.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise QuestionFileError([f"cannot read question file {path}: {exc.strerror or exc}"]) from exc
    return parse_questions(data, source or str(path))


def load_question_files(paths: Sequence[Path]) -> list[Question]:
    """Read and validate several question files as one set (ids unique and pairs resolved across files).

    Raises:
        QuestionFileError: every problem of every file, each naming its file and line.
    """
    questions: list[Question] = []
    problems: list[str] = []
    for path in paths:
        try:
            questions += load_questions(path)
        except QuestionFileError as exc:
            problems += exc.problems
    if problems:
        raise QuestionFileError(problems)
    seen: set[str] = set()
    for q in questions:
        if q.id in seen:
            problems.append(f"question {q.id}: duplicate id across the question files")
        seen.add(q.id)
    problems += _pair_problems(questions, "+".join(str(p) for p in paths))
    if problems:
        raise QuestionFileError(problems)
    return questions


def select_split(questions: Iterable[Question], split: str) -> list[Question]:
    """The questions of ``split`` (``tune``, ``test`` or ``all``).

    Raises:
        ValueError: an unknown split name.
    """
    if split == ALL_SPLITS:
        return list(questions)
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r} (expected one of {', '.join((*SPLITS, ALL_SPLITS))})")
    return [q for q in questions if q.split == split]


def question_text(question: Question, source: str, max_question_chars: int) -> str:
    """The question's text as the engine cleans it (``normalize_question``): what is searched and answered.

    Raises:
        QuestionFileError: the engine would refuse the question; the message names the line and id.
    """
    try:
        return normalize_question(question.question, max_question_chars)
    except QuestionError as exc:
        raise QuestionFileError([f"{source}:{question.line}: question {question.id}: {exc}"]) from exc


def question_texts(questions: Iterable[Question], source: str, max_question_chars: int) -> dict[str, str]:
    """:func:`question_text` of every question, by id.

    Raises:
        QuestionFileError: every question the engine would refuse.
    """
    texts: dict[str, str] = {}
    problems: list[str] = []
    for q in questions:
        try:
            texts[q.id] = question_text(q, source, max_question_chars)
        except QuestionFileError as exc:
            problems += exc.problems
    if problems:
        raise QuestionFileError(problems)
    return texts


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
