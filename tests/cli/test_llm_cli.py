"""The LLM flags of `ask`, and `report-qa llm serve` (real llama.cpp through xllamacpp)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx
import pytest
from click.testing import CliRunner
from llm_helpers import smollm2_gguf

from cli.main import cli
from qa.ports import free_port

QUESTION = "What was created by the 2009 Nakhchivan Agreement?"


@pytest.fixture(scope="module")
def env(model_cache, engine) -> dict[str, str]:
    return {"REPORT_QA_CACHE_DIR": str(model_cache), "REPORT_QA_INDEX_DIR": str(engine.settings.resolved_index_dir),
            "HF_HUB_OFFLINE": "1", "REPORT_QA_LLM_URL": None, "REPORT_QA_LLM_API_KEY": None}


def run(env, *args):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_dead_url_gives_the_extractive_answer_with_a_reason_and_exit_0(env):
    dead = f"http://127.0.0.1:{free_port()}/v1"
    result = run(env, "ask", QUESTION, "--llm", dead, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["answerer"] == "extractive" and data["model"] is None and data["dropped"] == []
    assert data["answered"] and data["citations"]
    assert data["fallback_reason"] == f"cannot reach the LLM server at {dead}: is it running?"
    assert result.stderr.count("\n") == 1 and "answering extractively" in result.stderr  # one warning line


def test_no_llm_overrides_the_environment(env):
    result = run({**env, "REPORT_QA_LLM_URL": f"http://127.0.0.1:{free_port()}/v1"}, "ask", QUESTION,
                 "--no-llm", "--json")
    assert result.exit_code == 0 and result.stderr == ""
    data = json.loads(result.stdout)
    assert (data["answerer"], data["fallback_reason"]) == ("extractive", None)


def test_llm_and_no_llm_together_is_a_user_error(env):
    result = run(env, "ask", QUESTION, "--llm", "http://127.0.0.1:1/v1", "--no-llm")
    assert result.exit_code == 2 and "--llm and --no-llm cannot be combined" in result.stderr


def test_llm_serve_without_the_extra_says_how_to_install(env, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "xllamacpp", None)  # as if the extra were not installed
    result = run(env, "llm", "serve", "--gguf", str(tmp_path / "x.gguf"))
    assert result.exit_code == 2
    assert "pip install 'report-qa[llm]'" in result.stderr and "Traceback" not in result.output


def test_llm_serve_refuses_a_file_that_is_not_gguf(env, tmp_path):
    bad = tmp_path / "model.gguf"
    bad.write_text("not a model")
    result = run(env, "llm", "serve", "--gguf", str(bad))
    assert result.exit_code == 2 and "is not a GGUF model file" in result.stderr


def test_llm_serve_runs_llama_cpp_on_loopback():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "qa", "llm", "serve", "--gguf", str(smollm2_gguf()),
                             "--port", str(port), "--threads", "1", "--context", "1024"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={**os.environ}, text=True)
    try:
        deadline = time.monotonic() + 120
        models = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2)
            except httpx.HTTPError:
                response = None
            if response is not None and response.status_code == 200:  # 503 while the model loads
                models = response.json()
                break
            time.sleep(0.5)
        assert models is not None, "llama.cpp did not come up"
        assert models["data"][0]["id"].endswith("SmolLM2-135M-Instruct.Q4_1.gguf")
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/v1" in out
