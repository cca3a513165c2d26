"""Fill the engine's arrays from the database for one area (a handful of bulk queries, none per person).

Who is a job seeker (the rule, in one place):

- the person's village lies in the run's area (old codes followed, as scope does);
- 16 years or older;
- health is not ``unable`` and the current status is none of ``not_seeking``, ``unable``, ``student``,
  ``in_training``, ``starting_business``;
- and either the status is ``unemployed_seeking``, or the current intent is to find work (``local_job``,
  ``go_out``, ``return_home`` — people coming home for the festival may change jobs), or they have no status
  recorded yet (the ledger did not say: they are offered jobs rather than forgotten).

Where they accept to work (``SCOPE_*``): 三无 people cannot leave home → local (within ``Weights.local_km``);
``local_job`` → their county; ``go_out`` → out of province, to their stated destination when it names a
city we know (the partner cities, or any city-level region loaded), anywhere otherwise; everyone else →
their province.

Coordinates: the village's, else its township's, else its county's (following code changes), else the
city's; Luoyang's shipped data has county centroids only, so distances are county-centre distances until
village or township coordinates are imported (the run records which precision it used). A county with no
coordinates at all gets a deterministic point near the centre of the known ones, and the run says so.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connections
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from wengang.accounts.scoping import area_prefixes
from wengang.jobs.choices import Board, PostingStatus
from wengang.jobs.models import Occupation, Posting
from wengang.jobs.taxonomy import OccupationMatcher
from wengang.regions.models import Region, RegionCodeChange
from wengang.registry.choices import EmploymentStatus, Health, Intent, PovertyCategory
from wengang.registry.models import EmploymentEvent, IntentRecord, Person

from .arrays import (
    AGE_ANY_MAX,
    BOARD_LODGING,
    BOARD_MEALS,
    PRIORITY_EDGE,
    PRIORITY_HARDSHIP,
    PRIORITY_THREE_WITHOUT,
    PRIORITY_UNSTABLE,
    SCOPE_COUNTY,
    SCOPE_LOCAL,
    SCOPE_OUT,
    SCOPE_PROVINCE,
    PostingArrays,
    SeekerArrays,
    Taxonomy,
)

MIN_AGE = 16
EXCLUDED_STATUSES = (
    EmploymentStatus.NOT_SEEKING,
    EmploymentStatus.UNABLE,
    EmploymentStatus.STUDENT,
    EmploymentStatus.IN_TRAINING,
    EmploymentStatus.STARTING_BUSINESS,
)
SEEKING_INTENTS = (Intent.LOCAL_JOB, Intent.GO_OUT, Intent.RETURN_HOME)
PRIORITY_OF_CATEGORY = {
    PovertyCategory.UNSTABLE: PRIORITY_UNSTABLE,
    PovertyCategory.MARGINAL: PRIORITY_EDGE,
    PovertyCategory.SUDDEN_DIFFICULTY: PRIORITY_HARDSHIP,
    PovertyCategory.MONITORED: PRIORITY_UNSTABLE,  # monitored, category not given: the same boost
}
BOARD_BITS = {Board.MEALS: BOARD_MEALS, Board.LODGING: BOARD_LODGING, Board.BOTH: BOARD_MEALS | BOARD_LODGING}

# Partner cities (劳务输入地) whose postings may carry no coordinates: city code → (name, lat, lon), the
# approximate centre of each city's main urban district.
PARTNER_CITIES: dict[str, tuple[str, float, float]] = {
    "320200": ("无锡", 31.491, 120.312),
    "370900": ("泰安", 36.200, 117.087),
    "330600": ("绍兴", 30.030, 120.580),
    "341100": ("滁州", 32.302, 118.317),
}

# Precision of a coordinate, best first (what the run reports and the reasons take into account).
PRECISION = ("posting", "village", "township", "county", "city", "fallback")


@dataclass
class Loaded:
    """The engine's inputs and what is needed to write their results back (database ids, names, notes)."""

    seekers: SeekerArrays
    postings: PostingArrays
    taxonomy: Taxonomy
    person_ids: np.ndarray  # int64, row i of ``seekers``
    person_areas: list[str]  # each seeker's village code
    seeker_coarse: np.ndarray  # bool: home known to the county centre or worse
    posting_ids: np.ndarray  # int64, row j of ``postings``
    city_names: dict[int, str]  # engine city id → name (reasons about destinations)
    precision: dict[str, int] = field(default_factory=dict)  # seekers' home coordinates by precision
    notes: list[str] = field(default_factory=list)


def _prefix_q(field_name: str, prefixes: list[str]) -> Q:
    q = Q(pk__in=[])
    for p in prefixes:
        q |= Q(**{f"{field_name}__gte": p, f"{field_name}__lt": p[:-1] + chr(ord(p[-1]) + 1)})
    return q


class _Places:
    """Area codes → coordinates and engine area ids (two queries: regions with coordinates, code changes)."""

    def __init__(self) -> None:
        self.coords: dict[str, tuple[float, float]] = {
            code: (float(lat or 0), float(lon or 0))
            for code, lat, lon in Region.objects.exclude(latitude=None)
            .exclude(longitude=None)
            .values_list("code", "latitude", "longitude")
        }
        known = list(self.coords.values())  # the home region's own areas (before adding partner cities)
        for code, (_name, lat, lon) in PARTNER_CITIES.items():
            self.coords.setdefault(code, (lat, lon))
        self.renamed = dict(RegionCodeChange.objects.values_list("old_code", "new_code"))
        self.centre = (
            (float(np.mean([c[0] for c in known])), float(np.mean([c[1] for c in known])))
            if known
            else (34.62, 112.45)  # 洛阳 (the shipped reference data)
        )
        self.fallback_counties: set[str] = set()
        self.town_ids: dict[str, int] = {}

    def county(self, code: str) -> str:
        county = code[:6]
        return self.renamed.get(county, county)

    def locate(self, code: str) -> tuple[float, float, str]:
        """The best known point of an area code and its precision."""
        county = self.county(code)
        for size, level in ((12, "village"), (9, "township")):
            if len(code) >= size:
                for candidate in (code[:size], county + code[6:size]):
                    if candidate in self.coords:
                        return (*self.coords[candidate], level)
        for candidate, level in ((code[:6], "county"), (county, "county"), (county[:4] + "00", "city")):
            if candidate in self.coords:
                return (*self.coords[candidate], level)
        self.fallback_counties.add(county)
        digest = hashlib.sha256(county.encode()).digest()
        dlat = (digest[0] / 255 - 0.5) * 0.4
        dlon = (digest[1] / 255 - 0.5) * 0.4
        return self.centre[0] + dlat, self.centre[1] + dlon, "fallback"

    def ids(self, code: str) -> tuple[int, int, int, int]:
        """Engine ids (town, county, province, city) of an area code; one pseudo-town per city-level code."""
        county = self.county(code)
        town_key = county + code[6:9] if len(code) >= 9 else county
        town = self.town_ids.setdefault(town_key, len(self.town_ids))
        return town, int(county), int(county[:2]), int(county[:4])


def load_taxonomy() -> tuple[Taxonomy, dict[str, int]]:
    """The occupation table as the engine's taxonomy (related both ways, as ``jobs.taxonomy`` reads it)."""
    rows = list(Occupation.objects.order_by("code").values_list("code", "general_labour", "related"))
    index = {code: i for i, (code, _g, _r) in enumerate(rows)}
    related: list[set[int]] = [set() for _ in rows]
    for i, (_code, _general, rel) in enumerate(rows):
        for other in rel or []:
            j = index.get(other)
            if j is not None and j != i:
                related[i].add(j)
                related[j].add(i)
    general = [i for i, (_c, g, _r) in enumerate(rows) if g]
    return Taxonomy.from_lists([sorted(r) for r in related], general), index


def _occupations_of(skills: list[str], index: dict[str, int], cache: dict[str, int]) -> list[int]:
    """Occupation indices named by each skill (the first match per skill; -1 when none)."""
    out = []
    matcher = OccupationMatcher.default()
    for skill in skills:
        text = str(skill).strip()
        if not text:
            continue
        if text not in cache:
            found = matcher.match(text, limit=1)
            cache[text] = index.get(found[0].code, -1) if found else -1
        out.append(cache[text])
    return out


def _bits(names: list[str], vocab: dict[str, int]) -> int:
    mask = 0
    for name in names:
        bit = vocab.get(str(name).strip())
        if bit is not None:
            mask |= 1 << bit
    return mask


def seeker_queryset(scope_code: str) -> Any:
    """People of the area who are job seekers under the rule in this module's docstring."""
    today = timezone.localdate()
    try:
        born_before = today.replace(year=today.year - MIN_AGE)
    except ValueError:  # 29 February
        born_before = today.replace(year=today.year - MIN_AGE, day=28)
    return (
        Person.objects.filter(_prefix_q("village_code", area_prefixes(scope_code)))
        .filter(birth_date__lte=born_before)
        .exclude(health=Health.UNABLE)
        .exclude(status__in=EXCLUDED_STATUSES)
        .filter(Q(status=EmploymentStatus.UNEMPLOYED_SEEKING) | Q(intent__in=SEEKING_INTENTS) | Q(status=""))
    )


def posting_queryset() -> Any:
    """Published postings with open places that have not ended (any area: partner cities included)."""
    today = timezone.localdate()
    return Posting.objects.filter(status=PostingStatus.PUBLISHED, occupation__isnull=False).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today)
    )


def _destinations(people: Any, places: _Places) -> tuple[dict[int, int], dict[int, str]]:
    """person id → destination city id for ``go_out`` intents naming a city we can resolve."""
    names: dict[str, str] = {name: code for code, (name, _lat, _lon) in PARTNER_CITIES.items()}
    for code, name in Region.objects.filter(level="city").values_list("code", "name"):
        names.setdefault(name.removesuffix("市"), code)
    latest: dict[int, str] = {}
    rows = (
        IntentRecord.objects.filter(person__in=people.filter(intent=Intent.GO_OUT).values("pk"))
        .order_by("person_id", "recorded_on", "id")
        .values_list("person_id", "destination")
    )
    for pid, dest in rows:
        latest[pid] = dest or ""
    out: dict[int, int] = {}
    city_names: dict[int, str] = {}
    for pid, dest in latest.items():
        for name, code in names.items():
            if name and name in dest:
                out[pid] = int(code[:4])
                city_names[int(code[:4])] = name
                break
    return out, city_names


def load_arrays(scope_code: str, *, person_ids: Any = None) -> Loaded:
    """Build the engine's arrays for the job seekers of ``scope_code`` (only ``person_ids`` among them when
    given — ids or a subquery of ids: an incremental update) and every open posting."""
    today = timezone.localdate()
    taxonomy, occ_index = load_taxonomy()
    places = _Places()
    notes: list[str] = []

    people = seeker_queryset(scope_code)
    if person_ids is not None:
        people = people.filter(pk__in=person_ids)
    # Plain rows straight from the cursor (no per-row converters): JSON lists as their text, parsed once per
    # distinct text below; dates as the driver gives them (``date`` or ISO text), read by NumPy.
    rows = _fetch(
        people.order_by("village_code", "id")
        .annotate(skills_text=Cast("skills", TextField()))
        .annotate(certificates_text=Cast("certificates", TextField()))
        .values_list(
            "id", "birth_date", "village_code", "skills_text", "certificates_text", "intent",
            "is_three_without", "household__poverty_category",
        )
    )  # fmt: skip
    post_rows = list(
        posting_queryset()
        .order_by("id")
        .values_list(
            "id", "occupation_id", "age_min", "age_max", "certificates", "latitude", "longitude", "area_code",
            "monthly_min", "monthly_max", "board", "enterprise__key_category", "headcount", "filled_count",
        )
    )  # fmt: skip
    post_rows = [r for r in post_rows if r[12] > r[13] and r[1] in occ_index]

    incomes: dict[int, int | None] = dict(
        _fetch(
            EmploymentEvent.objects.filter(person__in=people.values("pk"), monthly_income__isnull=False)
            .order_by("person_id", "occurred_on", "id")
            .values_list("person_id", "monthly_income")
        )
    )  # the dict keeps the last, i.e. the latest event that stated an income
    destinations, city_names = _destinations(people, places)
    for code, (name, _lat, _lon) in PARTNER_CITIES.items():
        city_names.setdefault(int(code[:4]), name)

    # Certificate vocabulary: those postings require first (dropping one would loosen the filter), then
    # those people hold; the 64 most frequent of each.
    required = Counter(str(c).strip() for r in post_rows for c in (r[4] or []))
    cert_texts, cert_group = _distinct([r[4] for r in rows])
    cert_lists = [list(json.loads(t) or []) if t else [] for t in cert_texts]
    held: Counter[str] = Counter()
    for names, n in zip(cert_lists, np.bincount(cert_group, minlength=len(cert_texts)).tolist(), strict=True):
        for c in names:
            held[str(c).strip()] += n
    vocab_names = [c for c, _n in required.most_common() if c][:64]
    vocab_names += [c for c, _n in held.most_common() if c and c not in vocab_names][: 64 - len(vocab_names)]
    cert_vocab = {name: i for i, name in enumerate(vocab_names)}
    if len(required) > 64:
        notes.append(f"{len(required) - 64} required certificates beyond the 64 most frequent are ignored")
    # Skills: bits over the occupations postings ask for, so "skills overlap" = the seeker names it.
    skill_vocab = {
        occ: i for i, (occ, _n) in enumerate(Counter(occ_index[r[1]] for r in post_rows).most_common(64))
    }

    # Postings.
    n_p = len(post_rows)
    P: dict[str, Any] = {k: np.zeros(n_p, np.dtype(t)) for k, t in PostingArrays.DTYPES.items()}
    county_wages: dict[int, list[float]] = {}
    for j, r in enumerate(post_rows):
        (_pid, occ, amin, amax, certs, lat, lon, area, wmin, wmax, board, key_cat, head, filled) = r
        occ_i = occ_index[occ]
        if lat is not None and lon is not None:
            plat, plon = float(lat), float(lon)
        else:
            plat, plon, _level = places.locate(area)
        town, county, province, city = places.ids(area)
        P["occupation"][j] = occ_i
        P["age_min"][j] = amin or 0
        P["age_max"][j] = amax if amax else AGE_ANY_MAX
        P["certificates"][j] = _bits(certs or [], cert_vocab)
        P["skills"][j] = (1 << skill_vocab[occ_i]) if occ_i in skill_vocab else 0
        P["lat"][j], P["lon"][j] = plat, plon
        P["town"][j], P["county"][j], P["province"][j], P["city"][j] = town, county, province, city
        P["wage_min"][j] = wmin or 0
        P["wage_max"][j] = wmax or 0
        P["board"][j] = BOARD_BITS.get(board, 0)
        P["key"][j] = bool(key_cat)
        P["places"][j] = head - filled
        P["is_open"][j] = True
        mid = ((wmin or 0) + (wmax or wmin or 0)) / 2
        if mid > 0:
            county_wages.setdefault(county, []).append(mid)
    all_wages = [w for ws in county_wages.values() for w in ws]
    overall_wage = float(np.mean(all_wages)) if all_wages else 0.0

    # Seekers: what depends on the village, the skills or the certificates is worked out once per distinct
    # value, then spread to the rows with NumPy.
    n_s = len(rows)
    S: dict[str, Any] = {k: np.zeros(n_s, np.dtype(t)) for k, t in SeekerArrays.DTYPES.items()}
    cols = list(zip(*rows, strict=True)) if rows else [()] * 8
    person_ids = np.array(cols[0], np.int64)
    villages: list[str] = list(cols[2])
    village_list, village_group = _distinct(villages)
    v_lat, v_lon, v_town, v_county, v_province, v_coarse, v_wage = [], [], [], [], [], [], []
    v_level: list[str] = []
    for village in village_list:  # in order of first appearance, as the towns' ids are handed out
        lat, lon, level = places.locate(village)
        town, county, province, _city = places.ids(village)
        wages = county_wages.get(county)
        v_lat.append(lat)
        v_lon.append(lon)
        v_level.append(level)
        v_town.append(town)
        v_county.append(county)
        v_province.append(province)
        v_coarse.append(level in ("county", "city", "fallback"))
        v_wage.append(float(np.mean(wages)) if wages and len(wages) >= 3 else overall_wage)
    precision: Counter[str] = Counter()
    for level, n in zip(
        v_level, np.bincount(village_group, minlength=len(village_list)).tolist(), strict=True
    ):
        precision[level] += n
    S["lat"][:] = np.array(v_lat, np.float64)[village_group]
    S["lon"][:] = np.array(v_lon, np.float64)[village_group]
    S["town"][:] = np.array(v_town, np.int64)[village_group]
    S["county"][:] = np.array(v_county, np.int64)[village_group]
    S["province"][:] = np.array(v_province, np.int64)[village_group]
    S["local_wage"][:] = np.array(v_wage, np.float64)[village_group]
    coarse = np.array(v_coarse, np.bool_)[village_group]

    skill_cache: dict[str, int] = {}
    skill_texts, skill_group = _distinct(list(cols[3]))
    first_occ, skill_bits = [], []
    for text in skill_texts:
        known = [
            o
            for o in _occupations_of(list(json.loads(text) or []) if text else [], occ_index, skill_cache)
            if o >= 0
        ]
        first_occ.append(known[0] if known else -1)
        skill_bits.append(_bits_of_occupations(known, skill_vocab))
    S["occupation"][:] = np.array(first_occ, np.int64)[skill_group]
    S["skills"][:] = np.array(skill_bits, np.uint64)[skill_group]
    S["certificates"][:] = np.array([_bits(names, cert_vocab) for names in cert_lists], np.uint64)[cert_group]

    births = np.array(cols[1], "datetime64[D]")
    b_year = births.astype("datetime64[Y]").astype(np.int64) + 1970
    b_month = births.astype("datetime64[M]").astype(np.int64) % 12 + 1
    b_day = (births - births.astype("datetime64[M]")).astype(np.int64) + 1
    S["age"][:] = today.year - b_year - ((today.month * 100 + today.day) < (b_month * 100 + b_day))

    intents = np.array(cols[5], object)
    three = np.array(cols[6], np.bool_)
    scope = np.where(intents == str(Intent.GO_OUT), SCOPE_OUT, SCOPE_PROVINCE)
    scope = np.where(intents == str(Intent.LOCAL_JOB), SCOPE_COUNTY, scope)
    S["scope"][:] = np.where(three, SCOPE_LOCAL, scope)
    S["destination"][:] = -1
    at = {pid: i for i, pid in enumerate(cols[0])} if destinations or incomes else {}
    for pid, city in destinations.items():
        i = at.get(pid)
        if i is not None and S["scope"][i] == SCOPE_OUT:
            S["destination"][i] = city
    for pid, income in incomes.items():
        i = at.get(pid)
        if i is not None:
            S["last_income"][i] = income or 0
    category_priority = np.array([PRIORITY_OF_CATEGORY.get(c, 0) for c in cols[7]], np.uint8)
    S["priority"][:] = category_priority | np.where(three, PRIORITY_THREE_WITHOUT, 0).astype(np.uint8)
    if places.fallback_counties:
        notes.append(
            "no coordinates for areas " + ", ".join(sorted(places.fallback_counties))
            + ": a deterministic point near the centre of the known areas was used"
        )  # fmt: skip
    if precision.get("county") or precision.get("city"):
        notes.append("home coordinates are county (or city) centres where villages and townships have none")
    return Loaded(
        seekers=SeekerArrays(**S),
        postings=PostingArrays(**P),
        taxonomy=taxonomy,
        person_ids=person_ids,
        person_areas=villages,
        seeker_coarse=coarse,
        posting_ids=np.array([r[0] for r in post_rows], np.int64),
        city_names=city_names,
        precision=dict(precision),
        notes=notes,
    )


def _fetch(queryset: Any) -> list[tuple[Any, ...]]:
    """The rows of a ``values_list`` queryset as the database driver returns them (no Django converters)."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())


def _distinct(values: list[Any]) -> tuple[list[Any], np.ndarray]:
    """The distinct values in order of first appearance, and each value's position among them."""
    index: dict[Any, int] = {}
    group = np.fromiter((index.setdefault(v, len(index)) for v in values), np.int64, len(values))
    return list(index), group


def _bits_of_occupations(occs: list[int], vocab: dict[int, int]) -> int:
    mask = 0
    for o in occs:
        if o in vocab:
            mask |= 1 << vocab[o]
    return mask
