"""Province-scale inputs: the synthetic province, seekers made in chunks, and the index's memory-light
steps (seeker cells, boxes, township order) against their plain NumPy definitions."""

from __future__ import annotations

import numpy as np
import pytest

from wengang.matching import engine, forward, index, synthetic
from wengang.matching.scoring import KM_PER_DEG_LAT, KM_PER_DEG_LON, brute_force_top


def test_the_province_has_eighteen_cities_and_partners_after_them():
    geo = synthetic.geography(region="province")
    n_towns = int(geo["n_towns"])
    assert n_towns == len(synthetic.HENAN) * synthetic.PROVINCE_TOWNS
    assert int(geo["first_partner"]) == len(synthetic.HENAN)
    assert set(geo["city"][:n_towns]) == set(range(len(synthetic.HENAN)))
    assert (geo["province"][:n_towns] == 0).all()
    assert (geo["province"][n_towns:] > 0).all()
    # every county lies in one city
    county, city = geo["county"][:n_towns], geo["city"][:n_towns]
    assert (county // synthetic.PROVINCE_COUNTIES == city).all()
    with pytest.raises(ValueError, match="region"):
        synthetic.geography(region="country")


def test_seekers_beyond_a_chunk_are_made_in_chunks_and_stay_valid(monkeypatch):
    monkeypatch.setattr(synthetic, "CHUNK_SEEKERS", 1000)
    tax = synthetic.taxonomy(60)
    s = synthetic.seekers(2500, 60, seed=5, region="province")
    s.validate(tax)
    assert len(s) == 2500
    first = synthetic._seekers(1000, 60, 5000, "province")
    assert (s.lat[:1000] == first.lat).all()
    assert (s.occupation[:1000] == first.occupation).all()
    last = synthetic._seekers(500, 60, 5002, "province")
    assert (s.age[2000:] == last.age).all()
    named = s.destination[s.destination >= 0]
    assert len(named)
    assert (named >= len(synthetic.HENAN)).all()
    again = synthetic.seekers(2500, 60, seed=5, region="province")
    assert (again.lon == s.lon).all()


def _cells_by_sorting(seekers, cell_km, n_ptown):
    """The definition: dense ranks of the cell codes (``np.unique``), cells growing ×1.5 to fit."""
    lat = seekers.lat.astype(np.float64)
    lon = seekers.lon.astype(np.float64)
    kx = KM_PER_DEG_LON * np.cos(np.radians(float(np.abs(lat).max())))
    while True:
        cx = ((lon - lon.min()) * kx / cell_km).astype(np.int64)
        cy = ((lat - lat.min()) * KM_PER_DEG_LAT / cell_km).astype(np.int64)
        uniq, cell = np.unique(cy * (int(cx.max()) + 1) + cx, return_inverse=True)
        if len(uniq) * max(n_ptown, 1) <= forward.MAX_ORDER or cell_km > 1e4:
            return cell.ravel().astype(np.int32), len(uniq)
        cell_km *= 1.5


@pytest.mark.parametrize("cell_km", [0.001, 0.5, 6.0, 60.0])
@pytest.mark.parametrize("n_ptown", [1, 200, 40_000])
def test_seeker_cells_equal_their_definition(monkeypatch, cell_km, n_ptown):
    monkeypatch.setattr(index, "ROWS_AT_A_TIME", 777)  # several chunks
    monkeypatch.setattr(forward, "ROWS_AT_A_TIME", 777)
    s = synthetic.seekers(3000, 30, seed=9, region="province")
    got, n = forward._seeker_cells(s, cell_km, n_ptown)
    want, n_want = _cells_by_sorting(s, cell_km, n_ptown)
    assert n == n_want
    assert got.dtype == np.int32
    assert (got == want).all()


def test_boxes_and_township_order_by_chunks_equal_the_whole(monkeypatch):
    s = synthetic.seekers(3000, 30, seed=9, region="province")
    p = synthetic.postings(800, 30, seed=10, region="province")
    cell, n = forward._seeker_cells(s, 6.0, 400)
    whole_box = index._town_boxes(cell, s.lat.astype(np.float64), s.lon.astype(np.float64), n)
    n_pt = int(p.town.max()) + 1
    active = np.unique(p.town).astype(np.int32)
    pbox = index._town_boxes(p.town, p.lat, p.lon, n_pt)[:, active]
    whole = index._order(whole_box, pbox, active)
    monkeypatch.setattr(index, "ROWS_AT_A_TIME", 500)
    box = index._town_boxes(cell, s.lat, s.lon, n)
    assert np.array_equal(box, whole_box, equal_nan=True)
    order, lb = index._order(box, pbox, active)
    assert np.array_equal(order, whole[0])
    assert np.array_equal(lb, whole[1])
    assert len(active) > 500
    assert order.dtype == np.int32


def test_the_engine_is_exact_on_the_province():
    tax = synthetic.taxonomy(30)
    s = synthetic.seekers(3000, 30, seed=11, region="province")
    p = synthetic.postings(1500, 30, seed=12, region="province")
    ctx = engine.make_context(s, p, tax)
    recs = engine.top_postings(s, p, tax, context=ctx)
    sample = np.arange(0, 3000, 7)
    bp, bs = brute_force_top(s, p, ctx.weights, ctx.compat, sample, 3)
    assert (recs.index[sample] == bp).all()
    assert (recs.score[sample] == bs).all()
    assert (recs.index[:, 0] >= 0).mean() > 0.9
