"""Outreach campaigns, segments and templates: admins and specialists (``outreach.view``/``send``) in their
area; approval is for admins (``outreach.approve``)."""

from __future__ import annotations

from tests.access import ADMINS, Route

OUTREACH = ADMINS | {"specialist"}


def _campaign(ctx, role):
    """A draft to the specialist's township, created by nobody in the matrix (so any admin may approve)."""
    from wengang.outreach.models import Campaign, Segment, Template

    segment, _ = Segment.objects.get_or_create(name="矩阵测试人群", defaults={"area_code": "410329001"})
    template, _ = Template.objects.get_or_create(
        name="矩阵测试模板", defaults={"body": "{姓名}您好", "area_code": "410329001"}
    )
    campaign, _ = Campaign.objects.get_or_create(
        name="矩阵测试推送",
        defaults={"segment": segment, "template": template, "channels": ["sms"], "area_code": "410329001"},
    )
    return {"pk": campaign.pk}


def _campaign_with_task(ctx, role):
    from wengang.background.models import BackgroundTask
    from wengang.outreach.models import Campaign

    pk = _campaign(ctx, role)["pk"]
    task = BackgroundTask.objects.create(kind="outreach.campaign_queue", params={"campaign_id": pk})
    Campaign.objects.filter(pk=pk).update(task=task)
    return {"pk": pk}


def _segment(ctx, role):
    from wengang.outreach.models import Segment

    segment, _ = Segment.objects.get_or_create(name="矩阵测试人群", defaults={"area_code": "410329001"})
    return {"pk": segment.pk}


def _template(ctx, role):
    from wengang.outreach.models import Template

    template, _ = Template.objects.get_or_create(
        name="矩阵测试模板", defaults={"body": "{姓名}您好", "area_code": "410329001"}
    )
    return {"pk": template.pk}


def _api_campaign(ctx, role):
    return {"campaign_id": _campaign(ctx, role)["pk"]}


ROUTES: dict[str, Route] = {
    "outreach:campaign_list": Route(allowed=OUTREACH),
    "outreach:campaign_create": Route(allowed=OUTREACH),
    "outreach:campaign_detail": Route(allowed=OUTREACH, kwargs=_campaign_with_task),
    "outreach:campaign_export": Route(allowed=OUTREACH, kwargs=_campaign),
    "outreach:campaign_progress": Route(allowed=OUTREACH, kwargs=_campaign_with_task),
    # Bare POSTs redirect to the campaign page with the service's message, after role and scope checks.
    "outreach:campaign_submit": Route(method="POST", allowed=OUTREACH, ok=302, kwargs=_campaign),
    "outreach:campaign_approve": Route(method="POST", allowed=ADMINS, ok=302, kwargs=_campaign),
    "outreach:campaign_cancel": Route(method="POST", allowed=OUTREACH, ok=302, kwargs=_campaign),
    "outreach:segment_list": Route(allowed=OUTREACH),
    "outreach:segment_create": Route(allowed=OUTREACH),
    "outreach:segment_edit": Route(allowed=OUTREACH, kwargs=_segment),
    "outreach:template_list": Route(allowed=OUTREACH),
    "outreach:template_create": Route(allowed=OUTREACH),
    "outreach:template_edit": Route(allowed=OUTREACH, kwargs=_template),
    "outreach:template_count": Route(method="POST", allowed=OUTREACH),
    # API: 401 without a session or token; a bare POST is 400 (what is missing) after the role check.
    "api:outreach_segments": Route(allowed=OUTREACH, anonymous=401, worker=401),
    "api:outreach_segment_create": Route(method="POST", allowed=OUTREACH, ok=400, anonymous=401, worker=401),
    "api:outreach_segment_preview": Route(method="POST", allowed=OUTREACH, ok=400, anonymous=401, worker=401),
    "api:outreach_templates": Route(allowed=OUTREACH, anonymous=401, worker=401),
    "api:outreach_template_create": Route(method="POST", allowed=OUTREACH, ok=400, anonymous=401, worker=401),
    "api:outreach_campaigns": Route(allowed=OUTREACH, anonymous=401, worker=401),
    "api:outreach_campaign_create": Route(method="POST", allowed=OUTREACH, ok=400, anonymous=401, worker=401),
    "api:outreach_campaign": Route(allowed=OUTREACH, anonymous=401, worker=401, kwargs=_api_campaign),
    "api:outreach_campaign_submit": Route(
        method="POST", allowed=OUTREACH, anonymous=401, worker=401, kwargs=_api_campaign
    ),
    # The draft is not awaiting approval: 400 for admins, after the role and scope checks.
    "api:outreach_campaign_approve": Route(
        method="POST", allowed=ADMINS, ok=400, anonymous=401, worker=401, kwargs=_api_campaign
    ),
    "api:outreach_campaign_cancel": Route(
        method="POST", allowed=OUTREACH, anonymous=401, worker=401, kwargs=_api_campaign
    ),
    "api:outreach_campaign_messages": Route(
        allowed=OUTREACH, anonymous=401, worker=401, kwargs=_api_campaign
    ),
}
