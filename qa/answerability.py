"""Does the best sentence carry what the question asks for? Named features and a small logistic model.

Similarity alone separates off-topic questions from on-topic ones, but not "the report answers
this" from "the report mentions these things but not the detail asked" (a near-miss question:
"In what year was the BRUSA Agreement signed?"). The features below say what is missing:

* ``similarity``: the best sentence's cosine similarity to the question;
* ``type_missing``: the question expects a date, number, person, named body, place or list of
  names (``when``/``ne zaman``, ``how many``/``kaç``, ``who``/``kim``, ``which agency``/``hangi
  kurum``, ``where``/``nerede``, ``which countries``/``hangi ülkeler``) and the best sentence has
  none that the question does not already name;
* ``terms_missing``: share of the question's specific terms (words found in at most
  ``SPECIFIC_DF`` passages, and numbers) that the quoted sentences do not contain;
* ``number_missing``: the question names a number (a year) that the best sentence does not;
* ``yes_no``: a yes/no question ("Is Hungary a member …?", "… üyesi mi?"), which a quote rarely settles;
* ``english``: the question is not Turkish (cross-lingual similarities run lower);
* ``place_conflict``: the best sentence names another country or city and not every one the
  question names (``qa.places``).
* ``clause_gap``: for a best sentence that holds the answer type asked for, how much less like
  the question its clauses holding that answer are than the whole sentence (``qa.signals.clauses``):
  a year or a name in a clause about something else.

:class:`AnswerabilityModel` is a logistic regression on these features, fitted by
``report-qa calibrate`` on the tune split and shipped as JSON (``qa/data/answerability.json``):
named weights, so anyone can read which signal pushes towards declining. The feature set and
the regularisation were chosen by grouped 5-fold cross-validation inside the tune split
(``docs/notes/issue-11-answerability.md``): the centroid similarity and the margin to another
passage's best sentence did not help there and were dropped.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Container, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from index.analysis import STOPWORDS, WORD_RE, analyze, strip_apostrophe_suffix, turkish_casefold
from qa.answer import MARKUP_RE

FEATURES = (
    "similarity", "type_missing", "terms_missing", "number_missing", "yes_no", "english", "place_conflict",
    "clause_gap",
)

@dataclass(frozen=True)
class Features:
    """The named signals of one question and its best sentences (see the module docstring)."""

    similarity: float
    type_missing: float
    terms_missing: float
    number_missing: float
    yes_no: float
    english: float
    place_conflict: float
    clause_gap: float

    def vector(self) -> np.ndarray:
        return np.array([getattr(self, name) for name in FEATURES], dtype=np.float64)


@dataclass(frozen=True)
class AnswerabilityModel:
    """A logistic regression on standardised :data:`FEATURES`; declines below ``threshold``."""

    weights: dict[str, float]
    bias: float
    mean: dict[str, float]
    scale: dict[str, float]
    threshold: float
    # Per language ("tr", "en"): the off-topic score adds this × (similarity to the report −
    # similarity to everyday questions).
    generic_weight: dict[str, float] = field(default_factory=dict)

    def generic(self, language: str) -> float:
        """The generic weight for a question detected as ``language`` (non-Turkish counts as ``en``)."""
        return self.generic_weight.get("tr" if language == "tr" else "en", 0.0)

    def probability(self, features: Features) -> float:
        """The model's probability that the report answers the question."""
        z = self.bias + sum(
            self.weights[name] * (getattr(features, name) - self.mean[name]) / self.scale[name] for name in FEATURES
        )
        return 1.0 / (1.0 + math.exp(-z))

    def answers(self, features: Features) -> bool:
        """Whether to answer; a threshold of 0 answers everything (the model is not consulted)."""
        return self.threshold <= 0 or self.probability(features) >= self.threshold

    def to_json(self) -> dict[str, object]:
        return {"features": list(FEATURES), **asdict(self)}

    @classmethod
    def load(cls, path: Path) -> AnswerabilityModel:
        """Read a model written by :meth:`save`.

        Raises:
            ValueError: the file is not such a model (its message names the file).
        """
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("features") != list(FEATURES):
                raise ValueError(f"features {data.get('features')} differ from {list(FEATURES)}")
            return cls(
                weights={k: float(data["weights"][k]) for k in FEATURES},
                bias=float(data["bias"]),
                mean={k: float(data["mean"][k]) for k in FEATURES},
                scale={k: float(data["scale"][k]) for k in FEATURES},
                threshold=float(data["threshold"]),
                generic_weight={k: float(v) for k, v in data["generic_weight"].items()},
            )
        except (OSError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"{path}: not an answerability model ({exc})") from exc

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")


def default_model_path() -> Path:
    """The model shipped with the project, fitted on the dev tune split."""
    return Path(__file__).resolve().parent / "data" / "answerability.json"


def generic_questions() -> list[str]:
    """Everyday questions (``qa/data/generic_questions.txt``): what "not about the report" sounds like."""
    path = Path(__file__).resolve().parent / "data" / "generic_questions.txt"
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


# Question and function words of English and Turkish, beyond the BM25 stopword lists (which
# lack "how", "many", "kaç"): a question in either language has at least one.
FUNCTION_WORDS = frozenset(
    [
        "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "many", "much", "does", "do", "did",
        "is", "are", "was", "were", "can", "could", "should", "would", "will", "has", "have", "had", "you", "we", "he",
        "she", "they", "it", "my", "your", "our", "their", "me", "us", "them", "there", "here", "about", "from", "with",
        "without", "ne", "neden", "niçin", "nasıl", "kim", "kime", "kimi", "hangi", "hangisi", "kaç", "nerede",
        "nereye", "nereden", "mi", "mı", "mu", "mü", "midir", "mıdır", "bir", "ve", "ile", "için", "bu", "şu", "da",
        "de", "ki", "ama", "veya", "gibi", "daha", "en", "çok", "az", "var", "yok", "nedir", "nelerdir", "neler",
    ]
)


def knows_a_word(text: str, vocabulary: Container[str]) -> bool:
    """Whether ``text`` has a word of the report (after analysis) or a Turkish/English function word.

    Text with neither ("lorem ipsum dolor", "merhaba") is not a question about the report.
    """
    plain = turkish_casefold(MARKUP_RE.sub(" ", _SCRIPT_RE.sub(" ", text)))
    raw = {strip_apostrophe_suffix(t) for t in WORD_RE.findall(plain)}
    return bool(raw & (STOPWORDS | FUNCTION_WORDS)) or any(t in vocabulary for t in analyze(plain))


def fit(
    features: Sequence[Features], labels: Sequence[bool], *, l2: float = 0.01, steps: int = 5000, rate: float = 0.1
) -> AnswerabilityModel:
    """Fit the logistic regression by gradient descent (deterministic), with threshold 0.5.

    Raises:
        ValueError: fewer than two samples, or only one class.
    """
    if len(features) < 2 or len(set(labels)) < 2:
        raise ValueError("fitting needs answerable and unanswerable questions")
    x = np.stack([f.vector() for f in features])
    y = np.array(labels, dtype=np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    xs = (x - mean) / scale
    w = np.zeros(xs.shape[1])
    b = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(xs @ w + b)))
        w -= rate * (xs.T @ (p - y) / len(y) + l2 * w)
        b -= rate * float(np.mean(p - y))
    return AnswerabilityModel(
        weights={n: round(float(v), 4) for n, v in zip(FEATURES, w, strict=True)},
        bias=round(b, 4),
        mean={n: round(float(v), 4) for n, v in zip(FEATURES, mean, strict=True)},
        scale={n: round(float(v), 4) for n, v in zip(FEATURES, scale, strict=True)},
        threshold=0.5,
    )


# Keyboard rows (US and Turkish Q layouts): four or more adjacent keys typed in a row are a mash.
_KEYBOARD_ROWS = ("qwertyuiopğü", "asdfghjklşi", "zxcvbnmöç", "1234567890")
_SCRIPT_RE = re.compile(r"<(script|style)\b.*?(</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_VOWELS = frozenset("aeıioöuüâîû")


def _mashed(word: str) -> bool:
    """A keyboard run ("asdf", "jklş") or a long vowel-less string ("xkcd", "sdfg")."""
    if len(word) >= 4 and any(word[i : i + 4] in row for row in _KEYBOARD_ROWS for i in range(len(word) - 3)):
        return True
    return len(word) >= 4 and not (set(word) & _VOWELS)


def is_junk(text: str) -> bool:
    """Markup with a word or two, random characters or a keyboard mash: no question to answer.

    Script and style elements are dropped with their content, other tags without it; what is
    left must hold a word of three or more letters, and at most half of its words may be mashed.
    """
    plain = MARKUP_RE.sub(" ", _SCRIPT_RE.sub(" ", text))
    words = [turkish_casefold(w) for w in re.findall(r"[^\W\d_]+", plain)]
    real = [w for w in words if len(w) >= 3]
    if not real:
        return True
    return sum(_mashed(w) for w in real) * 2 > len(real)
