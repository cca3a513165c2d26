"""Outreach in the demo: templates, segments, a finished SMS campaign in the demo specialist's township, a
campaign draft, a few people on the phone-call list and in-site messages for the demo worker."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError

from wengang.accounts.models import User
from wengang.jobs.models import Posting
from wengang.matching.models import Recommendation
from wengang.registry.consent import consent_record
from wengang.registry.models import Consent, Person

from .calls import call_add
from .campaigns import campaign_create, campaign_queue_now, template_save
from .models import Template
from .outbox import message_enqueue
from .relay import relay_drain
from .segments import segment_save

logger = logging.getLogger(__name__)

JOB_TEXT = "{姓名}您好，为您推荐：{岗位}。详情{链接}，回复1报名，咨询{专员电话}"
RETURN_TEXT = "{姓名}您好，{区县}春风行动招聘会2月20日在县人社局广场举行，欢迎参加。咨询{专员电话}"


def outreach_demo_load(*, worker_phone_hash: str = "") -> None:
    """Idempotent: does nothing once the demo templates exist."""
    if Template.objects.exists():
        return
    specialist = User.objects.get(username="specialist410329")
    township = specialist.scope_code
    _consents(township[:6], specialist)
    jobs = template_save(actor=specialist, name="岗位推荐（按匹配结果）", body=JOB_TEXT)
    fair = template_save(actor=specialist, name="招聘会通知", body=RETURN_TEXT)
    everyone = segment_save(actor=specialist, name="本乡镇全部劳动力", filters={"area": township})
    priority = segment_save(
        actor=specialist, name="本乡镇帮扶对象（131）", filters={"area": township, "priority": "1"}
    )
    sent = campaign_create(
        actor=specialist, name="本周岗位推荐", segment=everyone, template=jobs, channels=["wechat", "sms"]
    )
    try:
        campaign_queue_now(actor=specialist, campaign=sent)
    except ValidationError as exc:  # a demo population bigger than the approval size
        logger.info("demo campaign not queued: %s", exc)
    for channel in ("sms", "wechat"):
        relay_drain(channel, max_seconds=20)
    campaign_create(
        actor=specialist, name="招聘会通知（草稿）", segment=priority, template=fair, channels=["sms"]
    )
    _calls(specialist, township)
    if worker_phone_hash:
        _inbox(User.objects.get(username="county410329"), worker_phone_hash)


def _consents(county: str, actor: User) -> None:
    """Generated people carry no consent; give the county's a plausible mix (most to SMS, fewer to calls
    and in-site messages), with the history rows the registry keeps."""
    shares = {"sms": 7, "phone": 5, "app": 3}  # out of 10, by id
    ids = list(
        Person.objects.filter(village_code__startswith=county, consent_sms=False).values_list("pk", flat=True)
    )
    rows = []
    for channel, share in shares.items():
        chosen = [pk for pk in ids if pk % 10 < share]
        Person.objects.filter(pk__in=chosen).update(**{f"consent_{channel}": True})
        rows += [
            Consent(
                person_id=pk,
                channel=channel,
                granted=True,
                source="import",
                recorded_by=actor,
                note="演示数据",
            )
            for pk in chosen
        ]
    Consent.objects.bulk_create(rows, batch_size=2000)


def _calls(specialist: User, township: str) -> None:
    people = Person.objects.filter(village_code__startswith=township, consent_phone=True).order_by("pk")[:6]
    posting_ids = list(
        Posting.objects.filter(status="published").order_by("-pk").values_list("pk", flat=True)[:2]
    )
    for person in people:
        try:
            call_add(
                actor=specialist, person=person, reason="返乡后未就业，电话了解求职意愿", postings=posting_ids
            )
        except ValidationError as exc:
            logger.info("demo call not added: %s", exc)


def _inbox(county_admin: User, phone_hash: str) -> None:
    person = Person.objects.filter(phone_hash=phone_hash).first()
    if person is None:
        return
    if not person.consent_app:
        consent_record(actor=county_admin, person=person, channel="app", granted=True, note="演示")
        person.refresh_from_db()
    recs = list(
        Recommendation.objects.filter(person=person, is_current=True)
        .order_by("rank")
        .values_list("posting_id", flat=True)[:3]
    )
    message_enqueue(
        channel="app",
        idempotency_key=f"demo:inbox:{person.pk}:1",
        person=person,
        subject="本周为您推荐的岗位",
        body=f"{person.name}您好，根据您的技能和意愿，我们为您推荐了 {len(recs)} 个岗位，点开首页查看。",
        postings=recs,
        kick=False,
    )
    message_enqueue(
        channel="app",
        idempotency_key=f"demo:inbox:{person.pk}:2",
        person=person,
        subject="春风行动招聘会",
        body="2月20日上午9点在县人社局广场举办春风行动招聘会，60余家企业现场招聘，欢迎参加。",
        kick=False,
    )
