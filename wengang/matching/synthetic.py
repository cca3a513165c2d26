"""Deterministic synthetic seekers and postings shaped like Luoyang (tests, benchmarks, demos).

Geography: 15 counties within ~120 km of the city centre, 194 townships clustered around them, villages
scattered ~3 km around their township centre; four far partner cities (泰安, 无锡, 绍兴, 滁州) in other
provinces, one pseudo-township each, receive 20 % of the postings (directed labour export). Occupations:
five general-labour ones (most seekers without a stated occupation match them) and skilled ones in
families of five that are related to each other. Pay, board, key enterprises, certificates, skills, ages,
intents (local / county / province / out of province, often to a named partner city) and priority people
(~8 %) follow plausible mixes. Everything is vectorised: 2.5 million seekers take a few seconds.
"""

from __future__ import annotations

import numpy as np

from .arrays import AGE_ANY_MAX, PostingArrays, SeekerArrays, Taxonomy

CENTRE = (34.62, 112.45)  # 洛阳 lat, lon
N_COUNTIES = 15
N_TOWNS = 194
PARTNERS = ((36.20, 117.09), (31.49, 120.31), (30.03, 120.58), (32.30, 118.32))  # 泰安 无锡 绍兴 滁州
N_GENERAL = 5
FAMILY = 5
CERT_BITS = 12
SKILL_BITS = 40


def taxonomy(n_occupations: int = 60) -> Taxonomy:
    """General labour 0–4 (related to each other); skilled occupations related within families of five."""
    related: list[list[int]] = []
    for o in range(n_occupations):
        if o < N_GENERAL:
            related.append([g for g in range(N_GENERAL) if g != o])
        else:
            base = N_GENERAL + (o - N_GENERAL) // FAMILY * FAMILY
            fam = [x for x in range(base, min(base + FAMILY, n_occupations)) if x != o]
            related.append(fam[: 1 + (o % 3)])
    return Taxonomy.from_lists(related, list(range(N_GENERAL)))


# Henan's 18 prefecture-level cities (approximate centres) for the province-scale layout
HENAN = (
    (34.75, 113.63), (34.80, 114.31), (34.62, 112.45), (33.77, 113.19), (36.10, 114.39), (35.75, 114.30),
    (35.30, 113.93), (35.22, 113.24), (35.76, 115.03), (34.04, 113.85), (33.58, 114.02), (34.77, 111.20),
    (33.00, 112.53), (34.41, 115.66), (32.15, 114.09), (33.63, 114.70), (32.98, 114.02), (35.07, 112.60),
)  # fmt: skip
PROVINCE_COUNTIES = 9  # per city (Henan: ~157 counties and districts in 18 cities)
PROVINCE_TOWNS = 130  # per city (~2,400 townships)
REGIONS = ("city", "province")


def geography(seed: int = 7, region: str = "city") -> dict[str, np.ndarray]:
    """Town centres (lat, lon), county, province and city of each town; partner-city pseudo-towns at the end.

    ``region="city"``: Luoyang (15 counties, 194 townships, city 0). ``region="province"``: the 18 cities of
    Henan laid out the same way (9 counties and 130 townships each, cities 0–17), for province-scale runs.
    Partner cities come after the home cities (``first_partner`` is the first one's city number)."""
    if region not in REGIONS:
        raise ValueError(f"region must be one of {REGIONS}, not {region!r}")
    rng = np.random.default_rng(seed)
    if region == "city":
        c_lat = CENTRE[0] + rng.normal(0, 0.30, N_COUNTIES).clip(-0.9, 0.9)
        c_lon = CENTRE[1] + rng.normal(0, 0.40, N_COUNTIES).clip(-1.2, 1.2)
        town_county = np.sort(rng.integers(0, N_COUNTIES, N_TOWNS)).astype(np.int32)
        t_lat = c_lat[town_county] + rng.normal(0, 0.12, N_TOWNS)
        t_lon = c_lon[town_county] + rng.normal(0, 0.15, N_TOWNS)
        town_city = np.zeros(N_TOWNS, np.int32)
        n_counties, n_cities = N_COUNTIES, 1
    else:
        n_cities, n_counties = len(HENAN), len(HENAN) * PROVINCE_COUNTIES
        home = np.array(HENAN)
        county_city = np.repeat(np.arange(n_cities), PROVINCE_COUNTIES)
        c_lat = home[county_city, 0] + rng.normal(0, 0.20, n_counties).clip(-0.5, 0.5)
        c_lon = home[county_city, 1] + rng.normal(0, 0.25, n_counties).clip(-0.6, 0.6)
        town_city = np.repeat(np.arange(n_cities, dtype=np.int32), PROVINCE_TOWNS)
        in_city = rng.integers(0, PROVINCE_COUNTIES, len(town_city))
        town_county = np.sort(town_city * PROVINCE_COUNTIES + in_city).astype(np.int32)
        t_lat = c_lat[town_county] + rng.normal(0, 0.08, len(town_county))
        t_lon = c_lon[town_county] + rng.normal(0, 0.10, len(town_county))
    n_towns = len(town_county)
    p = np.array(PARTNERS)
    return {
        "lat": np.concatenate([t_lat, p[:, 0]]),
        "lon": np.concatenate([t_lon, p[:, 1]]),
        "county": np.concatenate([town_county, n_counties + np.arange(len(PARTNERS))]).astype(np.int32),
        "province": np.concatenate([np.zeros(n_towns), 1 + np.arange(len(PARTNERS))]).astype(np.int32),
        "city": np.concatenate([town_city, n_cities + np.arange(len(PARTNERS))]).astype(np.int32),
        "n_towns": np.asarray(n_towns, np.int64),
        "n_counties": np.asarray(n_counties, np.int64),
        "first_partner": np.asarray(n_cities, np.int64),
    }


def _occupations(
    rng: np.random.Generator, n: int, n_occ: int, none_share: float, general_share: float
) -> np.ndarray:
    u = rng.random(n)
    skilled = N_GENERAL + (rng.zipf(1.6, n) - 1) % (n_occ - N_GENERAL)
    general = rng.integers(0, N_GENERAL, n)
    occ = np.where(u < none_share, -1, np.where(u < none_share + general_share, general, skilled))
    return occ.astype(np.int32)


def _bits(rng: np.random.Generator, n: int, nbits: int, mean: float, anchor: np.ndarray) -> np.ndarray:
    """Up to three bits per row, clustered around ``anchor`` (so families share skills/certificates)."""
    out = np.zeros(n, np.uint64)
    count = rng.poisson(mean, n).clip(0, 3)
    for i in range(3):
        bit = (anchor + rng.integers(0, 4, n)) % nbits
        out |= np.where(count > i, np.left_shift(np.uint64(1), bit.astype(np.uint64)), np.uint64(0))
    return out


CHUNK_SEEKERS = 4_000_000  # seekers generated at a time beyond this (bounds the temporaries' memory)


def seekers(n: int, n_occupations: int = 60, seed: int = 1, region: str = "city") -> SeekerArrays:
    """``n`` seekers; more than ``CHUNK_SEEKERS`` are made in chunks (seeds ``seed * 1000 + i``) written into
    arrays allocated once, so a province's 30 million need no more than their own memory and a chunk's."""
    if n <= CHUNK_SEEKERS:
        return _seekers(n, n_occupations, seed, region)
    sizes = [CHUNK_SEEKERS] * (n // CHUNK_SEEKERS) + ([n % CHUNK_SEEKERS] if n % CHUNK_SEEKERS else [])
    out: dict[str, np.ndarray] = {}
    lo = 0
    for i, size in enumerate(sizes):
        part = _seekers(size, n_occupations, seed * 1000 + i, region)
        for name, col in vars(part).items():
            if name not in out:
                out[name] = np.empty(n, col.dtype)
            out[name][lo : lo + size] = col
        lo += size
        del part
    return SeekerArrays(**out)


def _seekers(n: int, n_occupations: int, seed: int, region: str) -> SeekerArrays:
    geo = geography(region=region)
    n_towns, n_counties, first = int(geo["n_towns"]), int(geo["n_counties"]), int(geo["first_partner"])
    rng = np.random.default_rng(seed)
    weights = rng.gamma(2.0, 1.0, n_towns)
    counts = rng.multinomial(n, weights / weights.sum())
    town = np.repeat(np.arange(n_towns, dtype=np.int32), counts)  # the registry comes ordered by village
    lat = (geo["lat"][town] + rng.normal(0, 0.03, n)).astype(np.float32)
    lon = (geo["lon"][town] + rng.normal(0, 0.035, n)).astype(np.float32)
    occ = _occupations(rng, n, n_occupations, 0.35, 0.25)
    fam = np.where(occ < N_GENERAL, 0, (occ - N_GENERAL) // FAMILY)
    u = rng.random(n)
    scope = np.select([u < 0.30, u < 0.55, u < 0.80], [0, 1, 2], 3).astype(np.int8)
    dest = np.where((scope == 3) & (rng.random(n) < 0.7), rng.integers(first, first + len(PARTNERS), n), -1)
    county_wage = 3000 + 1200 * np.random.default_rng(seed + 100).random(n_counties + len(PARTNERS))
    county = geo["county"][town]
    local_wage = county_wage[county].round(-1)
    income = np.where(rng.random(n) < 0.6, rng.lognormal(np.log(3600), 0.3, n).round(-2), 0.0)
    prio_bits = np.array([1, 2, 4, 8, 16], np.uint8)
    priority = np.where(rng.random(n) < 0.08, prio_bits[rng.integers(0, 5, n)], 0).astype(np.uint8)
    return SeekerArrays(
        occupation=occ,
        age=rng.normal(40, 11, n).clip(16, 64).astype(np.int16),
        certificates=np.where(rng.random(n) < 0.3, _bits(rng, n, CERT_BITS, 1.0, fam * 2), 0).astype(
            np.uint64
        ),
        skills=_bits(rng, n, SKILL_BITS, 1.2, fam * 3),
        lat=lat,
        lon=lon,
        town=town,
        county=county,
        province=geo["province"][town],
        scope=scope,
        destination=dest.astype(np.int32),
        last_income=income.astype(np.float32),
        local_wage=local_wage.astype(np.float32),
        priority=priority,
    )


def postings(n: int, n_occupations: int = 60, seed: int = 2, region: str = "city") -> PostingArrays:
    geo = geography(region=region)
    n_towns = int(geo["n_towns"])
    rng = np.random.default_rng(seed)
    far = rng.random(n) < 0.2
    weights = rng.gamma(1.5, 1.0, n_towns)
    town = np.where(
        far, n_towns + rng.integers(0, len(PARTNERS), n), rng.choice(n_towns, n, p=weights / weights.sum())
    )
    spread = np.where(far, 0.12, 0.04)
    lat = (geo["lat"][town] + rng.normal(0, 1, n) * spread).astype(np.float32)
    lon = (geo["lon"][town] + rng.normal(0, 1, n) * spread).astype(np.float32)
    occ = _occupations(rng, n, n_occupations, 0.0, 0.4)
    fam = np.where(occ < N_GENERAL, 0, (occ - N_GENERAL) // FAMILY)
    wage_min = (rng.lognormal(np.log(3800), 0.25, n) * np.where(far, 1.35, 1.0)).round(-2)
    wage_min = np.where(rng.random(n) < 0.05, 0, wage_min)  # pay to be discussed
    wage_max = np.where(rng.random(n) < 0.8, (wage_min * rng.uniform(1.1, 1.6, n)).round(-2), 0)
    board = np.where(far, 3, rng.choice(4, n, p=[0.4, 0.2, 0.1, 0.3])).astype(np.uint8)
    age_min = np.where(rng.random(n) < 0.7, 18, 16).astype(np.int16)
    age_max = np.where(rng.random(n) < 0.3, AGE_ANY_MAX, rng.integers(45, 61, n)).astype(np.int16)
    needs_cert = (occ >= N_GENERAL) & (rng.random(n) < 0.25)
    certs = np.where(needs_cert, np.left_shift(np.uint64(1), ((fam * 2) % CERT_BITS).astype(np.uint64)), 0)
    places = np.where(rng.random(n) < 0.05, 0, 1 + rng.geometric(0.15, n)).astype(np.int32)
    return PostingArrays(
        occupation=occ.clip(0, None).astype(np.int32),
        age_min=age_min,
        age_max=age_max,
        certificates=certs.astype(np.uint64),
        skills=_bits(rng, n, SKILL_BITS, 1.0, fam * 3),
        lat=lat,
        lon=lon,
        town=town.astype(np.int32),
        county=geo["county"][town],
        province=geo["province"][town],
        city=geo["city"][town],
        wage_min=wage_min.astype(np.float32),
        wage_max=wage_max.astype(np.float32),
        board=board,
        key=rng.random(n) < 0.15,
        places=places,
        is_open=rng.random(n) < 0.92,
    )
