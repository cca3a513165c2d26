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


def geography(seed: int = 7) -> dict[str, np.ndarray]:
    """Town centres (lat, lon), county of each town; partner-city pseudo-towns at the end."""
    rng = np.random.default_rng(seed)
    c_lat = CENTRE[0] + rng.normal(0, 0.30, N_COUNTIES).clip(-0.9, 0.9)
    c_lon = CENTRE[1] + rng.normal(0, 0.40, N_COUNTIES).clip(-1.2, 1.2)
    town_county = np.sort(rng.integers(0, N_COUNTIES, N_TOWNS)).astype(np.int32)
    t_lat = c_lat[town_county] + rng.normal(0, 0.12, N_TOWNS)
    t_lon = c_lon[town_county] + rng.normal(0, 0.15, N_TOWNS)
    p = np.array(PARTNERS)
    return {
        "lat": np.concatenate([t_lat, p[:, 0]]),
        "lon": np.concatenate([t_lon, p[:, 1]]),
        "county": np.concatenate([town_county, N_COUNTIES + np.arange(len(PARTNERS))]).astype(np.int32),
        "province": np.concatenate([np.zeros(N_TOWNS), 1 + np.arange(len(PARTNERS))]).astype(np.int32),
        "city": np.concatenate([np.zeros(N_TOWNS), 1 + np.arange(len(PARTNERS))]).astype(np.int32),
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


def seekers(n: int, n_occupations: int = 60, seed: int = 1) -> SeekerArrays:
    geo = geography()
    rng = np.random.default_rng(seed)
    weights = rng.gamma(2.0, 1.0, N_TOWNS)
    counts = rng.multinomial(n, weights / weights.sum())
    town = np.repeat(np.arange(N_TOWNS, dtype=np.int32), counts)  # the registry comes ordered by village
    lat = (geo["lat"][town] + rng.normal(0, 0.03, n)).astype(np.float32)
    lon = (geo["lon"][town] + rng.normal(0, 0.035, n)).astype(np.float32)
    occ = _occupations(rng, n, n_occupations, 0.35, 0.25)
    fam = np.where(occ < N_GENERAL, 0, (occ - N_GENERAL) // FAMILY)
    u = rng.random(n)
    scope = np.select([u < 0.30, u < 0.55, u < 0.80], [0, 1, 2], 3).astype(np.int8)
    dest = np.where((scope == 3) & (rng.random(n) < 0.7), rng.integers(1, 1 + len(PARTNERS), n), -1)
    county_wage = 3000 + 1200 * np.random.default_rng(seed + 100).random(N_COUNTIES + len(PARTNERS))
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


def postings(n: int, n_occupations: int = 60, seed: int = 2) -> PostingArrays:
    geo = geography()
    rng = np.random.default_rng(seed)
    far = rng.random(n) < 0.2
    weights = rng.gamma(1.5, 1.0, N_TOWNS)
    town = np.where(
        far, N_TOWNS + rng.integers(0, len(PARTNERS), n), rng.choice(N_TOWNS, n, p=weights / weights.sum())
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
