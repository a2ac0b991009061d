"""A real ``milvus-lite server`` on a free loopback port, for tests of the network client path.

The same helper the bench uses (``qa.bench.milvus_server``), so both exercise one code path.
"""

from qa.bench.milvus_server import free_port
from qa.bench.milvus_server import lite_server as milvus_lite_server

__all__ = ["free_port", "milvus_lite_server"]
