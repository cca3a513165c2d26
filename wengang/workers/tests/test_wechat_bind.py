"""Binding WeChat from the worker's pages, against the local stand-in of the WeChat API."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.urls import reverse

from wengang.audit.models import AuditEvent
from wengang.outreach.models import WeChatBinding
from wengang.outreach.wechat_standin import WeChatStandIn
from wengang.workers.tests.pages_fixtures import *  # noqa: F403  (the fixtures)

pytestmark = pytest.mark.django_db
WECHAT_UA = "Mozilla/5.0 (Linux; Android 12) AppleWebKit/537.36 Mobile MicroMessenger/8.0.47"


@pytest.fixture
def standin(settings):
    standin = WeChatStandIn(appid="wx-test", secret="s3cret")
    conf = dict(settings.WENGANG_OUTREACH)
    conf["wechat"] = {"api": standin.start(), "appid": "wx-test", "secret": "s3cret"}
    settings.WENGANG_OUTREACH = conf
    cache.clear()
    yield standin
    standin.stop()
    cache.clear()


def test_inside_wechat_the_home_page_offers_binding_and_goes_to_oauth(client_a, standin):
    home = client_a.get(reverse("workers:home"), HTTP_USER_AGENT=WECHAT_UA).content.decode()
    assert 'data-testid="wechat-offer"' in home
    plain = client_a.get(reverse("workers:home")).content.decode()
    assert 'data-testid="wechat-offer"' not in plain
    response = client_a.get(reverse("workers:wechat_bind"), {"go": "1"}, HTTP_USER_AGENT=WECHAT_UA)
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}" == standin.url
    query = parse_qs(target.query)
    assert query["appid"] == ["wx-test"]
    assert query["redirect_uri"] == ["http://testserver" + reverse("workers:wechat_bind")]
    assert query["scope"] == ["snsapi_base"]


def test_a_code_binds_the_openid_to_my_person(client_a, worker_a, standin):
    code = standin.issue_code("openid-worker-a")
    response = client_a.get(reverse("workers:wechat_bind"), {"code": code}, HTTP_USER_AGENT=WECHAT_UA)
    assert response.status_code == 302
    assert response["Location"] == reverse("workers:me")
    binding = WeChatBinding.objects.get()
    assert (binding.person, binding.openid) == (worker_a.person, "openid-worker-a")
    event = AuditEvent.objects.filter(
        object_type="registry.person", object_id=str(worker_a.person.pk)
    ).latest("id")
    assert event.actor_id == worker_a.pk
    assert "wechat" in event.changes
    home = client_a.get(reverse("workers:home"), HTTP_USER_AGENT=WECHAT_UA).content.decode()
    assert 'data-testid="wechat-offer"' not in home


def test_a_used_or_unknown_code_binds_nothing(client_a, standin):
    code = standin.issue_code("openid-x")
    client_a.get(reverse("workers:wechat_bind"), {"code": code})
    WeChatBinding.objects.all().delete()
    response = client_a.get(reverse("workers:wechat_bind"), {"code": code})  # already used
    assert response.status_code == 200
    response = client_a.get(reverse("workers:wechat_bind"), {"code": "made-up"})
    assert response.status_code == 200
    assert not WeChatBinding.objects.exists()


def test_outside_wechat_the_page_explains(client_a, standin):
    response = client_a.get(reverse("workers:wechat_bind"), {"go": "1"})
    assert response.status_code == 200
    assert response.context["in_wechat"] is False
