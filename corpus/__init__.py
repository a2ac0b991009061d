"""Documents, cleaning and chunking: the first stage of report-qa (corpus → index → qa → ui)."""

from corpus.chunking import ChunkerConfig, chunk_document
from corpus.cleaning import clean_text
from corpus.loader import CorpusError, LoadResult, default_corpus_dir, load_corpus
from corpus.models import Block, CleanDocument, Passage, Sentence

__all__ = [
    "Block",
    "ChunkerConfig",
    "CleanDocument",
    "CorpusError",
    "LoadResult",
    "Passage",
    "Sentence",
    "chunk_document",
    "clean_text",
    "default_corpus_dir",
    "load_corpus",
]
