"""Outreach pages. Each part keeps its own patterns in its views module: campaigns (segments, templates,
campaigns, messages), the phone-call list, and the gateways' callbacks (delivery reports, replies)."""

from django.urls import URLPattern, URLResolver

from . import call_views, campaign_views, gateway_views, wechat_views

app_name = "outreach"
urlpatterns: list[URLPattern | URLResolver] = [
    *campaign_views.urlpatterns,
    *call_views.urlpatterns,
    *gateway_views.urlpatterns,
    *wechat_views.urlpatterns,
]
