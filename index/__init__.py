"""Embedding, FAISS and BM25 indexes, and the on-disk index with its manifest."""
