"""``seed_postings`` and ``wengang seed-postings``: reproducible, valid, mostly published, topped up."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from stdnum.cn import uscc

from wengang.employers.models import Enterprise
from wengang.jobs.choices import PostingStatus, WageUnit
from wengang.jobs.models import Occupation, Posting
from wengang.jobs.seed import PARTNER_CITIES, seed_postings

pytestmark = pytest.mark.django_db


def snapshot() -> list[tuple]:
    return list(
        Posting.objects.order_by("pk").values_list(
            "title",
            "occupation_id",
            "wage_unit",
            "monthly_min",
            "monthly_max",
            "board",
            "status",
            "area_code",
        )
    )


def test_seed_creates_enterprises_occupations_and_postings():
    Occupation.objects.all().delete()
    assert seed_postings(400, seed=7, batch=150) == 400
    assert Posting.objects.count() == 400
    assert Enterprise.objects.count() == 20  # count / 20
    assert "普工" in Occupation.objects.get(code="6-99-00-00").synonyms
    statuses = Counter(Posting.objects.values_list("status", flat=True))
    assert statuses[PostingStatus.PUBLISHED] > 300
    assert set(statuses) <= set(PostingStatus.values)
    for code in Enterprise.objects.values_list("uscc", flat=True):
        assert uscc.is_valid(code), code
    areas = set(Enterprise.objects.values_list("area_code", flat=True))
    assert any(a.startswith("4103") for a in areas)
    assert areas - {a for a in areas if a.startswith("4103")} <= set(PARTNER_CITIES)


def test_seeded_postings_are_consistent():
    seed_postings(300, seed=2)
    for p in Posting.objects.all():
        assert p.headcount >= 1
        assert p.filled_count <= p.headcount
        assert p.monthly_min is not None
        assert p.monthly_min <= p.monthly_max
        assert 2000 <= p.monthly_min <= 13000
        if p.wage_unit == WageUnit.PIECE:
            assert p.wage_note
        if p.status in (PostingStatus.PUBLISHED, PostingStatus.PAUSED, PostingStatus.FILLED):
            assert p.published_at is not None
        if p.status in (PostingStatus.DRAFT, PostingStatus.SUBMITTED):
            assert p.published_at is None
        if p.area_code[:6] in PARTNER_CITIES:
            assert p.is_directed_export
            assert p.partner_region == PARTNER_CITIES[p.area_code[:6]][0]
        else:
            assert p.area_code.startswith("4103")
            assert not p.is_directed_export
        assert p.start_date is not None
        assert p.end_date is not None


def test_same_seed_same_postings_and_top_up():
    seed_postings(120, seed=5)
    first = snapshot()
    Posting.objects.all().delete()
    assert seed_postings(120, seed=5) == 120
    assert snapshot() == first
    assert seed_postings(100, seed=5) == 0
    assert seed_postings(150, seed=5) == 30
    assert Posting.objects.count() == 150
    assert snapshot()[:120] == first


def test_command():
    out = StringIO()
    call_command("seed_postings", count=60, seed=3, stdout=out)
    assert Posting.objects.count() == 60
    assert "60" in out.getvalue()
    out = StringIO()
    call_command("seed_postings", count=60, stdout=out)
    assert Posting.objects.count() == 60
