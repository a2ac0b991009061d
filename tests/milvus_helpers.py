"""A real ``milvus-lite server`` on a free loopback port, for tests of the network client path.

The same helper the bench uses (``qa.bench.milvus_server``), so both exercise one code path;
ports come from ``qa.ports``.
"""

from qa.bench.milvus_server import lite_server as milvus_lite_server
from qa.ports import free_port

__all__ = ["free_port", "milvus_lite_server"]
