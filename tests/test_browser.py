"""Browser tests: the real pages in Debian's headless Chromium, driven by Playwright."""

from __future__ import annotations

import os

import pytest

from conftest import totp_now
from wengang.accounts.tests.factories import PASSWORD

CHROMIUM = os.environ.get("WENGANG_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page(live_server):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = (
        "true"  # Playwright's sync API runs an event loop in this thread
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
        page = context.new_page()
        page.console_errors = []
        page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
        page.on("pageerror", lambda e: page.console_errors.append(str(e)))
        # A request the browser abandons because the page navigated on (net::ERR_ABORTED) is not an error.
        page.on(
            "requestfailed",
            lambda r: (
                None
                if "ERR_ABORTED" in (r.failure or "")
                else page.console_errors.append(f"request failed: {r.url} {r.failure}")
            ),
        )
        page.on(
            "response", lambda r: r.status >= 400 and page.console_errors.append(f"HTTP {r.status}: {r.url}")
        )
        page.on(
            "request",
            lambda r: (
                None
                if r.url.startswith(live_server.url) or r.url.startswith("data:")
                else page.console_errors.append(f"off-host request: {r.url}")
            ),
        )
        yield page
        browser.close()


def _login(page, base, username, user=None):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    if user is not None:
        page.get_by_label("身份验证器", exact=False).fill(totp_now(user))
        page.get_by_role("button", name="验证").click()


def test_county_admin_sees_home_and_map_without_console_errors(browser_page, live_server, regions_loaded):
    from wengang.accounts.tests.factories import make_user
    from wengang.regions.models import Region

    admin = make_user("b_county", "county_admin", "410329")
    page = browser_page
    _login(page, live_server.url, "b_county", admin)
    page.wait_for_url(f"{live_server.url}/")
    villages = Region.objects.filter(code__startswith="410329", level="village").count()
    assert page.get_by_test_id("count-villages").inner_text().replace(",", "") == str(villages)
    page.wait_for_selector("#county-map[data-ready='1'] canvas", timeout=15000)
    assert "县级管理员" in page.get_by_test_id("who").inner_text()
    nav = page.locator("nav.sidenav").inner_text()
    for label in (
        "台账",
        "企业",
        "用工需求",
        "用工调度",
        "人岗对接",
        "就业援助",
        "推送任务",
        "电话联系名单",
        "包车返岗",
        "返乡人员健康台账",
        "监测预警",
        "劳务协作",
        "数据大屏",
    ):
        assert label in nav
    assert "审计日志" not in nav
    page.screenshot(path=str(_shot_dir() / "home-county-admin.png"), full_page=True)
    assert page.console_errors == []


def test_auditor_verifies_the_chain_and_watches_progress(browser_page, live_server, regions_loaded):
    from wengang.accounts.tests.factories import make_user

    auditor = make_user("b_auditor", "auditor", "410300")
    page = browser_page
    _login(page, live_server.url, "b_auditor", auditor)
    page.wait_for_url(f"{live_server.url}/audit/")
    assert page.locator("table tbody tr").count() >= 1  # the login itself is there
    page.get_by_role("button", name="校验哈希链").click()
    page.wait_for_selector("[data-testid=task-progress][data-status=succeeded]", timeout=15000)
    assert page.get_by_test_id("verify-ok").is_visible()
    page.screenshot(path=str(_shot_dir() / "audit-verify.png"), full_page=True)
    assert page.console_errors == []


def _shot_dir():
    from django.conf import settings

    path = settings.STATIC_ROOT.parent / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_specialist_finds_a_person_and_reveals_the_phone_with_a_reason(
    browser_page, live_server, regions_loaded
):
    from conftest import make_id
    from wengang.accounts.tests.factories import make_user
    from wengang.regions.models import Region
    from wengang.registry.services import EmploymentChange, person_create

    specialist = make_user("b_spec", "specialist", "410329001")
    village = Region.objects.filter(code__startswith="410329001", level="village").order_by("code").first()
    import datetime as dt

    person_create(
        actor=specialist,
        id_number=make_id("410329", "19900101", 11),
        name="浏览器测试",
        village_code=village.code,
        phone="13912340001",
        employment=EmploymentChange(status="unemployed_seeking", occurred_on=dt.date(2026, 2, 9)),
    )
    page = browser_page
    _login(page, live_server.url, "b_spec")
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_test_id("count-labour-force").inner_text() == "1"
    page.get_by_role("link", name="台账", exact=True).click()
    page.get_by_label("姓名、身份证号或手机号码").fill("13912340001")
    page.get_by_role("button", name="筛选").click()
    page.get_by_role("link", name="浏览器测试").click()
    assert "139****0001" in page.content()
    assert "13912340001" not in page.content()
    assert "未就业" in page.get_by_test_id("timeline").inner_text()
    page.locator("a", has_text="查看完整号码").last.click()
    page.get_by_label("事由").fill("电话回访核实")
    page.get_by_role("button", name="查看").click()
    assert page.get_by_test_id("revealed").inner_text() == "13912340001"
    page.screenshot(path=str(_shot_dir() / "registry-unmask.png"), full_page=True)
    assert page.console_errors == []
