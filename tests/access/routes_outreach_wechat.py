"""The WeChat Official Account's callback: public (WeChat calls it), but only a request signed with the
shared token gets in; any request without a valid signature, logged in or not, is refused with 403."""

from __future__ import annotations

from tests.access import Route
from wengang.outreach import urls as outreach_urls
from wengang.outreach import wechat_views

ROUTES: dict[str, Route] = {
    "outreach:wechat_callback": Route(public=True, allowed=set(), denied=403),
}
# Listed only once wengang/outreach/urls.py includes ``wechat_views.urlpatterns``.
if not set(wechat_views.urlpatterns) <= set(outreach_urls.urlpatterns):
    ROUTES = {}
