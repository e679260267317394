"""Names and patterns the whole product shares, defined once.

Plain constants that import nothing of xsell's own: the public API's contract
(:mod:`xsell.api_contract`, on the decide function's cold start), the domain's parsers, the
importer and the admin API all read them from here.
"""

from __future__ import annotations

import datetime as dt

# A group customer id: in decide requests, identity tokens, partner files and the admin API.
CUSTOMER_ID_PATTERN = r"^[A-Za-z0-9_.:@-]{1,128}$"
# A partner id: the drop bucket's incoming/<partner>/ prefix, partner settings, upload links.
PARTNER_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
# The devices a decide request may name, and targeting may test.
DEVICES = ("mobile", "tablet", "desktop")
# The creative templates the tag renders.
TEMPLATES = ("image_banner", "text_card", "image_text")
# The group works in Japan: schedules, caps and reciprocity periods default to this zone, and
# partner dates, import days and reporting days are its calendar days.
DEFAULT_TZ = "Asia/Tokyo"
# Japan keeps no daylight saving time: a fixed offset needs no tz database in Lambda.
BUSINESS_ZONE = dt.timezone(dt.timedelta(hours=9), DEFAULT_TZ)
