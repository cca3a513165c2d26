"""The score's weights: settings, not code (a frozen dataclass with documented defaults).

The score of seeker *s* for posting *p* is the sum of the terms below, each bounded between 0 and its
weight, so an exact search can prune: the best score a group of postings can still reach is the sum of
each term's bound over that group (a new term must come with its bound — see :meth:`Weights.bounds`).

Terms (the bound of each is its weight):

- distance: ``distance / (1 + km / distance_half_km)``; 0 km for a posting in the seeker's named
  out-of-province destination city (they chose it);
- wage vs last income: ``wage_income * clip((mid / ref - wage_low) / (wage_high - wage_low), 0, 1)``, where
  ``mid`` is the middle of the posting's monthly pay and ``ref`` the seeker's last income (their county's
  average wage when unknown);
- wage vs local average: the same ramp against the home county's average wage, weight ``wage_local``;
- board and lodging: ``board * (meals_share * meals + (1 - meals_share) * lodging)``;
- skills overlap: ``skills * |seeker ∩ wanted| / |wanted|`` (0 when the posting wants none);
- key enterprise: ``key_enterprise`` for a key enterprise (重点企业);
- priority people: ``priority`` for a priority person (poverty categories, 三无, staff-added). It is the same
  for all of one seeker's postings, so it does not change their own list; it ranks them first among a
  posting's candidates and serves them first when places are spread.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

# Positions in the vector the kernels read (``Weights.vector()``).
W_DISTANCE, W_HALF_KM, W_INCOME, W_LOCAL, W_LOW, W_HIGH = 0, 1, 2, 3, 4, 5
W_BOARD, W_MEALS_SHARE, W_SKILLS, W_KEY, W_PRIORITY, W_LOCAL_KM = 6, 7, 8, 9, 10, 11
N_WEIGHTS = 12


@dataclass(frozen=True)
class Weights:
    """Weights and parameters of the score (defaults: a 0–100 scale for the posting terms, +20 priority)."""

    distance: float = 40.0  # points at 0 km from home
    distance_half_km: float = 10.0  # half the distance points at this many km
    wage_income: float = 15.0  # pay vs the seeker's last income
    wage_local: float = 10.0  # pay vs the local average wage
    wage_low: float = 0.8  # pay ratio earning 0 points
    wage_high: float = 1.5  # pay ratio earning all the points
    board: float = 10.0  # board and lodging both provided
    meals_share: float = 0.4  # share of ``board`` for meals alone (lodging alone earns the rest)
    skills: float = 15.0  # all the skills the posting wants
    key_enterprise: float = 10.0  # a key enterprise (重点企业)
    priority: float = 20.0  # a priority person (poverty categories, 三无, staff-added)
    local_km: float = 20.0  # radius of "local only" (就近)
    capacity_factor: float = 3.0  # no posting is more than this × its open places anyone's first choice
    k: int = 3  # recommendations per seeker (and candidates per posting)

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not value >= 0:
                raise ValueError(f"weight {f.name} must be ≥ 0, not {value!r}")
        if self.distance_half_km <= 0 or self.wage_high <= self.wage_low or self.k < 1:
            raise ValueError("need distance_half_km > 0, wage_high > wage_low and k ≥ 1")
        if self.meals_share > 1:
            raise ValueError("meals_share is a share (0–1)")

    def bounds(self) -> dict[str, float]:
        """Each term's upper bound (every term is ≥ 0)."""
        return {
            "distance": self.distance,
            "wage_income": self.wage_income,
            "wage_local": self.wage_local,
            "board": self.board,
            "skills": self.skills,
            "key_enterprise": self.key_enterprise,
            "priority": self.priority,
        }

    def max_score(self) -> float:
        return float(sum(self.bounds().values()))

    def vector(self) -> np.ndarray:
        """The float64 vector the kernels read (positions ``W_*``)."""
        v = np.zeros(N_WEIGHTS, np.float64)
        v[W_DISTANCE] = self.distance
        v[W_HALF_KM] = self.distance_half_km
        v[W_INCOME] = self.wage_income
        v[W_LOCAL] = self.wage_local
        v[W_LOW] = self.wage_low
        v[W_HIGH] = self.wage_high
        v[W_BOARD] = self.board
        v[W_MEALS_SHARE] = self.meals_share
        v[W_SKILLS] = self.skills
        v[W_KEY] = self.key_enterprise
        v[W_PRIORITY] = self.priority
        v[W_LOCAL_KM] = self.local_km
        return v

    def replace(self, **changes: float) -> Weights:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]
