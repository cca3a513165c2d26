"""The campaign pages end to end: templates with the SMS count, segments with the preview, a campaign from
draft to queued with its counts, progress and export, the CLI, and no page showing another county's data."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from wengang.outreach import campaigns as campaigns_module
from wengang.outreach.campaigns import campaign_create, template_save
from wengang.outreach.choices import CampaignStatus
from wengang.outreach.models import Campaign, Message, Segment, Template, WeChatBinding
from wengang.outreach.segments import segment_save

from .factories import make_reachable

pytestmark = pytest.mark.django_db
BACKEND = "wengang.accounts.backends.StaffBackend"


@pytest.fixture(autouse=True)
def no_relay(monkeypatch):
    monkeypatch.setattr(campaigns_module, "relay_soon", lambda channel: None)


@pytest.fixture
def audience(people):
    admin = people["county_admin"]
    a = make_reachable(admin, "410329001", 1, name="张三明")
    b = make_reachable(admin, "410329001", 2, channels=("sms", "wechat"), name="李四")
    WeChatBinding.objects.create(person=b, openid="o-b")
    make_reachable(admin, "410329001", 3, channels=(), name="王五")
    return [a, b]


def _login(client, user):
    client.force_login(user, backend=BACKEND)
    return client


def test_template_pages_count_sms_and_refuse_long_texts(client, people):
    _login(client, people["specialist"])
    long = client.post(reverse("outreach:template_create"), {"name": "太长", "body": "{姓名}" + "招" * 200})
    assert long.status_code == 200
    assert "4" in long.context["form"].errors["body"][0]  # the count, in whatever language
    assert not Template.objects.exists()
    unknown = client.post(reverse("outreach:template_create"), {"name": "x", "body": "{电话}"})
    assert "{电话}" in unknown.context["form"].errors["body"][0]
    ok = client.post(reverse("outreach:template_create"), {"name": "推荐", "body": "{姓名}您好，{岗位}"})
    template = Template.objects.get()
    assert ok.status_code == 302
    assert ok["Location"] == reverse("outreach:template_edit", args=[template.pk])
    assert (template.area_code, template.created_by) == ("410329001", people["specialist"])
    count = client.post(reverse("outreach:template_count"), {"body": "你好"})
    assert count.context["count"]["segments"] == 1
    assert count.context["count"]["worst"] == 1
    page = client.get(reverse("outreach:template_list"))
    assert "推荐" in page.content.decode()


def test_segment_page_previews_and_saves(client, people, audience):
    _login(client, people["specialist"])
    template = template_save(actor=people["specialist"], name="t", body="{姓名}您好")
    data = {"name": "有短信的人", "consent": "sms", "preview_template": str(template.pk), "action": "preview"}
    preview = client.post(reverse("outreach:segment_create"), data)
    result = preview.context["preview"]
    assert result.total == 2
    assert result.reachable == {"wechat": 1, "sms": 2, "app": 0, "phone": 0}
    assert result.samples == ["张*明您好", "李*您好"]
    assert "张三明" not in preview.content.decode()
    assert not Segment.objects.exists()
    saved = client.post(reverse("outreach:segment_create"), {**data, "action": "save"})
    segment = Segment.objects.get()
    assert saved["Location"] == reverse("outreach:segment_edit", args=[segment.pk])
    assert segment.filters == {"consent": "sms"}
    page = client.get(reverse("outreach:segment_edit", args=[segment.pk]))
    assert page.context["preview"].total == 2


def test_campaign_from_draft_to_queued_with_counts_and_export(
    client, people, audience, django_capture_on_commit_callbacks
):
    user = people["specialist"]
    _login(client, user)
    template = template_save(actor=user, name="推荐", body="{姓名}您好，有新岗位")
    segment = segment_save(actor=user, name="全部", filters={})
    created = client.post(
        reverse("outreach:campaign_create"),
        {
            "name": "三月推送",
            "segment": segment.pk,
            "template": template.pk,
            "channel_1": "wechat",
            "channel_2": "sms",
            "channel_3": "",
            "send": "now",
        },
    )
    campaign = Campaign.objects.get()
    assert created["Location"] == reverse("outreach:campaign_detail", args=[campaign.pk])
    assert (campaign.status, campaign.channels) == (CampaignStatus.DRAFT, ["wechat", "sms"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("outreach:campaign_submit", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING
    page = client.get(reverse("outreach:campaign_detail", args=[campaign.pk]))
    body = page.content.decode()
    rows = {r["state"]: r for r in page.context["count_rows"]}
    assert rows["queued"]["total"] == 2
    assert rows["skipped"]["total"] == 1
    assert page.context["task"].rows_done == 3
    progress = client.get(reverse("outreach:campaign_progress", args=[campaign.pk]))
    assert progress.context["task"].status == "succeeded"
    assert 'data-status="succeeded"' in progress.content.decode()
    assert "张*明您好，有新岗位" in body
    assert "张三明" not in body
    export = client.get(reverse("outreach:campaign_export", args=[campaign.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    texts = [row[5] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(texts) == ["张*明您好，有新岗位", "李*您好，有新岗位", "王*您好，有新岗位"]
    listing = client.get(reverse("outreach:campaign_list"), {"status": "sending"})
    assert [c.pk for c in listing.context["page"]] == [campaign.pk]
    assert list(client.get(reverse("outreach:campaign_list"), {"status": "done"}).context["page"]) == []


def test_schedule_in_the_past_is_refused_on_the_form(client, people):
    _login(client, people["specialist"])
    template = template_save(actor=people["specialist"], name="t", body="你好")
    segment = segment_save(actor=people["specialist"], name="s", filters={})
    page = client.post(
        reverse("outreach:campaign_create"),
        {
            "name": "x",
            "segment": segment.pk,
            "template": template.pk,
            "channel_1": "sms",
            "channel_2": "sms",
            "send": "at",
            "scheduled_at": "2020-01-01T08:00",
        },
    )
    assert page.status_code == 200
    assert set(page.context["form"].errors) == {"channel_2", "scheduled_at"}
    assert not Campaign.objects.exists()


def test_another_countys_campaign_is_404_and_never_listed(client, people):
    other = people["other_county_admin"]
    template = template_save(actor=other, name="偃师模板", body="你好")
    segment = segment_save(actor=other, name="偃师人群", filters={})
    theirs = campaign_create(
        actor=other, name="偃师推送", segment=segment, template=template, channels=["sms"]
    )
    for role in ("specialist", "county_admin"):
        _login(client, people[role])
        for name in ("campaign_detail", "campaign_export"):
            assert client.get(reverse(f"outreach:{name}", args=[theirs.pk])).status_code == 404, (role, name)
        assert client.get(reverse("outreach:segment_edit", args=[segment.pk])).status_code == 404
        assert client.get(reverse("outreach:template_edit", args=[template.pk])).status_code == 404
        assert client.post(reverse("outreach:campaign_cancel", args=[theirs.pk])).status_code == 404
        for name in ("campaign_list", "segment_list", "template_list"):
            assert "偃师" not in client.get(reverse(f"outreach:{name}")).content.decode(), (role, name)
    _login(client, people["city_admin"])
    assert client.get(reverse("outreach:campaign_detail", args=[theirs.pk])).status_code == 200
    for role in ("viewer", "employer", "health_officer", "liaison", "auditor"):
        _login(client, people[role])
        assert client.get(reverse("outreach:campaign_detail", args=[theirs.pk])).status_code == 403, role
    theirs.refresh_from_db()
    assert theirs.status == CampaignStatus.DRAFT


def test_cli_list_show_queue_and_approve(people, audience, settings):
    settings.WENGANG_OUTREACH = {**settings.WENGANG_OUTREACH, "approval_size": 2}
    admin = people["county_admin"]
    template = template_save(actor=admin, name="t", body="{姓名}您好")
    segment = segment_save(actor=admin, name="s", filters={})
    campaign = campaign_create(
        actor=admin, name="命令行", segment=segment, template=template, channels=["sms"]
    )
    out = io.StringIO()
    call_command("campaign", "list", stdout=out)
    assert f"#{campaign.pk}\tdraft" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("campaign", "queue", str(campaign.pk), "--user", "t_county", stdout=io.StringIO())
    assert not Message.objects.exists()
    campaign.status = CampaignStatus.AWAITING_APPROVAL
    campaign.save(update_fields=["status"])
    with pytest.raises(CommandError):
        call_command("campaign", "approve", str(campaign.pk), "--user", "t_county", stdout=io.StringIO())
    out = io.StringIO()
    call_command("campaign", "approve", str(campaign.pk), "--user", "t_city", stdout=out)
    assert "approved by t_city" in out.getvalue()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.QUEUING  # the worker's task runs on commit
    out = io.StringIO()
    call_command("campaign", "queue", str(campaign.pk), "--user", "t_county", stdout=out)
    assert "3 new messages" in out.getvalue()
    assert "/3 people" in out.getvalue()
    out = io.StringIO()
    call_command("campaign", "show", str(campaign.pk), stdout=out)
    text = out.getvalue()
    assert "status: sending" in text
    assert "queued: 2 (sms 2)" in text
    assert "skipped: 1 (sms 1)" in text
    with pytest.raises(CommandError):
        call_command("campaign", "show", "999999", stdout=io.StringIO())
