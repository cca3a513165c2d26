"""WeChat template messages, binding and the callback, against the local stand-in of the WeChat API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import include, path, reverse
from django.utils import timezone, translation

from wengang.audit.models import AuditEvent
from wengang.outreach import wechat_views
from wengang.outreach.backends import Outgoing
from wengang.outreach.backends.wechat import WeChatBackend
from wengang.outreach.choices import InboundAction, MessageState
from wengang.outreach.models import Inbound, Message, WeChatBinding
from wengang.outreach.outbox import message_enqueue
from wengang.outreach.relay import relay_once
from wengang.outreach.wechat import callback_signature, wechat_bind, wechat_oauth_openid, wechat_unbind
from wengang.outreach.wechat_standin import WeChatStandIn, template_finish_xml, text_message_xml

from .factories import make_reachable

# The callback under its real name until it is wired into the outreach URLs.
urlpatterns = [path("outreach/", include((wechat_views.urlpatterns, "outreach"), namespace="outreach"))]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

_TOMORROW = timezone.localdate() + dt.timedelta(days=1)
NOON = timezone.make_aware(dt.datetime.combine(_TOMORROW, dt.time(12)), timezone.get_current_timezone())
CALLBACK_TOKEN = "cb-token-1"


@pytest.fixture
def standin(settings):
    standin = WeChatStandIn(appid="wx-test", secret="s3cret")
    conf = dict(settings.WENGANG_OUTREACH)
    conf["wechat"] = {
        "api": standin.start(),
        "appid": "wx-test",
        "secret": "s3cret",
        "token": CALLBACK_TOKEN,
        "template_id": "tpl-job",
    }
    settings.WENGANG_OUTREACH = conf
    cache.clear()
    yield standin
    standin.stop()
    cache.clear()


def follower(people, seq, openid):
    person = make_reachable(people["county_admin"], "410329001", seq, channels=("sms", "wechat"))
    wechat_bind(person=person, openid=openid, actor=people["county_admin"])
    return person


def enqueue(person, key, body="伊川县招聘电焊工，月薪六千元", **kw):
    return message_enqueue(channel="wechat", idempotency_key=key, body=body, person=person, kick=False, **kw)


def relay():
    backend = WeChatBackend()
    try:
        return relay_once("wechat", limit=50, backend=backend, now=NOON)
    finally:
        backend.close()


def test_one_token_serves_many_sends(people, standin):
    persons = [follower(people, 60 + i, f"o-follower-{i}") for i in range(3)]
    messages = [enqueue(p, f"wx-{i}", subject="岗位推荐") for i, p in enumerate(persons)]

    assert relay().counts == {"sent": 3}

    assert standin.token_requests == 1
    assert [(a["touser"], a["template_id"], a["client_msg_id"]) for a in standin.accepted] == [
        ("o-follower-0", "tpl-job", "wx-0"),
        ("o-follower-1", "tpl-job", "wx-1"),
        ("o-follower-2", "tpl-job", "wx-2"),
    ]
    data = standin.accepted[0]["data"]
    assert data["first"] == {"value": "岗位推荐"}
    assert data["keyword1"] == {"value": "伊川县招聘电焊工，月薪六千元"}
    assert data["remark"] == {"value": ""}
    for message, accepted in zip(messages, standin.accepted, strict=True):
        message.refresh_from_db()
        assert (message.state, message.gateway_ref) == (MessageState.SENT, str(accepted["msgid"]))

    # A later pass (a new backend) uses the cached token.
    enqueue(persons[0], "wx-later")
    assert relay().counts == {"sent": 1}
    assert standin.token_requests == 1


def test_expired_token_is_refreshed_and_the_send_retried(people, standin):
    person = follower(people, 64, "o-expiring")
    enqueue(person, "wx-a")
    relay()
    standin.expire_tokens()
    message = enqueue(person, "wx-b")

    assert relay().counts == {"sent": 1}

    assert standin.token_requests == 2
    assert [r["client_msg_id"] for r in standin.requests] == ["wx-a", "wx-b", "wx-b"]
    message.refresh_from_db()
    assert message.state == MessageState.SENT


def test_error_codes_map_to_retry_or_give_up(people, standin):
    cases = {"o-unfollowed": 43004, "o-refused": 43101, "o-busy": -1, "o-quota": 45009}
    messages = {}
    for seq, (openid, errcode) in enumerate(cases.items(), start=65):
        standin.fail[openid] = errcode
        messages[openid] = enqueue(follower(people, seq, openid), f"wx-{openid}")

    assert relay().counts == {"failed": 2, "retried": 2}

    states = {}
    for openid, message in messages.items():
        message.refresh_from_db()
        states[openid] = (message.state, message.last_error.split(":")[0])
    assert states == {
        "o-unfollowed": (MessageState.FAILED, "WeChat 43004"),
        "o-refused": (MessageState.FAILED, "WeChat 43101"),
        "o-busy": (MessageState.QUEUED, "WeChat -1"),
        "o-quota": (MessageState.QUEUED, "WeChat 45009"),
    }


def test_api_down_is_retried(people, standin):
    message = enqueue(follower(people, 69, "o-down"), "wx-down")
    standin.stop()

    assert relay().counts == {"retried": 1}

    message.refresh_from_db()
    assert message.state == MessageState.QUEUED
    assert message.last_error.startswith("WeChat API unreachable")


def test_resend_after_a_crash_is_delivered_once(people, standin):
    person = follower(people, 70, "o-crash")
    message = enqueue(person, "wx-crash")
    # A relay sent it and died before recording the answer: the message is still due.
    first = WeChatBackend().send(
        Outgoing(
            message_id=message.pk, key=message.idempotency_key, channel="wechat", address="o-crash", body="x"
        )
    )

    assert relay().counts == {"sent": 1}

    assert len(standin.requests) == 2
    assert len(standin.accepted) == 1
    message.refresh_from_db()
    assert message.gateway_ref == first.gateway_ref


def test_oauth_code_binds_the_openid(people, standin):
    person = make_reachable(people["county_admin"], "410329001", 71, channels=("wechat",))
    other = make_reachable(people["county_admin"], "410329001", 72, channels=("wechat",))
    code = standin.issue_code("o-bound-openid")

    openid = wechat_oauth_openid(code)
    binding = wechat_bind(person=person, openid=openid)

    assert (binding.person, binding.openid) == (person, "o-bound-openid")
    event = AuditEvent.objects.filter(object_type="registry.person", object_id=str(person.pk)).latest("id")
    assert event.changes["wechat"] == ["", "o-boun…"]
    assert "o-bound-openid" not in str(event.changes)
    with translation.override("en"), pytest.raises(ValidationError, match="invalid or has expired"):
        wechat_oauth_openid(code)  # a code is good once
    with translation.override("en"), pytest.raises(ValidationError, match="invalid or has expired"):
        wechat_oauth_openid("made-up")

    # Binding again replaces; the same openid bound to someone else leaves the first person.
    wechat_bind(person=person, openid="o-second")
    assert list(WeChatBinding.objects.values_list("person", "openid")) == [(person.pk, "o-second")]
    wechat_bind(person=other, openid="o-second")
    assert list(WeChatBinding.objects.values_list("person", "openid")) == [(other.pk, "o-second")]
    assert wechat_unbind(other) is True
    assert wechat_unbind(other) is False
    assert not WeChatBinding.objects.exists()


def signed(url, token=CALLBACK_TOKEN, **extra):
    query = {"timestamp": "1764300000", "nonce": "n0nce", **extra}
    query["signature"] = callback_signature(token, query["timestamp"], query["nonce"])
    return url + "?" + "&".join(f"{k}={v}" for k, v in query.items())


def test_callback_checks_the_signature(client, standin):
    url = reverse("outreach:wechat_callback")

    assert client.get(signed(url, echostr="hello")).content == b"hello"
    assert client.get(signed(url, token="wrong", echostr="hello")).status_code == 403
    assert client.get(url + "?echostr=hello").status_code == 403
    body = template_finish_xml(openid="o-x", msgid=1)
    assert client.post(signed(url, token="wrong"), body, content_type="text/xml").status_code == 403
    assert client.post(signed(url), "<xml><a>", content_type="text/xml").status_code == 400


def test_template_finish_event_delivers_or_fails_the_message(client, people, standin):
    person = follower(people, 73, "o-report")
    ok = enqueue(person, "wx-ok")
    blocked = enqueue(person, "wx-blocked")
    relay()
    ok.refresh_from_db()
    blocked.refresh_from_db()
    url = signed(reverse("outreach:wechat_callback"))

    for message, status in ((ok, "success"), (blocked, "failed:user block")):
        xml = template_finish_xml(openid="o-report", msgid=message.gateway_ref, status=status)
        response = client.post(url, xml, content_type="text/xml")
        assert (response.status_code, response.content) == (200, b"success")

    ok.refresh_from_db()
    blocked.refresh_from_db()
    assert ok.state == MessageState.DELIVERED
    assert ok.delivered_at is not None
    assert (blocked.state, blocked.last_error) == (MessageState.FAILED, "wechat failed:user block")


def test_td_text_opts_out_of_wechat_only(client, people, standin):
    person = follower(people, 74, "o-leaving")
    url = signed(reverse("outreach:wechat_callback"))
    xml = text_message_xml(openid="o-leaving", content="退订", msgid=555)

    assert client.post(url, xml, content_type="text/xml").content == b"success"
    assert client.post(url, xml, content_type="text/xml").content == b"success"  # WeChat retries a push

    reply = Inbound.objects.get()
    assert (reply.channel, reply.action, reply.person, reply.gateway_ref) == (
        "wechat",
        InboundAction.OPT_OUT,
        person,
        "555",
    )
    person.refresh_from_db()
    assert (person.consent_wechat, person.consent_sms) == (False, True)
    later = enqueue(person, "wx-after")
    assert later.state == MessageState.SKIPPED
    assert not Message.objects.filter(state=MessageState.QUEUED).exists()
