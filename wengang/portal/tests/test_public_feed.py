"""The public JSON feed: no login, incremental sync (updated_since + cursor), tombstones, nothing personal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from wengang.employers.tests.factories import make_enterprise
from wengang.jobs.choices import PostingStatus
from wengang.jobs.models import Posting
from wengang.jobs.tests.factories import make_occupation, make_posting

pytestmark = pytest.mark.django_db

FEED = "/api/v1/public/postings"
T0 = dt.datetime(2026, 2, 1, 8, 0, tzinfo=dt.UTC)


def stamp(posting: Posting, minutes: int) -> None:
    """Give a posting a known updated_at (auto_now would stamp the test's run time)."""
    Posting.objects.filter(pk=posting.pk).update(updated_at=T0 + dt.timedelta(minutes=minutes))


@pytest.fixture
def enterprise(db):
    e = make_enterprise(name="伊川宏图机械有限公司", area_code="410329")
    e.contact_name = "李经理测试"
    e.save()
    return e


def sync(client, **params) -> list[dict]:
    """Follow next_cursor to the end, as a mirror would; return every item seen."""
    seen: list[dict] = []
    response = client.get(FEED, params)
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        seen += body["items"]
        if not body["next_cursor"]:
            return seen
        response = client.get(FEED, {"cursor": body["next_cursor"], "limit": params.get("limit", 100)})


def test_anonymous_feed_lists_published_postings_with_details(client, enterprise):
    occupation = make_occupation("6-18-02-04", "焊工")
    posting = make_posting(
        enterprise,
        title="电焊工",
        occupation=occupation,
        area_code="410329001",
        headcount=10,
        filled_count=3,
        latitude=34.4,
        longitude=112.45,
        is_directed_export=False,
    )
    make_posting(enterprise, title="草稿", status=PostingStatus.DRAFT)
    body = client.get(FEED).json()
    assert body["next_cursor"] is None
    assert [item["id"] for item in body["items"]] == [posting.pk]
    item = body["items"][0]
    assert item["status"] == "published"
    assert item["title"] == "电焊工"
    assert item["enterprise_name"] == "伊川宏图机械有限公司"
    assert item["enterprise_uscc"] == enterprise.uscc
    assert (item["occupation_code"], item["occupation_name"]) == ("6-18-02-04", "焊工")
    assert (item["headcount"], item["open_places"]) == (10, 7)
    assert (item["monthly_min"], item["monthly_max"], item["wage_unit"]) == (4000, 6000, "month")
    assert item["area_code"] == "410329001"
    assert item["area_name"].startswith("伊川县 ")
    assert (item["latitude"], item["longitude"]) == (34.4, 112.45)
    assert "李经理测试" not in str(body)
    assert "contact_name" not in item
    assert "contact_phone" not in item


def test_updated_since_and_cursor_give_each_changed_posting_exactly_once(client, enterprise):
    postings = [make_posting(enterprise, title=f"岗位{i}") for i in range(7)]
    for i, posting in enumerate(postings):
        stamp(posting, i)
    # Two postings share a timestamp: the id breaks the tie across a page boundary.
    stamp(postings[4], 3)
    seen = sync(client, updated_since=(T0 + dt.timedelta(minutes=2)).isoformat(), limit=2)
    ids = [item["id"] for item in seen]
    assert sorted(ids) == sorted(p.pk for p in postings[2:])
    assert len(ids) == len(set(ids)) == 5
    everything = sync(client, limit=3)
    assert [item["id"] for item in everything] == [
        p.pk for p in sorted(postings, key=lambda p: (Posting.objects.get(pk=p.pk).updated_at, p.pk))
    ]


def test_postings_no_longer_public_come_as_withdrawn(client, enterprise):
    kept = make_posting(enterprise, title="仍在招")
    paused = make_posting(enterprise, title="暂停")
    closed = make_posting(enterprise, title="关闭")
    expired = make_posting(enterprise, title="过期")
    never = make_posting(enterprise, title="从未发布", status=PostingStatus.SUBMITTED)
    Posting.objects.filter(pk=paused.pk).update(status=PostingStatus.PAUSED)
    Posting.objects.filter(pk=closed.pk).update(status=PostingStatus.CLOSED, closed_at=timezone.now())
    Posting.objects.filter(pk=expired.pk).update(end_date=timezone.localdate() - dt.timedelta(days=1))
    for minutes, posting in enumerate((kept, paused, closed, expired, never)):
        stamp(posting, 10 + minutes)
    items = {item["id"]: item for item in sync(client, updated_since="2026-02-01T16:05:00+08:00")}
    assert set(items) == {kept.pk, paused.pk, closed.pk, expired.pk}
    assert items[kept.pk]["status"] == "published"
    for posting in (paused, closed, expired):
        assert set(items[posting.pk]) == {"id", "status", "updated_at"}
        assert items[posting.pk]["status"] == "withdrawn"


def test_detail_is_public_and_hides_what_is_not(client, enterprise):
    posting = make_posting(enterprise, title="公开")
    response = client.get(f"{FEED}/{posting.pk}")
    assert response.status_code == 200
    assert response.json()["title"] == "公开"
    for status in (PostingStatus.DRAFT, PostingStatus.PAUSED, PostingStatus.CLOSED):
        hidden = make_posting(enterprise, title=status, status=status)
        assert client.get(f"{FEED}/{hidden.pk}").status_code == 404
    expired = make_posting(enterprise, end_date=timezone.localdate() - dt.timedelta(days=1))
    assert client.get(f"{FEED}/{expired.pk}").status_code == 404


def test_bad_cursor_and_limit_are_refused(client, enterprise):
    response = client.get(FEED, {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert "cursor" in response.json()["detail"]
    assert client.get(FEED, {"limit": 501}).status_code == 422
    assert client.get(FEED, {"limit": 0}).status_code == 422
