"""Browser tests of labour demand: an enterprise posts with a suggested occupation, staff publish it, the
public job board shows it; the dispatch board draws its chart."""

from __future__ import annotations

import pytest

from tests.test_browser import _login, browser_page  # noqa: F401  (the fixture is reused)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _home_settled(page):
    """Logins land on the home page; let its map finish loading before going elsewhere."""
    page.wait_for_selector("#county-map[data-ready='1'] canvas", timeout=15000)


@pytest.fixture
def demand(regions_loaded):
    from wengang.accounts.tests.factories import make_user
    from wengang.employers.tests.factories import make_enterprise
    from wengang.jobs.occupations import occupations_sync

    occupations_sync()
    enterprise = make_enterprise(name="浏览器测试电子厂", area_code="410329001")
    return {
        "enterprise": enterprise,
        "employer": make_user("b_emp", "employer", "410329", enterprise=enterprise),
        "specialist": make_user("b_spec", "specialist", "410329001"),
        "county": make_user("b_county2", "county_admin", "410329"),
    }


def test_enterprise_posts_staff_publish_public_sees(browser_page, live_server, demand):  # noqa: F811
    from wengang.jobs.models import Posting

    page, base = browser_page, live_server.url
    _login(page, base, "b_emp")
    _home_settled(page)
    page.goto(f"{base}/jobs/postings/new/")
    page.fill("#id_describe", "急招电焊工两名，要求持证")
    suggestion = page.get_by_test_id("occupation-suggestions").locator("input[type=radio]").first
    suggestion.wait_for(timeout=10000)
    suggestion.check()
    page.fill("#id_title", "持证电焊工")
    page.fill("#id_headcount", "2")
    page.fill("#id_wage_min", "6000")
    page.fill("#id_wage_max", "8000")
    page.select_option("#id_board", "both")
    page.locator("form button[type=submit]").click()
    page.get_by_test_id("to-submitted").click()
    assert page.get_by_test_id("posting-status").inner_text() in ("待审核", "Submitted for review")
    posting = Posting.objects.get(title="持证电焊工")
    assert posting.occupation is not None
    assert "焊" in posting.occupation.name
    assert page.get_by_test_id("to-published").count() == 0

    page.context.clear_cookies()
    _login(page, base, "b_spec")
    _home_settled(page)
    page.goto(f"{base}/jobs/postings/?status=submitted")
    page.get_by_role("link", name="持证电焊工").click()
    page.get_by_test_id("to-published").click()
    posting.refresh_from_db()
    assert posting.status == "published"
    assert posting.reviewed_by.username == "b_spec"

    page.context.clear_cookies()
    page.goto(f"{base}/board/")
    page.get_by_role("link", name="持证电焊工").first.click()
    body = page.locator("body").inner_text()
    assert "浏览器测试电子厂" in body
    assert "8000" in body.replace(",", "")
    assert page.console_errors == []


def test_dispatch_board_chart(browser_page, live_server, demand):  # noqa: F811
    from wengang.jobs.tests.factories import make_posting

    enterprise = demand["enterprise"]
    enterprise.key_category = "medical_supplies"
    enterprise.save()
    make_posting(enterprise, headcount=12)
    page, base = browser_page, live_server.url
    _login(page, base, "b_county2", demand["county"])
    _home_settled(page)
    page.goto(f"{base}/jobs/dispatch/")
    page.wait_for_selector("#category-chart canvas", timeout=15000)
    assert page.get_by_test_id("shortfall").first.inner_text() == "12"
    assert page.console_errors == []
