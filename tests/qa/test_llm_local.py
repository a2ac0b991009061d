"""The local llama.cpp server's defaults (the server itself runs in tests/cli/test_llm_cli.py and test_llm_real.py)."""

from __future__ import annotations

import pytest

from qa.llm.local import MAX_DEFAULT_THREADS, default_threads


@pytest.mark.parametrize(("cores", "threads"), [(1, 1), (2, 1), (3, 2), (5, 4), (64, MAX_DEFAULT_THREADS)])
def test_llama_cpp_leaves_a_core_for_report_qa_itself(cores: int, threads: int) -> None:
    assert default_threads(cores) == threads


def test_without_a_core_count_it_asks_the_machine() -> None:
    assert 1 <= default_threads() <= MAX_DEFAULT_THREADS
