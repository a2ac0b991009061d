"""Settings of the milvus backend (issue 14): names, defaults, validation, and the token kept secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from qa.settings import Settings

TOKEN = "root:never-show-me"


def test_faiss_is_the_default_and_milvus_defaults_to_a_lite_file(tmp_path: Path) -> None:
    settings = Settings(cache_dir=tmp_path)
    assert settings.backend == "faiss" and settings.index_config().backend == "faiss"
    assert settings.backend_options().milvus_uri == str(tmp_path / "milvus.db")
    assert settings.index_config().location == str(settings.resolved_index_dir)


def test_environment_selects_milvus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORT_QA_BACKEND", "milvus")
    monkeypatch.setenv("REPORT_QA_MILVUS_URI", "http://admin:pw@milvus.example:19530")
    monkeypatch.setenv("REPORT_QA_MILVUS_TOKEN", TOKEN)
    monkeypatch.setenv("REPORT_QA_MILVUS_PREFIX", "kurum_a")
    settings = Settings(cache_dir=tmp_path)
    config = settings.index_config()
    assert config.backend == "milvus"
    assert config.options.milvus_token == TOKEN and config.options.milvus_prefix == "kurum_a"
    assert config.location == "http://milvus.example:19530"
    for shown in (repr(settings), str(settings.model_dump()), repr(config)):
        assert TOKEN not in shown


@pytest.mark.parametrize(("field", "value"), [("backend", "elastic"), ("milvus_prefix", "9bad-name")])
def test_bad_values_are_refused(tmp_path: Path, field: str, value: str) -> None:
    with pytest.raises(ValidationError, match=field):
        Settings(cache_dir=tmp_path, **{field: value})
