"""Milvus targets for the backend tests: an embedded Milvus Lite file and a loopback server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from milvus_helpers import milvus_lite_server


@pytest.fixture(scope="session")
def milvus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URI of a real ``milvus-lite server`` on 127.0.0.1 (the client path used against a cluster)."""
    with milvus_lite_server(tmp_path_factory.mktemp("milvus-server") / "data") as uri:
        yield uri
