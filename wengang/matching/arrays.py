"""Typed containers of NumPy arrays: the engine's whole input (no Django, no ORM objects).

The integration (a Django match run) fills these from the registry and the postings table; tests and the
benchmark fill them from :mod:`wengang.matching.synthetic`. Conventions:

- occupations are indices ``0 .. n_occupations-1`` into the :class:`Taxonomy`; ``-1`` = not stated;
- certificates and skills are ``uint64`` bitmasks over a vocabulary (the integration maps names to bits, the
  64 most frequent first; rarer names are dropped, which only loosens the certificate filter);
- areas are integer ids: ``town`` (township), ``county``, ``province`` and, for postings, ``city``; a
  township lies in one county, province and city (``validate`` checks it for postings);
- coordinates are float32 degrees (a village's centroid, its township's when the village is unknown);
  distances use an equirectangular approximation in km (good to < 1 % within a province);
- money is monthly yuan (float32, 0 = unknown).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

# Where a seeker accepts to work (their intent).
SCOPE_LOCAL = 0  # within ``Weights.local_km`` of home (就近)
SCOPE_COUNTY = 1  # in the home county
SCOPE_PROVINCE = 2  # in the home province
SCOPE_OUT = 3  # the home province, or out of province: only ``destination`` (a city id), anywhere if -1
SCOPE_NAMES = {SCOPE_LOCAL: "local", SCOPE_COUNTY: "county", SCOPE_PROVINCE: "province", SCOPE_OUT: "out"}

# Board bits of a posting.
BOARD_MEALS = 1
BOARD_LODGING = 2

# Priority bits of a seeker (any bit set earns the priority boost).
PRIORITY_UNSTABLE = 1  # 脱贫不稳定户
PRIORITY_EDGE = 2  # 边缘易致贫户
PRIORITY_HARDSHIP = 4  # 突发严重困难户
PRIORITY_THREE_WITHOUT = 8  # 三无人员
PRIORITY_STAFF = 16  # added by staff with a reason

AGE_ANY_MAX = 200  # posting.age_max meaning "no upper limit"


def _check(cond: bool, what: str) -> None:
    if not cond:
        raise ValueError(what)


def _check_columns(obj: object, dtypes: dict[str, Any]) -> int:
    n = -1
    for f in fields(obj):  # type: ignore[arg-type]
        arr = getattr(obj, f.name)
        _check(isinstance(arr, np.ndarray) and arr.ndim == 1, f"{f.name}: expected a 1-d array")
        want = np.dtype(dtypes[f.name])
        _check(arr.dtype == want, f"{f.name}: dtype {arr.dtype}, expected {want}")
        _check(n < 0 or len(arr) == n, f"{f.name}: length {len(arr)}, expected {n}")
        n = len(arr)
    return n


@dataclass
class SeekerArrays:
    """One row per job seeker (index = the seeker's position; the integration keeps the person ids)."""

    occupation: np.ndarray  # int32, -1 = none stated (matches general-labour postings)
    age: np.ndarray  # int16 years
    certificates: np.ndarray  # uint64 bitmask of certificates held
    skills: np.ndarray  # uint64 bitmask of skills
    lat: np.ndarray  # float32 degrees, home village (or township) centroid
    lon: np.ndarray  # float32
    town: np.ndarray  # int32 home township id (groups seekers for the search order)
    county: np.ndarray  # int32
    province: np.ndarray  # int32
    scope: np.ndarray  # int8 SCOPE_*
    destination: np.ndarray  # int32 city id for SCOPE_OUT, -1 = anywhere / not applicable
    last_income: np.ndarray  # float32 monthly yuan, 0 = unknown
    local_wage: np.ndarray  # float32 the local average monthly wage of the home county
    priority: np.ndarray  # uint8 PRIORITY_* bits

    DTYPES = {
        "occupation": np.int32, "age": np.int16, "certificates": np.uint64, "skills": np.uint64,
        "lat": np.float32, "lon": np.float32, "town": np.int32, "county": np.int32, "province": np.int32,
        "scope": np.int8, "destination": np.int32, "last_income": np.float32, "local_wage": np.float32,
        "priority": np.uint8,
    }  # fmt: skip

    def __len__(self) -> int:
        return len(self.occupation)

    def validate(self, taxonomy: Taxonomy) -> None:
        """Raise ``ValueError`` naming the first column that is malformed."""
        _check_columns(self, self.DTYPES)
        if len(self):
            _check(int(self.occupation.min()) >= -1, "occupation: below -1")
            _check(int(self.occupation.max()) < taxonomy.n_occupations, "occupation: outside the taxonomy")
            scopes_ok = int(self.scope.min()) >= SCOPE_LOCAL and int(self.scope.max()) <= SCOPE_OUT
            _check(scopes_ok, "scope: unknown")
            _check(int(self.town.min()) >= 0, "town: negative")
            _check(bool(np.isfinite(self.lat).all() and np.isfinite(self.lon).all()), "lat/lon: not finite")
            _check(bool((np.abs(self.lat) < 80).all()), "lat: outside ±80°")
            _check(bool((self.last_income >= 0).all() and (self.local_wage >= 0).all()), "income: negative")

    def take(self, index: np.ndarray) -> SeekerArrays:
        """The seekers at ``index`` (a shard, a sample)."""
        return SeekerArrays(*(getattr(self, f.name)[index] for f in fields(self)))


@dataclass
class PostingArrays:
    """One row per posting (index = the posting's position)."""

    occupation: np.ndarray  # int32
    age_min: np.ndarray  # int16, 0 = none
    age_max: np.ndarray  # int16, AGE_ANY_MAX = none
    certificates: np.ndarray  # uint64 bitmask of certificates required (all of them)
    skills: np.ndarray  # uint64 bitmask of skills wanted (overlap scores)
    lat: np.ndarray  # float32 degrees, the work place
    lon: np.ndarray  # float32
    town: np.ndarray  # int32 township id of the work place (partner cities: one pseudo-township each)
    county: np.ndarray  # int32
    province: np.ndarray  # int32
    city: np.ndarray  # int32
    wage_min: np.ndarray  # float32 monthly yuan, 0 = unknown
    wage_max: np.ndarray  # float32, 0 = same as wage_min
    board: np.ndarray  # uint8 BOARD_* bits
    key: np.ndarray  # bool, a key enterprise (重点企业)
    places: np.ndarray  # int32 open places (headcount - filled)
    is_open: np.ndarray  # bool, published and not past its end date

    DTYPES = {
        "occupation": np.int32, "age_min": np.int16, "age_max": np.int16, "certificates": np.uint64,
        "skills": np.uint64, "lat": np.float32, "lon": np.float32, "town": np.int32, "county": np.int32,
        "province": np.int32, "city": np.int32, "wage_min": np.float32, "wage_max": np.float32,
        "board": np.uint8, "key": np.bool_, "places": np.int32, "is_open": np.bool_,
    }  # fmt: skip

    def __len__(self) -> int:
        return len(self.occupation)

    def validate(self, taxonomy: Taxonomy) -> None:
        """Raise ``ValueError`` naming the first column that is malformed."""
        _check_columns(self, self.DTYPES)
        if not len(self):
            return
        _check(int(self.occupation.min()) >= 0, "occupation: a posting must name one")
        _check(int(self.occupation.max()) < taxonomy.n_occupations, "occupation: outside the taxonomy")
        _check(int(self.town.min()) >= 0, "town: negative")
        _check(bool(np.isfinite(self.lat).all() and np.isfinite(self.lon).all()), "lat/lon: not finite")
        _check(bool((self.wage_min >= 0).all() and (self.wage_max >= 0).all()), "wage: negative")
        _check(bool((self.age_min <= self.age_max).all()), "age_min > age_max")
        # a township lies in one county, province and city: the search order relies on it
        order = np.argsort(self.town, kind="stable")
        t = self.town[order]
        same = t[1:] == t[:-1]
        for col in ("county", "province", "city"):
            v = getattr(self, col)[order]
            _check(bool((v[1:][same] == v[:-1][same]).all()), f"{col}: differs within one town")

    def take(self, index: np.ndarray) -> PostingArrays:
        return PostingArrays(*(getattr(self, f.name)[index] for f in fields(self)))


@dataclass
class Taxonomy:
    """Occupations: which are related (CSR, directed: seeker's occupation → acceptable posting occupations)
    and which are general labour (普工, what a seeker with no stated occupation matches)."""

    n_occupations: int
    related_indptr: np.ndarray  # int32 [n + 1]
    related_indices: np.ndarray  # int32
    general: np.ndarray  # bool [n]

    @classmethod
    def from_lists(cls, related: list[list[int]], general: list[int] | np.ndarray) -> Taxonomy:
        n = len(related)
        indptr = np.zeros(n + 1, np.int32)
        indptr[1:] = np.cumsum([len(r) for r in related])
        flat = [j for r in related for j in r]
        flags = np.zeros(n, np.bool_)
        flags[np.asarray(general, np.int64)] = True
        return cls(n, indptr, np.asarray(flat, np.int32), flags)

    def validate(self) -> None:
        n = self.n_occupations
        _check(self.related_indptr.dtype == np.int32 and len(self.related_indptr) == n + 1, "related_indptr")
        _check(self.related_indices.dtype == np.int32, "related_indices: dtype")
        _check(int(self.related_indptr[-1]) == len(self.related_indices), "related_indptr: last != nnz")
        if len(self.related_indices):
            _check(int(self.related_indices.min()) >= 0, "related_indices: negative")
            _check(int(self.related_indices.max()) < n, "related_indices: outside the taxonomy")
        _check(self.general.dtype == np.bool_ and len(self.general) == n, "general: bool [n]")

    def compatible(self, occupation: int) -> np.ndarray:
        """Posting occupations a seeker of ``occupation`` matches (sorted, unique)."""
        if occupation < 0:
            return np.flatnonzero(self.general).astype(np.int32)
        rel = self.related_indices[self.related_indptr[occupation] : self.related_indptr[occupation + 1]]
        return np.unique(np.concatenate([np.array([occupation], np.int32), rel])).astype(np.int32)
