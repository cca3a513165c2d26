"""Campaigns: approval, scheduling, queuing (channel preference, idempotency), progress, cancel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from wengang.assistance.tests.factories import make_case
from wengang.audit.models import AuditEvent
from wengang.background.models import BackgroundTask, Status
from wengang.employers.tests.factories import make_enterprise
from wengang.jobs.tests.factories import make_posting
from wengang.matching.models import MatchRun, Recommendation
from wengang.outreach import campaigns as campaigns_module
from wengang.outreach.campaigns import (
    campaign_approve,
    campaign_cancel,
    campaign_counts,
    campaign_create,
    campaign_queue,
    campaign_submit,
    campaigns_start_due,
    template_save,
)
from wengang.outreach.choices import CampaignStatus, MessageState
from wengang.outreach.models import Campaign, Message, WeChatBinding
from wengang.outreach.segments import segment_save
from wengang.regions.selectors import region_names

from .factories import make_reachable

pytestmark = pytest.mark.django_db


@pytest.fixture
def kicks(monkeypatch):
    """The relay is not run here (its own tests cover it): record which channels were kicked."""
    calls: list[str] = []
    monkeypatch.setattr(campaigns_module, "relay_soon", calls.append)
    return calls


@pytest.fixture
def audience(people):
    admin = people["county_admin"]
    sms_person = make_reachable(admin, "410329001", 1, name="短信人")
    wechat_person = make_reachable(admin, "410329001", 2, channels=("sms", "wechat"), name="微信人")
    WeChatBinding.objects.create(person=wechat_person, openid="o-wx")
    refuser = make_reachable(admin, "410329001", 3, channels=(), name="拒收人")
    return {"sms": sms_person, "wechat": wechat_person, "none": refuser}


def _campaign(
    people, *, body="{姓名}您好，为您推荐{岗位}，详见{链接}，咨询{专员电话}", by="specialist", **kw
):
    actor = people[by]
    template = template_save(actor=actor, name="推荐", body=body)
    segment = segment_save(actor=actor, name="全部", filters={})
    return campaign_create(
        actor=actor,
        name=kw.pop("name", "三月推荐"),
        segment=segment,
        template=template,
        channels=kw.pop("channels", ["wechat", "sms"]),
        **kw,
    )


def test_channel_preference_rendering_and_idempotent_queue(people, audience, kicks, settings):
    settings.WENGANG_PUBLIC_URL = "https://jobs.example.cn"
    posting = make_posting(
        make_enterprise(name="孟津企业", area_code="410322"),
        title="电焊工",
        monthly_min=6500,
        monthly_max=6500,
    )
    run = MatchRun.objects.create(scope_code="410329")
    Recommendation.objects.create(run=run, person=audience["sms"], posting=posting, rank=1, score=1.0)
    make_case(audience["sms"], specialist=people["specialist"])
    campaign = _campaign(people)
    assert campaign_queue(campaign) == 3
    rows = {m.person_id: m for m in Message.objects.filter(campaign=campaign)}
    assert (rows[audience["sms"].pk].channel, rows[audience["sms"].pk].state) == ("sms", MessageState.QUEUED)
    assert (rows[audience["wechat"].pk].channel, rows[audience["wechat"].pk].state) == ("wechat", "queued")
    assert (rows[audience["none"].pk].channel, rows[audience["none"].pk].state) == ("wechat", "skipped")
    first = rows[audience["sms"].pk]
    county = region_names(["410322"])["410322"]
    assert first.body == (
        f"短信人您好，为您推荐电焊工 6500元/月 {county}，详见https://jobs.example.cn/board/{posting.pk}/，咨询13912345678"
    )
    assert first.postings == [posting.pk]
    assert first.segments == 2
    assert first.idempotency_key == f"campaign:{campaign.pk}:person:{audience['sms'].pk}"
    assert rows[audience["wechat"].pk].body.endswith("咨询12333")  # no specialist: the hotline
    assert kicks == ["sms", "wechat"]
    # A re-run (after a crash) writes nothing twice.
    assert campaign_queue(campaign) == 0
    assert Message.objects.filter(campaign=campaign).count() == 3
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING
    assert campaign_counts(campaign) == {"queued": {"sms": 1, "wechat": 1}, "skipped": {"wechat": 1}}


def test_small_campaign_goes_straight_to_the_queue(
    people, audience, kicks, django_capture_on_commit_callbacks
):
    campaign = _campaign(people)
    with django_capture_on_commit_callbacks(execute=True):
        campaign = campaign_submit(actor=people["specialist"], campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.audience_size == 3
    assert campaign.status == CampaignStatus.SENDING
    task = BackgroundTask.objects.get(pk=campaign.task_id)
    assert (task.kind, task.status, task.rows_done, task.rows_total) == (
        "outreach.campaign_queue",
        Status.SUCCEEDED,
        3,
        3,
    )
    assert Message.objects.filter(campaign=campaign).count() == 3
    statuses = [e.changes.get("status") for e in AuditEvent.objects.filter(object_type="outreach.campaign")]
    assert ["draft", "queuing"] in statuses
    assert ["queuing", "sending"] in statuses


def test_above_the_threshold_a_second_person_approves(
    people, audience, kicks, settings, django_capture_on_commit_callbacks
):
    settings.WENGANG_OUTREACH = {**settings.WENGANG_OUTREACH, "approval_size": 2}
    campaign = _campaign(people, by="county_admin")
    campaign = campaign_submit(actor=people["county_admin"], campaign=campaign)
    assert campaign.status == CampaignStatus.AWAITING_APPROVAL
    with pytest.raises(PermissionDenied):
        campaign_approve(actor=people["county_admin"], campaign=campaign)  # the creator
    with pytest.raises(PermissionDenied):
        campaign_approve(actor=people["specialist"], campaign=campaign)  # no approve right
    with pytest.raises(PermissionDenied):
        campaign_approve(actor=people["other_county_admin"], campaign=campaign)  # another county
    campaign.refresh_from_db()
    assert (campaign.status, campaign.approved_by_id) == (CampaignStatus.AWAITING_APPROVAL, None)
    assert not Message.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        campaign_approve(actor=people["city_admin"], campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.approved_by == people["city_admin"]
    assert campaign.status == CampaignStatus.SENDING
    assert Message.objects.filter(campaign=campaign).count() == 3


def test_scheduled_campaign_starts_when_due(people, audience, kicks, django_capture_on_commit_callbacks):
    at = timezone.now() + dt.timedelta(hours=2)
    campaign = _campaign(people, scheduled_at=at)
    campaign = campaign_submit(actor=people["specialist"], campaign=campaign)
    assert campaign.status == CampaignStatus.SCHEDULED
    assert campaigns_start_due() == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert campaigns_start_due(now=at + dt.timedelta(seconds=1)) == 1
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING
    assert Message.objects.filter(campaign=campaign).count() == 3
    # Once no message is waiting, the campaign is finished.
    Message.objects.filter(campaign=campaign, state=MessageState.QUEUED).update(state=MessageState.DELIVERED)
    campaigns_start_due()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DONE
    assert campaign.finished_at


def test_cancel_stops_waiting_messages(people, audience, kicks):
    campaign = _campaign(people)
    campaign_queue(campaign)
    Message.objects.filter(person=audience["sms"]).update(state=MessageState.SENT)
    with pytest.raises(PermissionDenied):
        campaign_cancel(actor=people["other_county_admin"], campaign=campaign)
    campaign_cancel(actor=people["specialist"], campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED
    assert campaign_counts(campaign) == {
        "sent": {"sms": 1},
        "cancelled": {"wechat": 1},
        "skipped": {"wechat": 1},
    }
    with pytest.raises(ValidationError):
        campaign_cancel(actor=people["specialist"], campaign=campaign)
    assert campaign_queue(campaign) == 0


def test_rules_on_create_and_submit(people, audience):
    with pytest.raises(ValidationError) as exc:
        _campaign(people, channels=["fax"])
    assert "channels" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _campaign(people, name="过去", scheduled_at=timezone.now() - dt.timedelta(hours=1))
    assert "scheduled_at" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        template_save(actor=people["viewer"], name="x", body="你好")
    other = template_save(actor=people["other_county_admin"], name="偃师", body="你好")
    segment = segment_save(actor=people["specialist"], name="s", filters={})
    with pytest.raises(ValidationError) as exc:
        campaign_create(
            actor=people["specialist"], name="x", segment=segment, template=other, channels=["sms"]
        )
    assert "template" in exc.value.message_dict
    empty = segment_save(actor=people["specialist"], name="空", filters={"intent": "nothing"})
    campaign = campaign_create(
        actor=people["specialist"],
        name="x",
        segment=empty,
        template=template_save(actor=people["specialist"], name="t", body="你好"),
        channels=["sms"],
    )
    with pytest.raises(ValidationError):
        campaign_submit(actor=people["specialist"], campaign=campaign)
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT


def test_texts_with_line_breaks_and_backslashes_are_written_as_they_are(people, audience, kicks):
    campaign = _campaign(people, body="{姓名}：\n第一行\t第二行\\完", channels=["sms"])
    assert campaign_queue(campaign) == 3
    bodies = set(Message.objects.filter(campaign=campaign).values_list("body", flat=True))
    assert bodies == {
        "短信人：\n第一行\t第二行\\完",
        "微信人：\n第一行\t第二行\\完",
        "拒收人：\n第一行\t第二行\\完",
    }


@pytest.mark.django_db(transaction=True)
def test_queue_outside_a_transaction_writes_on_its_own_thread(regions_loaded, people, audience, kicks):
    """Outside a transaction (a worker) PostgreSQL writes batches on a second connection; same result."""
    campaign = _campaign(people)
    assert campaign_queue(campaign) == 3
    assert campaign_queue(campaign) == 0
    assert campaign_counts(campaign) == {"queued": {"sms": 1, "wechat": 1}, "skipped": {"wechat": 1}}
