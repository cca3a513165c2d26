"""The worker's pages in Debian's headless Chromium at a phone's 360×740: log in with the SMS code from the
test gateway, see recommendations, apply, withdraw SMS consent, log out; another worker meets 404 on the
first worker's application and message."""

from __future__ import annotations

import os
import re

import pytest

from tests.test_browser import ARGS, CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE_A = "13900000601"
PHONE_B = "13900000602"


@pytest.fixture
def mobile_page(live_server):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = (
        "true"  # Playwright's sync API runs an event loop in this thread
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, locale="zh-CN", is_mobile=True, has_touch=True
        )
        page = context.new_page()
        page.console_errors = []
        # The browser asks for /favicon.ico by itself when a page names no icon; that 404 is not the page's.
        page.on(
            "console",
            lambda m: (
                m.type == "error"
                and not m.location.get("url", "").endswith("/favicon.ico")
                and page.console_errors.append(f"{m.text} {m.location.get('url', '')}")
            ),
        )
        page.on("pageerror", lambda e: page.console_errors.append(str(e)))
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


@pytest.fixture
def world(regions_loaded):
    from wengang.accounts.models import User
    from wengang.accounts.tests.factories import make_user
    from wengang.employers.tests.factories import make_enterprise
    from wengang.jobs.occupations import occupations_sync
    from wengang.jobs.tests.factories import make_posting
    from wengang.outreach.backends import MemoryBackend
    from wengang.outreach.tests.factories import make_reachable
    from wengang.workers.auth_services import phone_hash, worker_username
    from wengang.workers.tests.pages_fixtures import make_inbox_message, recommend

    occupations_sync()
    MemoryBackend.reset()
    admin = make_user("bw_county", "county_admin", "410329")
    enterprise = make_enterprise(name="手机测试电子厂", area_code="410329001")
    postings = [
        make_posting(enterprise, title="电子厂装配工", board="both"),
        make_posting(enterprise, title="物流分拣员"),
    ]
    accounts = {}
    for seq, phone in ((601, PHONE_A), (602, PHONE_B)):
        person = make_reachable(admin, "410329001", seq, channels=("sms", "app"), phone=phone)
        p_hash = phone_hash(phone)
        user = User(username=worker_username(p_hash), roles=["worker"], phone_hash=p_hash, person=person)
        user.set_unusable_password()
        user.save()
        accounts[phone] = user
    person_a = accounts[PHONE_A].person
    recommend(person_a, postings, reasons="距家约 8 公里 · 包吃住")
    message = make_inbox_message(person_a, body="甲的站内消息")
    yield {"postings": postings, "a": accounts[PHONE_A], "b": accounts[PHONE_B], "message": message}
    MemoryBackend.reset()


def _code_for(phone: str) -> str:
    from wengang.outreach.backends import MemoryBackend

    sent = [m for m in MemoryBackend.outbox if m.address == phone]
    assert sent, f"no SMS to {phone}"
    return re.search(r"(\d{6})\D*$", sent[-1].body).group(1)


def _log_in(page, base: str, phone: str) -> None:
    page.goto(f"{base}/m/login/")
    page.fill("input[name=phone]", phone)
    page.locator("form[action='/m/login/'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/m/login/code/"))
    page.fill("input[name=code]", _code_for(phone))
    page.locator("form[action='/m/login/code/'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/m/$"))


def _fits_the_screen(page, name: str) -> None:
    """No sideways scrolling at 360 px (and a screenshot when WENGANG_SCREENSHOTS names a folder)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    folder = os.environ.get("WENGANG_SCREENSHOTS")
    if folder:
        page.screenshot(path=f"{folder}/m-{name}.png", full_page=True)


def test_worker_logs_in_applies_withdraws_consent_and_logs_out(mobile_page, live_server, world):
    from wengang.jobs.models import Referral
    from wengang.registry.models import Person

    page, base = mobile_page, live_server.url
    _log_in(page, base, PHONE_A)
    recs = page.get_by_test_id("recommendation")
    assert recs.count() == 2
    assert "距家约 8 公里" in recs.first.inner_text()
    _fits_the_screen(page, "home")

    page.get_by_role("link", name="电子厂装配工").click()
    _fits_the_screen(page, "job")
    page.get_by_test_id("apply").click()
    page.wait_for_url(re.compile(r"/m/applications/\d+/$"))
    referral = Referral.objects.get(person=world["a"].person)
    assert (referral.source, referral.state, referral.posting.title) == (
        "self",
        "recommended",
        "电子厂装配工",
    )
    assert page.get_by_test_id("application-state").inner_text() in ("已推荐", "Recommended")

    page.goto(f"{base}/m/me/")
    _fits_the_screen(page, "me")
    page.get_by_test_id("consent-sms").locator("button").click()
    page.wait_for_url(re.compile(r"/m/me/"))
    person = Person.objects.get(pk=world["a"].person_id)
    assert person.consent_sms is False
    assert person.consent_app is True

    page.get_by_test_id("logout").click()
    page.wait_for_url(re.compile(r"/m/login/"))
    page.goto(f"{base}/m/")
    assert "/m/login/" in page.url
    assert page.console_errors == []


def test_another_worker_cannot_open_the_first_workers_application_or_message(mobile_page, live_server, world):
    from wengang.jobs.referrals import referral_record

    a = world["a"]
    referral = referral_record(actor=a, person=a.person, posting=world["postings"][1], source="self")
    page, base = mobile_page, live_server.url
    _log_in(page, base, PHONE_B)
    assert page.get_by_test_id("recommendation").count() == 0
    assert page.goto(f"{base}/m/applications/{referral.pk}/").status == 404
    assert page.goto(f"{base}/m/messages/{world['message'].pk}/").status == 404
    assert page.goto(f"{base}/m/applications/").status == 200
    assert "物流分拣员" not in page.locator("main").inner_text()
