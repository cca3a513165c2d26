"""The worker's own pages under /m/: home, jobs, applications, messages and WeChat binding ("me" lives in
``pages_me``). Every page reads the logged-in worker's own person only; an id of anyone else's row answers
404, exactly like an id that does not exist. Pages render without JavaScript; forms are plain POSTs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wengang.jobs.models import Posting, Referral
from wengang.matching.models import Recommendation
from wengang.matching.reasons import SEP
from wengang.outreach import inbox, wechat
from wengang.outreach.conf import outreach_conf
from wengang.outreach.models import Message, WeChatBinding
from wengang.portal.forms import BoardSearchForm
from wengang.portal.selectors import area_labels, board_page, board_posting
from wengang.portal.views import monthly_pay, original_pay
from wengang.registry.models import Person

from . import pages_me, selectors, worker_services
from .auth import current_person, worker_required
from .models import Dismissal
from .pages_forms import ApplyForm, WithdrawForm

PAGE_SIZE = 15


def person_of(request: HttpRequest) -> Person:
    """The logged-in worker's person (the views are behind ``worker_required``, which ensures one)."""
    person = current_person(request)
    if person is None:
        raise Http404
    return person


def error_text(exc: ValidationError | PermissionDenied) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(str(m) for m in exc.messages)
    return str(exc) or _("Not allowed.")


def reason_list(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split(SEP) if part.strip()]


def in_wechat(request: HttpRequest) -> bool:
    return "MicroMessenger" in request.META.get("HTTP_USER_AGENT", "")


def _cards(postings: list[Posting]) -> list[dict[str, Any]]:
    labels = area_labels({p.area_code for p in postings})
    return [
        {
            "posting": p,
            "place": labels.get(p.area_code, ""),
            "pay": monthly_pay(p),
            "pay_note": original_pay(p),
        }
        for p in postings
    ]


def _public_posting(pk: int) -> Posting:
    try:
        return board_posting(pk)
    except Posting.DoesNotExist as exc:
        raise Http404(_("This posting is not (or no longer) published.")) from exc


@require_GET
@worker_required
def home(request: HttpRequest) -> HttpResponse:
    person = person_of(request)
    recs = selectors.my_recommendations(person)
    cards = _cards([r.posting for r in recs])
    for card, rec in zip(cards, recs, strict=True):
        card["reasons"] = reason_list(rec.reasons)
    return render(
        request,
        "workers/home.html",
        {
            "person": person,
            "recommendations": cards,
            "unread": list(inbox.inbox_list(person=person, unread_only=True)[:3]),
            "unread_count": inbox.inbox_unread_count(person),
            "applications": list(selectors.my_applications(person, open_only=True)[:5]),
            "contact": selectors.my_specialist(person),
            "offer_wechat": in_wechat(request) and not WeChatBinding.objects.filter(person=person).exists(),
        },
    )


@require_GET
@worker_required
def jobs(request: HttpRequest) -> HttpResponse:
    form = BoardSearchForm(request.GET or None)
    page = board_page(form.filters(), request.GET.get("page"), per_page=PAGE_SIZE)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "workers/jobs.html",
        {"form": form, "page": page, "cards": _cards(list(page.object_list)), "params": params.urlencode()},
    )


@require_GET
@worker_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = person_of(request)
    posting = _public_posting(pk)
    rec = (
        Recommendation.objects.filter(person=person, posting=posting, is_current=True).only("reasons").first()
    )
    return render(
        request,
        "workers/job_detail.html",
        {
            **_cards([posting])[0],
            "reasons": reason_list(rec.reasons if rec else ""),
            "application": selectors.my_open_application(person, posting),
            "dismissed": Dismissal.objects.filter(person=person, posting=posting).exists(),
            "apply_form": ApplyForm(),
        },
    )


@require_POST
@worker_required
def job_apply(request: HttpRequest, pk: int) -> HttpResponse:
    person = person_of(request)
    posting = _public_posting(pk)
    form = ApplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The note is longer than 200 characters."))
        return redirect("workers:job_detail", pk=posting.pk)
    try:
        referral = worker_services.application_apply(
            actor=request.user,
            person=person,
            posting=posting,
            note=form.cleaned_data["note"],
            request=request,
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
        return redirect("workers:job_detail", pk=posting.pk)
    messages.success(
        request,
        _("You applied for “%(title)s”. The enterprise and your township will contact you.")
        % {"title": posting.title},
    )
    return redirect("workers:application_detail", pk=referral.pk)


@require_POST
@worker_required
def job_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    person = person_of(request)
    posting = _public_posting(pk)
    worker_services.posting_dismiss(actor=request.user, person=person, posting=posting, request=request)
    messages.success(
        request, _("Noted: we will not recommend “%(title)s” to you again.") % {"title": posting.title}
    )
    return redirect("workers:home")


@require_GET
@worker_required
def applications(request: HttpRequest) -> HttpResponse:
    person = person_of(request)
    return render(
        request, "workers/applications.html", {"applications": list(selectors.my_applications(person)[:100])}
    )


def _own_application(request: HttpRequest, pk: int) -> tuple[Person, Referral]:
    person = person_of(request)
    try:
        return person, selectors.my_application_get(person, pk)
    except Referral.DoesNotExist as exc:
        raise Http404 from exc


@require_GET
@worker_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _person, referral = _own_application(request, pk)
    return render(
        request,
        "workers/application_detail.html",
        {
            "referral": referral,
            "posting": referral.posting,
            "events": list(referral.events.order_by("created_at", "id")),
            "is_open": referral.state in selectors.OPEN_REFERRAL_STATES,
            "withdraw_form": WithdrawForm(),
        },
    )


@require_POST
@worker_required
def application_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    person, referral = _own_application(request, pk)
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else "other"
    try:
        worker_services.application_withdraw(
            actor=request.user, person=person, referral=referral, reason=reason, request=request
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Your application was withdrawn."))
    return redirect("workers:application_detail", pk=referral.pk)


@require_GET
@worker_required
def message_list(request: HttpRequest) -> HttpResponse:
    person = person_of(request)
    unread = request.GET.get("unread") == "1"
    return render(
        request,
        "workers/messages.html",
        {
            "messages_list": list(inbox.inbox_list(person=person, unread_only=unread)[:100]),
            "unread_only": unread,
            "unread_count": inbox.inbox_unread_count(person),
        },
    )


@require_GET
@worker_required
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = person_of(request)
    try:
        message = inbox.inbox_get(person=person, pk=pk)
    except Message.DoesNotExist as exc:
        raise Http404 from exc
    inbox.inbox_mark_read(person=person, message=message)
    ids = [int(i) for i in (message.postings or []) if str(i).isdigit()]
    postings = list(selectors.public_postings().filter(pk__in=ids))
    return render(request, "workers/message_detail.html", {"message": message, "postings": postings})


OPEN_WEIXIN_AUTHORIZE = "https://open.weixin.qq.com/connect/oauth2/authorize"


def wechat_authorize_url(request: HttpRequest) -> str:
    """WeChat's OAuth page (snsapi_base: silent), back to our bind page with a code. A configured API other
    than WeChat's own (the local stand-in) serves the page itself; ``oauth_url`` in the settings wins."""
    conf: dict[str, Any] = outreach_conf().get("wechat", {})
    api = str(conf.get("api") or "").rstrip("/")
    base = conf.get("oauth_url") or (
        f"{api}/connect/oauth2/authorize" if api and "weixin.qq.com" not in api else OPEN_WEIXIN_AUTHORIZE
    )
    query = urlencode(
        {
            "appid": conf.get("appid", ""),
            "redirect_uri": request.build_absolute_uri(reverse("workers:wechat_bind")),
            "response_type": "code",
            "scope": "snsapi_base",
            "state": "bind",
        }
    )
    return f"{base}?{query}#wechat_redirect"


@require_GET
@worker_required
def wechat_bind(request: HttpRequest) -> HttpResponse:
    """Opened inside WeChat: “绑定微信” (``?go=1``) sends the worker to WeChat's OAuth page; WeChat sends them
    back with a ``code``, whose openid is stored against the worker's person."""
    person = person_of(request)
    code = request.GET.get("code", "").strip()
    if code:
        try:
            openid = wechat.wechat_oauth_openid(code)
            wechat.wechat_bind(person=person, openid=openid, actor=request.user, request=request)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Your WeChat is bound: job messages can now reach you in WeChat."))
            return redirect("workers:me")
    elif request.GET.get("go") == "1" and in_wechat(request):
        return redirect(wechat_authorize_url(request))
    return render(
        request,
        "workers/wechat_bind.html",
        {"binding": WeChatBinding.objects.filter(person=person).first(), "in_wechat": in_wechat(request)},
    )


urlpatterns: list[URLPattern] = [
    path("", home, name="home"),
    path("jobs/", jobs, name="jobs"),
    path("jobs/<int:pk>/", job_detail, name="job_detail"),
    path("jobs/<int:pk>/apply/", job_apply, name="job_apply"),
    path("jobs/<int:pk>/dismiss/", job_dismiss, name="job_dismiss"),
    path("applications/", applications, name="applications"),
    path("applications/<int:pk>/", application_detail, name="application_detail"),
    path("applications/<int:pk>/withdraw/", application_withdraw, name="application_withdraw"),
    path("messages/", message_list, name="messages"),
    path("messages/<int:pk>/", message_detail, name="message_detail"),
    path("wechat/bind/", wechat_bind, name="wechat_bind"),
    *pages_me.urlpatterns,
]
