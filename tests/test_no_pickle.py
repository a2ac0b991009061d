"""Nothing the package reads from disk is deserialised unsafely, and no text is ever executed.

Scans the sources of corpus/, index/, qa/ and ui/ with ``ast`` (comments and strings do not count).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("corpus", "index", "qa", "ui")
# Modules whose loading runs code stored in the data.
UNSAFE_MODULES = {"pickle", "cPickle", "_pickle", "joblib", "dill", "shelve", "cloudpickle", "marshal", "pickletools"}
# Calls that unpickle whatever the file says, by name of the called attribute.
UNSAFE_ATTRIBUTES = {"read_pickle", "unsafe_load", "full_load"}


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_true(node: ast.expr | None) -> bool:
    """Anything but a literal False/None counts as true: a variable could be True."""
    return node is not None and not (isinstance(node, ast.Constant) and node.value in (False, None))


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Name):
        return node.id
    return "?"


def unsafe_uses(source: str, filename: str = "<source>") -> list[str]:
    """Every unsafe import or call in ``source``, as 'file:line: what'."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        where = f"{filename}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            found += [f"{where}: import {a.name}" for a in node.names if a.name.split(".")[0] in UNSAFE_MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in UNSAFE_MODULES:
            found.append(f"{where}: from {node.module} import …")
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            last = name.rsplit(".", 1)[-1]
            if name.endswith("torch.load"):
                weights_only = _keyword(node, "weights_only")
                if not (isinstance(weights_only, ast.Constant) and weights_only.value is True):
                    found.append(f"{where}: {name}() without weights_only=True")
            if last in {"load", "loads", "fromfile"} and _is_true(_keyword(node, "allow_pickle")):
                found.append(f"{where}: {name}(allow_pickle=…)")
            if last in UNSAFE_ATTRIBUTES:
                found.append(f"{where}: {name}()")
            if name.endswith("yaml.load") and _keyword(node, "Loader") is None:
                found.append(f"{where}: yaml.load() without a safe Loader")
            if name in {"eval", "exec", "compile", "__import__"}:
                found.append(f"{where}: {name}()")
            if _is_true(_keyword(node, "trust_remote_code")):
                found.append(f"{where}: {name}(trust_remote_code=…) runs code from the model folder")
    return found


def _sources() -> list[Path]:
    files = sorted(p for package in PACKAGES for p in (REPO / package).rglob("*.py"))
    assert len(files) > 10, files
    return files


def test_no_unsafe_deserialisation_or_execution_in_the_package():
    problems = [hit for path in _sources()
                for hit in unsafe_uses(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))]
    assert not problems, "unsafe loading or execution:\n" + "\n".join(problems)


@pytest.mark.parametrize("snippet", [
    "import pickle",
    "import joblib as jl",
    "from dill import loads",
    "import shelve",
    "from cloudpickle import load",
    "import marshal",
    "import torch\ntorch.load('m.pt')",
    "import torch\ntorch.load('m.pt', weights_only=False)",
    "import numpy as np\nnp.load('a.npy', allow_pickle=True)",
    "import numpy\nflag = True\nnumpy.load('a.npy', allow_pickle=flag)",
    "import pandas as pd\npd.read_pickle('x')",
    "import yaml\nyaml.load(open('x'))",
    "eval(question)",
    "exec(document_text)",
    "from sentence_transformers import SentenceTransformer\nSentenceTransformer('m', trust_remote_code=True)",
])
def test_the_scanner_finds_unsafe_code(snippet):
    assert unsafe_uses(snippet)


@pytest.mark.parametrize("snippet", [
    "import numpy as np\nnp.load('a.npy', allow_pickle=False)",
    "import numpy as np\nnp.load('a.npy')",
    "import torch\ntorch.load('m.pt', weights_only=True)",
    "import json\njson.loads('{}')",
    "import faiss\nfaiss.read_index('x.faiss')",
    "import yaml\nyaml.load(open('x'), Loader=yaml.SafeLoader)",
    "text = 'import pickle'  # a string is not an import",
    "model.eval()",
])
def test_the_scanner_accepts_safe_code(snippet):
    assert not unsafe_uses(snippet)
