"""The whole LLM path against a REAL llama.cpp server (xllamacpp running SmolLM2-135M-Instruct).

Request, streaming, validation and the ``ask --json`` output. SmolLM2's answers are poor: most
sentences are dropped and many questions declined, which is what validation must withstand. The
checks are independent of that: whatever is kept must pass validation again, and every ``[n]``
must resolve to a citation of a passage that was given.
"""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from cli.main import cli
from qa import strings
from qa.llm import figures
from qa.llm.validate import cited_numbers, claim_text, split_sentences

QUESTION = "When did security cooperation between the Turkic states begin?"


def test_ask_json_through_a_real_llama_server(llama_settings, model_cache, engine, tmp_path):
    env = {"REPORT_QA_CACHE_DIR": str(model_cache), "REPORT_QA_INDEX_DIR": str(engine.settings.resolved_index_dir),
           "HF_HUB_OFFLINE": "1", "REPORT_QA_LLM_PASSAGES": str(llama_settings["llm_passages"]),
           "REPORT_QA_LLM_MAX_TOKENS": str(llama_settings["llm_max_tokens"]),
           "REPORT_QA_LLM_READ_TIMEOUT": str(llama_settings["llm_read_timeout"]),
           "REPORT_QA_LLM_TOTAL_TIMEOUT": str(llama_settings["llm_total_timeout"])}
    result = CliRunner().invoke(cli, ["ask", QUESTION, "--llm", llama_settings["llm_url"], "--json"], env=env,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["answerer"] == "llm" and data["fallback_reason"] is None
    assert data["model"] and data["model"].endswith(".gguf")
    assert all(set(d) == {"sentence", "reason"} and d["reason"] for d in data["dropped"])
    if not data["answered"]:
        assert data["answer"] == strings.CANNOT_ANSWER["en"] and data["citations"] == []
        return
    numbers = sorted({int(n) for n in re.findall(r"\[(\d+)\]", data["answer"])})
    assert numbers == [c["n"] for c in data["citations"]] == list(range(1, len(data["citations"]) + 1))
    given = {p["chunk_id"] for p in data["passages"]}
    by_n = {c["n"]: c for c in data["citations"]}
    rows = {p.chunk_id: row for row, p in enumerate(engine.retriever.backend.passages)}
    for sentence in split_sentences(data["answer"]):
        claim = claim_text(sentence)
        cited = [by_n[n] for n in cited_numbers(sentence)]
        assert cited and all(c["chunk_id"] in given for c in cited)
        assert figures.missing(claim, "\n".join(c["text"] for c in cited)) == []
        vector = engine.retriever.embed(claim).vector
        best = 0.0
        for c in cited:  # the quoted sentence's own indexed vector, as validation compared it
            passage = engine.retriever.backend.passages[rows[c["chunk_id"]]]
            index = [s.start - passage.start for s in passage.sentences].index(c["quote_start"])
            best = max(best, float(engine.retriever.sentence_vectors(rows[c["chunk_id"]])[index] @ vector))
        assert best >= engine.settings.llm_support_threshold - 1e-4  # batch vs single embedding rounding


def test_tokens_stream_from_the_real_server(llm_engine, llama_settings):
    engine = llm_engine(**llama_settings)
    pieces: list[str] = []
    request = engine.prepare("2009 Nahçıvan Anlaşması ile ne kuruldu?")
    completion = engine.answerer.generate(request, on_token=pieces.append)
    assert len(pieces) > 1 and "".join(pieces) == completion.text
    assert completion.first_token_s is not None and completion.first_token_s <= completion.total_s
    assert completion.finish_reason in ("stop", "length")
