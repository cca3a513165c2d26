"""Gateway callbacks (Kannel delivery reports and replies): no session opens them; without the HMAC token
(reports) or the shared gateway token (replies) every caller is refused."""

from __future__ import annotations

from tests.access import Route

ROUTES: dict[str, Route] = {
    "outreach:kannel_dlr": Route(public=True, allowed=set(), denied=400),
    "outreach:kannel_mo": Route(public=True, allowed=set(), denied=403),
}
