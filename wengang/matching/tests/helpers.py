"""Small hand-made seekers and postings: one dict per row, defaults for everything else."""

from __future__ import annotations

from typing import Any

import numpy as np

from wengang.matching.arrays import AGE_ANY_MAX, SCOPE_PROVINCE, PostingArrays, SeekerArrays, Taxonomy
from wengang.matching.scoring import KM_PER_DEG_LAT

HOME = (34.60, 112.40)
# 0 普工 and 1 搬运 are general labour (related to each other); 2 焊工 → 3 电焊工 (one way); 4 厨师 alone
TAXONOMY = Taxonomy.from_lists([[1], [0], [3], [], []], general=[0, 1])

SEEKER = dict(  # noqa: C408
    occupation=2, age=30, certificates=0, skills=0, north_km=0.0, town=0, county=0, province=0,
    scope=SCOPE_PROVINCE, destination=-1, last_income=0.0, local_wage=0.0, priority=0)  # fmt: skip
POSTING = dict(  # noqa: C408
    occupation=2, age_min=0, age_max=AGE_ANY_MAX, certificates=0, skills=0, north_km=1.0, town=0,
    county=0, province=0, city=0, wage_min=0.0, wage_max=0.0, board=0, key=False, places=5,
    is_open=True)  # fmt: skip


def _lat(km: float) -> float:
    return HOME[0] + km / KM_PER_DEG_LAT


def seekers(*rows: dict[str, Any]) -> SeekerArrays:
    full = [{**SEEKER, **r} for r in rows]
    col = {k: [r[k] for r in full] for k in SEEKER}
    d = SeekerArrays.DTYPES
    return SeekerArrays(
        **{k: np.array(col[k], d[k]) for k in d if k not in ("lat", "lon")},
        lat=np.array([_lat(r["north_km"]) for r in full], np.float32),
        lon=np.full(len(full), HOME[1], np.float32),
    )


def postings(*rows: dict[str, Any]) -> PostingArrays:
    full = [{**POSTING, **r} for r in rows]
    col = {k: [r[k] for r in full] for k in POSTING}
    d = PostingArrays.DTYPES
    return PostingArrays(
        **{k: np.array(col[k], d[k]) for k in d if k not in ("lat", "lon")},
        lat=np.array([_lat(r["north_km"]) for r in full], np.float32),
        lon=np.full(len(full), HOME[1], np.float32),
    )
