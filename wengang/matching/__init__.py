"""Job matching (人岗精准对接): the pure engine — arrays of seekers and postings in, ranked lists out.

No Django here: :mod:`.arrays` (inputs), :mod:`.weights` (settings), :mod:`.engine` (the API),
:mod:`.reasons` (Chinese reasons), :mod:`.synthetic` (test and benchmark data). Numba caches compiled
kernels in ``NUMBA_CACHE_DIR`` (``var/numba-cache`` in the project unless the environment names another
directory), in a subdirectory named after a hash of this package's source: numba checks only the file of
the function it loads, so a kernel that inlines a helper from another module (``scoring.ramp`` into
``reverse._scan``, …) would otherwise keep running the old helper after an upgrade. Set before numba is
first imported.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def source_key(root: Path = _HERE) -> str:
    """A short hash of every ``.py`` file of the package (names and contents, tests excluded)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*.py") if "tests" not in p.relative_to(root).parts):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _cache_dir() -> str | None:
    base = os.environ.get("NUMBA_CACHE_DIR")
    if base is None:
        var = _HERE.parents[1] / "var"
        if not os.access(var if var.exists() else var.parent, os.W_OK):
            return None
        base = str(var / "numba-cache")
    if Path(base).name.startswith("src-"):  # already keyed (a child process inherits the environment)
        return base
    return str(Path(base) / f"src-{source_key()}")


_dir = _cache_dir()
if _dir is not None:
    os.environ["NUMBA_CACHE_DIR"] = _dir
