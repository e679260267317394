"""Campaign schedules, and the counter periods of delivery and frequency caps, in a time zone.

A campaign runs in one IANA time zone (``Asia/Tokyo`` unless its schedule names another); its
schedule is read in that zone, and its caps count per local day, ISO week, month or in total.

Schedule document (every key optional; ``None`` or ``{}`` means "always open, in Asia/Tokyo")::

    {
      "timezone": "Europe/Berlin",
      "start": "2026-12-01T00:00",
      "end": "2027-01-01T00:00",
      "days": ["mon", "tue", "wed", "thu", "fri"],
      "hours": [{"from": "09:00", "to": "12:00"}, {"from": "22:00", "to": "02:00"}]
    }

- ``timezone``: an IANA zone name (``Asia/Tokyo``, ``Europe/Berlin``, ``UTC``). It is also the
  zone in which the campaign's caps count days, weeks and months.
- ``start`` / ``end``: when the campaign opens and closes. ``YYYY-MM-DDTHH:MM[:SS]`` is a
  wall-clock time in the schedule's zone; a date ``YYYY-MM-DD`` means its 00:00; an explicit
  offset (``2026-12-01T00:00+09:00``, or ``Z``) names an exact instant whatever the zone.
  ``start`` is inclusive, ``end`` exclusive: ``"end": "2027-01-01"`` runs through 31 December.
  ``end`` must be after ``start``.
- ``days``: the weekdays the campaign runs on, from ``mon tue wed thu fri sat sun`` (any case,
  no repeats, at least one). Leave it out for every day.
- ``hours``: 1-24 windows ``{"from": "HH:MM", "to": "HH:MM"}`` of local wall-clock time, ``from``
  inclusive and ``to`` exclusive; ``to`` may be ``24:00``. Windows may overlap (their union
  counts). Leave it out for the whole day.

Decisions:

- **A window that crosses midnight belongs to the day it starts on.** With ``"days": ["fri"]``
  and ``22:00``-``02:00`` the campaign runs Friday 22:00 to Saturday 02:00, and not on
  Friday 00:00-02:00 (that part belongs to Thursday's window). "Friday night" is what people
  mean.
- **Windows and days follow the wall clock.** On a spring-forward day a window over the skipped
  hour is shorter (``02:00``-``03:00`` in Berlin is not open at all that day); on a fall-back day
  a window over the repeated hour is open during both passes. The repeated hour belongs to the
  same local date, so a local day may last 23 or 25 hours, and so do the ``day`` counters.
- **A start or end given as wall-clock time is the first instant at which the local clock shows
  that time or later.** A time that occurs twice (fall-back) means its first occurrence; a time
  the clock skips (spring-forward) means the instant of the jump: ``02:30`` on 29 March 2026 in
  Berlin is 03:00 CEST. Period ends use the same rule for local midnight.
- Caps use ``day`` (``d2026-11-23``), ``week`` (ISO week, Monday first: ``w2026-W48``; the ISO year
  may differ from the calendar year: 2027-01-03 is in ``w2026-W53``), ``month`` (``m2026-11``)
  and ``total`` (``total``). A counter may be deleted ``grace_s`` after its local period ends.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from xsell.errors import InvalidRequest
from xsell.vocabulary import DEFAULT_TZ

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALL_DAYS = 0b111_1111  # bit 0 = Monday, as datetime.weekday()
MAX_WINDOWS = 24
PERIODS = ("day", "week", "month", "total")
DEFAULT_GRACE_S = 2 * 86400

_KEYS = frozenset({"timezone", "start", "end", "days", "hours"})
_WINDOW_KEYS = frozenset({"from", "to"})
_MINUTES_PER_DAY = 1440
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)*")
# Present in some tz databases but not places: a campaign's zone must mean the same everywhere.
_NOT_PLACES = frozenset({"localtime", "posixrules", "Factory"})
_INSTANT = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})(?:T(?P<time>\d{2}:\d{2}(?::\d{2})?)(?P<offset>Z|[+-]\d{2}:\d{2})?)?"
)
_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


@lru_cache(maxsize=256)
def _load_zone(name: str) -> ZoneInfo:
    if name in _NOT_PLACES or not _ZONE_NAME.fullmatch(name):
        raise ValueError(f"unknown time zone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def zone(tz: ZoneInfo | str) -> ZoneInfo:
    """The ZoneInfo for an IANA name (cached); a ZoneInfo is returned as it is. ValueError if unknown."""
    return tz if isinstance(tz, ZoneInfo) else _load_zone(tz)


def _require_aware(now_utc: datetime) -> None:
    if now_utc.tzinfo is None:
        raise ValueError("a naive datetime has no instant; pass an aware one (tzinfo=timezone.utc)")


def local_now(now_utc: datetime, tz: ZoneInfo | str) -> datetime:
    """The aware local datetime in ``tz`` of the instant ``now_utc`` (which must be aware)."""
    _require_aware(now_utc)
    return now_utc.astimezone(zone(tz))


def wall_to_epoch(wall: datetime, tz: ZoneInfo | str) -> int:
    """Epoch seconds of the first instant at which the clock in ``tz`` shows ``wall`` (naive) or later.

    Ambiguous times (fall-back) give the first occurrence; skipped times (spring-forward) give
    the instant of the jump.
    """
    tzinfo = zone(tz)
    first = int(wall.replace(tzinfo=tzinfo, fold=0).timestamp())
    second = int(wall.replace(tzinfo=tzinfo, fold=1).timestamp())
    if first <= second:
        return first
    # In a gap zoneinfo reads fold=0 with the offset before the jump and fold=1 with the one
    # after, so the jump lies in (second, first]: find it to the second.
    before = _offset_at(second, tzinfo)
    lo, hi = second, first
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset_at(mid, tzinfo) == before:
            lo = mid
        else:
            hi = mid
    return hi


def _offset_at(epoch_s: int, tzinfo: ZoneInfo) -> timedelta | None:
    return datetime.fromtimestamp(epoch_s, tzinfo).utcoffset()


@dataclass(frozen=True)
class Schedule:
    """A validated schedule, precomputed for :meth:`is_open`. Build it with :func:`parse_schedule`.

    ``start_s``/``end_s`` are UTC epoch seconds (inclusive/exclusive), ``day_mask`` has bit 0 for
    Monday, ``windows`` are ``(from, to)`` minutes of the local day; ``to`` below ``from`` crosses
    midnight, ``to`` may be 1440. No windows means the whole day.
    """

    ALWAYS: ClassVar[Schedule]

    timezone: str = DEFAULT_TZ
    start_s: int | None = None
    end_s: int | None = None
    day_mask: int = ALL_DAYS
    windows: tuple[tuple[int, int], ...] = ()
    # Derived once: the zone object, the run as floats (infinite when open-ended), and for each
    # minute of the local week whether the schedule is open (None when it is open all week).
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)
    _bounded: bool = field(init=False, repr=False, compare=False)
    _opens: float = field(init=False, repr=False, compare=False)
    _closes: float = field(init=False, repr=False, compare=False)
    _week: bytes | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        derived = {
            "_tz": zone(self.timezone),
            "_bounded": self.start_s is not None or self.end_s is not None,
            "_opens": float("-inf") if self.start_s is None else float(self.start_s),
            "_closes": float("inf") if self.end_s is None else float(self.end_s),
            "_week": _open_minutes(self.day_mask, self.windows),
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)

    @property
    def tzinfo(self) -> ZoneInfo:
        return self._tz

    @property
    def days(self) -> tuple[str, ...]:
        return tuple(name for i, name in enumerate(DAY_NAMES) if self.day_mask >> i & 1)

    def is_open(self, now_utc: datetime) -> bool:
        """Whether the campaign may be shown at the instant ``now_utc`` (an aware datetime)."""
        if now_utc.tzinfo is None:
            _require_aware(now_utc)
        if self._bounded and not self._opens <= now_utc.timestamp() < self._closes:
            return False
        week = self._week
        if week is None:
            return True
        local = now_utc.astimezone(self._tz)
        return week[local.weekday() * _MINUTES_PER_DAY + local.hour * 60 + local.minute] == 1


def _open_minutes(day_mask: int, windows: tuple[tuple[int, int], ...]) -> bytes | None:
    """One byte per minute of the local week (Monday 00:00 first): 1 where the schedule is open."""
    if day_mask == ALL_DAYS and not windows:
        return None
    week = bytearray(7 * _MINUTES_PER_DAY)
    spans = windows or ((0, _MINUTES_PER_DAY),)
    for day in range(7):
        if not day_mask >> day & 1:
            continue
        base = day * _MINUTES_PER_DAY
        for start, stop in spans:
            if start < stop:
                week[base + start : base + stop] = b"\x01" * (stop - start)
            else:  # crosses midnight: the tail runs on the next day (Sunday's into Monday)
                week[base + start : base + _MINUTES_PER_DAY] = b"\x01" * (_MINUTES_PER_DAY - start)
                next_base = (day + 1) % 7 * _MINUTES_PER_DAY
                week[next_base : next_base + stop] = b"\x01" * stop
    return bytes(week)


Schedule.ALWAYS = Schedule()


def parse_schedule(doc: Any | None, *, field: str = "schedule") -> Schedule:
    """Validate a schedule document (format in the module docstring) into a :class:`Schedule`.

    Raises :class:`InvalidRequest` naming the offending part, e.g. ``schedule.hours[1].to``.
    """
    if doc is None:
        return Schedule.ALWAYS
    if not isinstance(doc, Mapping):
        raise InvalidRequest(f"{field} must be an object", field)
    unknown = sorted(str(key) for key in doc if key not in _KEYS)
    if unknown:
        raise InvalidRequest(
            f"{field} has unknown key {unknown[0]!r}; allowed: {', '.join(sorted(_KEYS))}",
            f"{field}.{unknown[0]}",
        )
    tz_name = _parse_zone(doc.get("timezone", DEFAULT_TZ), f"{field}.timezone")
    start_s = _parse_instant(doc.get("start"), tz_name, f"{field}.start")
    end_s = _parse_instant(doc.get("end"), tz_name, f"{field}.end")
    if start_s is not None and end_s is not None and end_s <= start_s:
        raise InvalidRequest(f"{field}.end must be after {field}.start", f"{field}.end")
    day_mask = _parse_days(doc["days"], f"{field}.days") if "days" in doc else ALL_DAYS
    windows = _parse_hours(doc["hours"], f"{field}.hours") if "hours" in doc else ()
    schedule = Schedule(tz_name, start_s, end_s, day_mask, windows)
    return Schedule.ALWAYS if schedule == Schedule.ALWAYS else schedule


def _parse_zone(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidRequest(f'{path} must be an IANA time zone name such as "Asia/Tokyo"', path)
    try:
        zone(value)
    except ValueError:
        raise InvalidRequest(
            f'{path} {value!r} is not a known IANA time zone (e.g. "Asia/Tokyo", "Europe/Berlin")', path
        ) from None
    return value


def _parse_instant(value: Any, tz_name: str, path: str) -> int | None:
    if value is None:
        return None
    match = _INSTANT.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidRequest(
            f'{path} must be a local date-time like "2026-12-01T09:00", a date like "2026-12-01" '
            f'or a date-time with an offset like "2026-12-01T09:00+09:00"',
            path,
        )
    try:
        day = date.fromisoformat(match["date"])
        clock = time.fromisoformat(match["time"]) if match["time"] else time()
        offset = match["offset"]
        if offset is None:
            return wall_to_epoch(datetime.combine(day, clock), tz_name)
        exact = datetime.fromisoformat(f"{day.isoformat()}T{clock.isoformat()}{offset}")
        return int(exact.timestamp())
    except (ValueError, OverflowError) as exc:
        raise InvalidRequest(f"{path} {value!r} is not a valid date-time: {exc}", path) from None


def _parse_days(value: Any, path: str) -> int:
    if not isinstance(value, list):
        raise InvalidRequest(f'{path} must be a list of weekdays such as ["mon", "tue"]', path)
    if not value:
        raise InvalidRequest(f"{path} must name at least one weekday; leave it out to run every day", path)
    mask = 0
    for i, item in enumerate(value):
        name = item.lower() if isinstance(item, str) else None
        if name not in DAY_NAMES:
            raise InvalidRequest(f"{path}[{i}] must be one of {', '.join(DAY_NAMES)}", f"{path}[{i}]")
        bit = 1 << DAY_NAMES.index(name)
        if mask & bit:
            raise InvalidRequest(f"{path}[{i}] repeats {name!r}", f"{path}[{i}]")
        mask |= bit
    return mask


def _parse_hours(value: Any, path: str) -> tuple[tuple[int, int], ...]:
    if not isinstance(value, list):
        raise InvalidRequest(
            f'{path} must be a list of windows like {{"from": "09:00", "to": "18:00"}}', path
        )
    if not value:
        raise InvalidRequest(f"{path} must list at least one window; leave it out to run all day", path)
    if len(value) > MAX_WINDOWS:
        raise InvalidRequest(f"{path} has {len(value)} windows; at most {MAX_WINDOWS} are allowed", path)
    return tuple(_parse_window(item, f"{path}[{i}]") for i, item in enumerate(value))


def _parse_window(value: Any, path: str) -> tuple[int, int]:
    if not isinstance(value, Mapping):
        raise InvalidRequest(f'{path} must be an object like {{"from": "09:00", "to": "18:00"}}', path)
    unknown = sorted(str(key) for key in value if key not in _WINDOW_KEYS)
    if unknown:
        raise InvalidRequest(
            f"{path} has unknown key {unknown[0]!r}; allowed: from, to", f"{path}.{unknown[0]}"
        )
    start = _parse_clock(value.get("from"), f"{path}.from", allow_midnight_end=False)
    stop = _parse_clock(value.get("to"), f"{path}.to", allow_midnight_end=True)
    if start == stop % _MINUTES_PER_DAY:
        raise InvalidRequest(
            f"{path}.to must differ from {path}.from; use 00:00 to 24:00 for the whole day", f"{path}.to"
        )
    return start, stop


def _parse_clock(value: Any, path: str, *, allow_midnight_end: bool) -> int:
    if value is None:
        raise InvalidRequest(f'{path} is required (a time "HH:MM")', path)
    if allow_midnight_end and value == "24:00":
        return _MINUTES_PER_DAY
    match = _CLOCK.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        latest = "24:00" if allow_midnight_end else "23:59"
        raise InvalidRequest(f'{path} must be a time "HH:MM" from 00:00 to {latest}', path)
    return int(match[1]) * 60 + int(match[2])


def period_key(now_utc: datetime, tz: ZoneInfo | str, period: str) -> str:
    """The counter key of the ``day``/``week``/``month``/``total`` period containing ``now_utc`` in ``tz``."""
    if period == "total":
        _require_aware(now_utc)
        return "total"
    local = local_now(now_utc, tz)
    if period == "day":
        return f"d{local.year:04d}-{local.month:02d}-{local.day:02d}"
    if period == "week":
        iso = local.isocalendar()
        return f"w{iso.year:04d}-W{iso.week:02d}"
    if period == "month":
        return f"m{local.year:04d}-{local.month:02d}"
    raise ValueError(f"unknown period {period!r}; expected one of {', '.join(PERIODS)}")


def period_expires_at(
    now_utc: datetime, tz: ZoneInfo | str, period: str, grace_s: int = DEFAULT_GRACE_S
) -> int | None:
    """Epoch seconds after which the counter of the period containing ``now_utc`` may be deleted.

    That is the end of the local period (the next local midnight, Monday or first of the month)
    plus ``grace_s``; None for ``total``, which never expires.
    """
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}; expected one of {', '.join(PERIODS)}")
    if grace_s < 0:
        raise ValueError("grace_s must not be negative")
    _require_aware(now_utc)
    if period == "total":
        return None
    today = local_now(now_utc, tz).date()
    if period == "day":
        following = today + timedelta(days=1)
    elif period == "week":
        following = today + timedelta(days=7 - today.weekday())
    else:
        following = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    return wall_to_epoch(datetime.combine(following, time()), tz) + grace_s
