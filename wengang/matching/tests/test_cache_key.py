"""The kernels' cache directory is keyed by the package's source (numba checks only the loaded function's
own file, so a kernel inlining a changed helper from another module would run stale machine code)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import wengang.matching as matching


def test_the_cache_directory_is_keyed_by_the_source():
    cache = Path(os.environ["NUMBA_CACHE_DIR"])
    assert cache.name == f"src-{matching.source_key()}"


def test_the_key_changes_with_any_helper_and_ignores_tests(tmp_path):
    pkg = tmp_path / "matching"
    shutil.copytree(Path(matching.__file__).parent, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    before = matching.source_key(pkg)
    assert before == matching.source_key(Path(matching.__file__).parent)
    (pkg / "tests" / "test_engine.py").write_text("# a test changed\n")
    assert matching.source_key(pkg) == before
    scoring = pkg / "scoring.py"
    scoring.write_text(scoring.read_text().replace("return max(0.0, min(1.0, x))", "return min(1.0, x)"))
    assert matching.source_key(pkg) != before
    (pkg / "scoring.py").rename(pkg / "scoring2.py")
    assert matching.source_key(pkg) != before
