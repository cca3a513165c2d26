"""The public job board: anonymous access, only public postings, filters, the posting page, page weight."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from wengang.employers.tests.factories import make_enterprise
from wengang.jobs.choices import Board, PostingStatus, WageUnit
from wengang.jobs.tests.factories import make_occupation, make_posting

pytestmark = pytest.mark.django_db

BOARD = "/board/"


@pytest.fixture
def world(db):
    """Enterprises in 伊川县, 偃师区 and 无锡 (a partner city), and one posting in each status."""
    yichuan = make_enterprise(name="伊川宏图机械有限公司", area_code="410329")
    yichuan.contact_name = "李经理测试"
    yichuan.contact_phone = "0379-61234567"
    yichuan.save()
    yanshi = make_enterprise(name="偃师鼎盛纺织有限公司", area_code="410307")
    wuxi = make_enterprise(name="无锡长河电子有限公司", area_code="320200")
    welder = make_occupation("6-18-02-04", "焊工", synonyms=["电焊工", "焊接工"], general_labour=False)
    guard = make_occupation("4-07-05-01", "保安员", synonyms=["门卫"])
    cook = make_occupation("4-03-02-01", "中式烹调师", synonyms=["厨师"])
    postings = {
        "welder": make_posting(
            yichuan,
            title="焊接岗位",
            occupation=welder,
            area_code="410329001",
            monthly_min=6000,
            monthly_max=8000,
            board=Board.BOTH,
        ),
        "guard": make_posting(
            yanshi, title="夜班值守", occupation=guard, monthly_min=3000, monthly_max=3500, board=Board.NONE
        ),
        "old_code": make_posting(
            yanshi,
            title="旧代码岗位",
            occupation=guard,
            area_code="410381",
            monthly_min=3200,
            monthly_max=3200,
        ),
        "wuxi": make_posting(
            wuxi,
            title="电子装配",
            occupation=guard,
            monthly_min=5000,
            monthly_max=None,
            board=Board.LODGING,
            is_directed_export=True,
            partner_region="无锡",
        ),
        "day_rate": make_posting(
            yichuan,
            title="后厨帮工",
            occupation=cook,
            wage_unit=WageUnit.DAY,
            wage_min=150,
            wage_max=200,
            monthly_min=3262,
            monthly_max=4350,
            board=Board.MEALS,
            wage_note="月底结算",
        ),
    }
    hidden = {
        status: make_posting(yichuan, title=f"隐藏{status}", occupation=cook, status=status)
        for status in (
            PostingStatus.DRAFT,
            PostingStatus.SUBMITTED,
            PostingStatus.PAUSED,
            PostingStatus.FILLED,
            PostingStatus.CLOSED,
        )
    }
    hidden["expired"] = make_posting(
        yichuan, title="隐藏expired", occupation=cook, end_date=timezone.localdate() - dt.timedelta(days=1)
    )
    return {"postings": postings, "hidden": hidden, "yichuan": yichuan}


def titles(response) -> list[str]:
    return re.findall(r'<strong class="pub-title">([^<]+)</strong>', response.content.decode())


def test_anonymous_board_lists_only_public_postings(client, world):
    response = client.get(BOARD)
    assert response.status_code == 200
    shown = titles(response)
    assert sorted(shown) == sorted(p.title for p in world["postings"].values())
    assert not [t for t in shown if t.startswith("隐藏")]


def test_hidden_postings_are_404_for_everyone(client, world, people):
    for posting in world["hidden"].values():
        assert client.get(reverse("portal:board_posting", args=[posting.pk])).status_code == 404
    client.force_login(people["city_admin"], backend="wengang.accounts.backends.StaffBackend")
    assert client.get(reverse("portal:board_posting", args=[world["hidden"]["draft"].pk])).status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("occupation=6-18-02-04", {"焊接岗位"}),
        ("county=410329", {"焊接岗位", "后厨帮工"}),
        ("county=410307", {"夜班值守", "旧代码岗位"}),  # 偃师市 410381 counts under 偃师区
        ("county=outside", {"电子装配"}),
        ("min_pay=5000", {"焊接岗位", "电子装配"}),
        ("min_pay=4000", {"焊接岗位", "电子装配", "后厨帮工"}),  # 4,350 at most still suits 4,000
        ("board=both", {"焊接岗位"}),
        ("board=lodging", {"焊接岗位", "电子装配"}),
        ("board=meals", {"焊接岗位", "后厨帮工"}),
        ("q=电焊工", {"焊接岗位"}),  # a synonym of 焊工
        ("q=厨师", {"后厨帮工"}),  # not the hidden cook postings
        ("q=鼎盛", {"夜班值守", "旧代码岗位"}),  # enterprise name
        ("q=装配", {"电子装配"}),  # title
        ("q=电焊工&county=410307", set()),
        ("county=410329&board=meals&min_pay=4000", {"焊接岗位", "后厨帮工"}),
    ],
)
def test_filters(client, world, query, expected):
    response = client.get(f"{BOARD}?{query}")
    assert response.status_code == 200
    assert set(titles(response)) == expected


def test_bad_filter_values_are_ignored_and_reported(client, world):
    response = client.get(f"{BOARD}?min_pay=abc&county=999999&q=焊")
    assert response.status_code == 200
    assert set(titles(response)) == {"焊接岗位"}
    assert 'class="pub-err"' in response.content.decode()


def test_occupation_select_offers_only_occupations_with_published_postings(client, world):
    make_occupation("9-99-99-99", "无岗位职业")
    html = client.get(BOARD).content.decode()
    assert 'value="6-18-02-04"' in html
    assert 'value="9-99-99-99"' not in html
    assert 'value="410329"' in html
    assert 'value="outside"' in html
    assert 'value="410381"' not in html  # a code that no longer exists is not offered


def test_sort_by_pay_and_newest(client, world):
    by_pay = titles(client.get(f"{BOARD}?sort=pay"))
    assert by_pay[0] == "焊接岗位"
    assert by_pay.index("电子装配") < by_pay.index("后厨帮工") < by_pay.index("夜班值守")
    newest = world["postings"]["guard"]
    type(newest).objects.filter(pk=newest.pk).update(published_at=timezone.now() + dt.timedelta(minutes=5))
    assert titles(client.get(BOARD))[0] == "夜班值守"


def test_pagination_20_per_page(client, world, django_assert_max_num_queries):
    for i in range(20):
        make_posting(world["yichuan"], title=f"批量{i:02d}")
    with django_assert_max_num_queries(8):
        first = client.get(BOARD)
    assert len(titles(first)) == 20
    assert "page=2" in first.content.decode()
    assert len(titles(client.get(f"{BOARD}?page=2"))) == 5


def test_posting_page_shows_what_a_worker_needs_and_nothing_personal(client, world):
    posting = world["postings"]["day_rate"]
    posting.certificates = ["健康证"]
    posting.address = "产业集聚区纬二路18号"
    posting.area_code = "410329001"
    posting.save()
    response = client.get(reverse("portal:board_posting", args=[posting.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("后厨帮工", "伊川宏图机械有限公司", "中式烹调师", "3,262–4,350", "150–200", "月底结算"):
        assert text in html, text
    assert "伊川县" in html
    assert "产业集聚区纬二路18号" in html
    assert "健康证" in html
    assert "12333" in html
    assert "0379-61234567" in html  # the enterprise's recruitment line is business information
    assert "李经理测试" not in html  # its contact person is not shown
    assert "/m/login" not in html  # no worker login yet: the hotline text instead


def test_directed_export_posting_names_partner_city(client, world):
    html = client.get(reverse("portal:board_posting", args=[world["postings"]["wuxi"].pk])).content.decode()
    assert "无锡" in html
    assert "0379-61234567" not in html


def test_mobile_page_is_light_and_script_free(client, world):
    for i in range(20):
        make_posting(
            world["yichuan"], title=f"较长的岗位名称用来估算页面大小{i:02d}", wage_note="计件，多劳多得"
        )
    html = client.get(BOARD).content
    assert b'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert b"<script" not in html
    assert b"site.css" not in html
    assert b"sidenav" not in html
    css = Path(settings.BASE_DIR, "wengang/static/portal/board.css").read_bytes()
    assert len(html) + len(css) < 100_000


def test_apply_link_appears_once_worker_login_exists(client, world, monkeypatch):
    from wengang.portal import views

    real_reverse = views.reverse

    def reverse_with_login(name, *args, **kwargs):
        return "/m/login/" if name == "portal:worker_login" else real_reverse(name, *args, **kwargs)

    monkeypatch.setattr(views, "reverse", reverse_with_login)
    posting = world["postings"]["welder"]
    html = client.get(reverse("portal:board_posting", args=[posting.pk])).content.decode()
    assert f'href="/m/login/?next=%2Fboard%2F{posting.pk}%2F"' in html
