"""Job matching (人岗精准对接): the pure engine — arrays of seekers and postings in, ranked lists out.

No Django here: :mod:`.arrays` (inputs), :mod:`.weights` (settings), :mod:`.engine` (the API),
:mod:`.reasons` (Chinese reasons), :mod:`.synthetic` (test and benchmark data). Numba caches compiled
kernels in ``NUMBA_CACHE_DIR``; unless the environment sets it, that is ``var/numba-cache`` in the project
(set before numba is first imported).
"""

from __future__ import annotations

import os
from pathlib import Path

if "NUMBA_CACHE_DIR" not in os.environ:
    _var = Path(__file__).resolve().parents[2] / "var"
    if os.access(_var if _var.exists() else _var.parent, os.W_OK):
        os.environ["NUMBA_CACHE_DIR"] = str(_var / "numba-cache")
