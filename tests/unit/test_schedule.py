from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from xsell.decisioning.schedule import (
    DAY_NAMES,
    DEFAULT_TZ,
    Schedule,
    local_now,
    parse_schedule,
    period_expires_at,
    period_key,
    wall_to_epoch,
    zone,
)
from xsell.errors import InvalidRequest

MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)  # type: ignore[misc]


def epoch(*fields: int) -> int:
    return int(utc(*fields).timestamp())


def open_spans(schedule: Schedule, since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """The UTC spans, minute by minute, in which the schedule is open."""
    spans: list[tuple[datetime, datetime]] = []
    t = since
    while t < until:
        if schedule.is_open(t):
            if spans and spans[-1][1] == t:
                spans[-1] = (spans[-1][0], t + MINUTE)
            else:
                spans.append((t, t + MINUTE))
        t += MINUTE
    return spans


# --- Asia/Tokyo: midnight is 15:00 UTC --------------------------------------------------------


def test_none_and_empty_mean_always_open_in_tokyo():
    assert parse_schedule(None) is Schedule.ALWAYS
    assert parse_schedule({}) is Schedule.ALWAYS
    assert Schedule.ALWAYS.timezone == DEFAULT_TZ == "Asia/Tokyo"
    assert Schedule.ALWAYS.tzinfo is zone("Asia/Tokyo")
    assert Schedule.ALWAYS.is_open(utc(1999, 12, 31, 23, 59, 59))
    assert Schedule.ALWAYS.is_open(utc(2099, 1, 1))


def test_start_date_opens_at_local_midnight_and_end_is_exclusive():
    schedule = parse_schedule({"start": "2026-12-01", "end": "2027-01-01T00:00"})
    assert not schedule.is_open(utc(2026, 11, 30, 14, 59, 59))
    assert schedule.is_open(utc(2026, 11, 30, 15, 0, 0))
    assert schedule.is_open(utc(2026, 12, 31, 14, 59, 59))
    assert not schedule.is_open(utc(2026, 12, 31, 15, 0, 0))
    assert schedule.start_s == epoch(2026, 11, 30, 15)
    assert schedule.end_s == epoch(2026, 12, 31, 15)


def test_explicit_offset_is_an_instant_whatever_the_zone():
    tokyo_midnight = epoch(2026, 11, 30, 15)
    for doc in (
        {"timezone": "Europe/Berlin", "start": "2026-12-01T00:00+09:00"},
        {"timezone": "America/New_York", "start": "2026-11-30T15:00Z"},
        {"start": "2026-12-01T00:00:00"},
    ):
        assert parse_schedule(doc).start_s == tokyo_midnight, doc


def test_days_turn_at_local_midnight():
    schedule = parse_schedule({"days": ["MON"]})  # 2026-11-23 is a Monday
    assert schedule.days == ("mon",)
    assert not schedule.is_open(utc(2026, 11, 22, 14, 59, 59))  # Sunday 23:59:59 JST
    assert schedule.is_open(utc(2026, 11, 22, 15, 0, 0))  # Monday 00:00:00 JST
    assert schedule.is_open(utc(2026, 11, 23, 14, 59, 59))  # Monday 23:59:59 JST
    assert not schedule.is_open(utc(2026, 11, 23, 15, 0, 0))  # Tuesday 00:00:00 JST


def test_hours_are_local_and_end_exclusive():
    schedule = parse_schedule({"hours": [{"from": "00:00", "to": "09:00"}, {"from": "23:59", "to": "24:00"}]})
    assert not schedule.is_open(utc(2026, 11, 23, 14, 58, 59))  # 23:58:59 JST
    assert schedule.is_open(utc(2026, 11, 23, 14, 59, 0))  # 23:59:00 JST
    assert schedule.is_open(utc(2026, 11, 23, 14, 59, 59))
    assert schedule.is_open(utc(2026, 11, 23, 15, 0, 0))  # 00:00 JST
    assert schedule.is_open(utc(2026, 11, 23, 23, 59, 59))  # 08:59:59 JST
    assert not schedule.is_open(utc(2026, 11, 24, 0, 0, 0))  # 09:00 JST


def test_period_keys_turn_at_tokyo_midnight():
    before, after = utc(2026, 11, 30, 14, 59, 59), utc(2026, 11, 30, 15, 0, 0)
    assert [period_key(before, "Asia/Tokyo", p) for p in ("day", "week", "month", "total")] == [
        "d2026-11-30",
        "w2026-W49",
        "m2026-11",
        "total",
    ]
    assert [period_key(after, "Asia/Tokyo", p) for p in ("day", "week", "month", "total")] == [
        "d2026-12-01",
        "w2026-W49",
        "m2026-12",
        "total",
    ]
    assert period_key(utc(2026, 11, 29, 14, 59, 59), ZoneInfo("Asia/Tokyo"), "week") == "w2026-W48"
    assert period_key(utc(2026, 11, 29, 15), ZoneInfo("Asia/Tokyo"), "week") == "w2026-W49"


def test_period_expiry_is_end_of_local_period_plus_grace():
    now = utc(2026, 12, 30, 15, 0, 0)  # Thursday 2026-12-31 00:00 JST, ISO week 2026-W53
    assert period_expires_at(now, "Asia/Tokyo", "day", grace_s=0) == epoch(2026, 12, 31, 15)
    assert period_expires_at(now, "Asia/Tokyo", "week", grace_s=0) == epoch(2027, 1, 3, 15)  # Mon 01-04
    assert period_expires_at(now, "Asia/Tokyo", "month", grace_s=0) == epoch(2026, 12, 31, 15)
    assert period_expires_at(now, "Asia/Tokyo", "day") == epoch(2026, 12, 31, 15) + 2 * 86400
    assert period_expires_at(now, "Asia/Tokyo", "total") is None
    # the last second of a day still belongs to it
    assert period_expires_at(utc(2026, 12, 31, 14, 59, 59), "Asia/Tokyo", "day", 0) == epoch(2026, 12, 31, 15)
    assert period_expires_at(utc(2026, 12, 31, 15), "Asia/Tokyo", "day", 0) == epoch(2027, 1, 1, 15)


@pytest.mark.parametrize(
    ("instant", "key"),
    [
        (utc(2027, 1, 3, 14, 59, 59), "w2026-W53"),  # Sunday 2027-01-03 23:59:59 JST
        (utc(2027, 1, 3, 15, 0, 0), "w2027-W01"),  # Monday 2027-01-04 00:00 JST
        (utc(2026, 12, 27, 15, 0, 0), "w2026-W53"),  # Monday 2026-12-28 JST
        (utc(2024, 12, 29, 15, 0, 0), "w2025-W01"),  # Monday 2024-12-30 JST: next ISO year
        (utc(2021, 1, 3, 14, 59, 59), "w2020-W53"),  # Sunday 2021-01-03 JST: previous ISO year
        (utc(2021, 1, 3, 15, 0, 0), "w2021-W01"),
        (utc(2027, 12, 31, 15, 0, 0), "w2027-W52"),  # Saturday 2028-01-01 JST
    ],
)
def test_iso_week_keys_across_year_boundaries(instant, key):
    assert period_key(instant, "Asia/Tokyo", "week") == key


def test_invalid_period_and_naive_datetimes_are_errors():
    with pytest.raises(ValueError, match="unknown period 'year'"):
        period_key(utc(2026, 1, 1), "Asia/Tokyo", "year")
    with pytest.raises(ValueError, match="unknown period 'daily'"):
        period_expires_at(utc(2026, 1, 1), "Asia/Tokyo", "daily")
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        period_key(utc(2026, 1, 1), "Mars/Olympus", "day")
    with pytest.raises(ValueError, match="naive datetime"):
        period_key(datetime(2026, 1, 1), "Asia/Tokyo", "day")
    with pytest.raises(ValueError, match="naive datetime"):
        Schedule.ALWAYS.is_open(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="naive datetime"):
        local_now(datetime(2026, 1, 1), "Asia/Tokyo")


def test_local_now_and_zone_cache():
    assert zone("Europe/Berlin") is zone("Europe/Berlin")
    tokyo = ZoneInfo("Asia/Tokyo")
    assert zone(tokyo) is tokyo
    local = local_now(utc(2026, 11, 30, 15), "Asia/Tokyo")
    assert (local.date(), local.hour, local.utcoffset()) == (date(2026, 12, 1), 0, timedelta(hours=9))


# --- Cross-midnight windows -------------------------------------------------------------------


def test_window_crossing_midnight_belongs_to_the_day_it_starts_on():
    schedule = parse_schedule({"days": ["fri"], "hours": [{"from": "22:00", "to": "02:00"}]})
    # Friday 2026-11-27 and Saturday 2026-11-28, JST
    assert open_spans(schedule, utc(2026, 11, 25, 15), utc(2026, 11, 29, 15)) == [
        (utc(2026, 11, 27, 13), utc(2026, 11, 27, 17)),  # Fri 22:00 - Sat 02:00 JST
    ]
    assert not schedule.is_open(utc(2026, 11, 26, 16))  # Fri 01:00 JST: Thursday's window


def test_sunday_night_window_runs_into_monday():
    schedule = parse_schedule({"days": ["sun"], "hours": [{"from": "23:00", "to": "01:00"}]})
    assert schedule.is_open(utc(2026, 11, 22, 15, 30))  # Mon 00:30 JST
    assert not schedule.is_open(utc(2026, 11, 22, 16, 0))  # Mon 01:00 JST
    assert not schedule.is_open(utc(2026, 11, 23, 14, 30))  # Mon 23:30 JST


def test_to_midnight_written_either_way():
    until_24 = parse_schedule({"days": ["mon"], "hours": [{"from": "22:00", "to": "24:00"}]})
    until_00 = parse_schedule({"days": ["mon"], "hours": [{"from": "22:00", "to": "00:00"}]})
    week = (utc(2026, 11, 22, 15), utc(2026, 11, 29, 15))
    assert (
        open_spans(until_24, *week)
        == open_spans(until_00, *week)
        == [(utc(2026, 11, 23, 13), utc(2026, 11, 23, 15))]
    )


def test_overlapping_windows_count_as_their_union():
    schedule = parse_schedule({"hours": [{"from": "09:00", "to": "12:00"}, {"from": "11:00", "to": "13:00"}]})
    assert open_spans(schedule, utc(2026, 11, 22, 15), utc(2026, 11, 23, 15)) == [
        (utc(2026, 11, 23, 0), utc(2026, 11, 23, 4))
    ]


# --- DST: Europe/Berlin (2026-03-29 01:00Z springs forward, 2026-10-25 01:00Z falls back) --------


def test_berlin_spring_forward_window_over_skipped_hour_never_opens():
    schedule = parse_schedule({"timezone": "Europe/Berlin", "hours": [{"from": "02:00", "to": "03:00"}]})
    assert open_spans(schedule, utc(2026, 3, 28, 0), utc(2026, 3, 30, 6)) == [
        (utc(2026, 3, 28, 1), utc(2026, 3, 28, 2)),  # Saturday, CET
        (utc(2026, 3, 30, 0), utc(2026, 3, 30, 1)),  # Monday, CEST
    ]


def test_berlin_spring_forward_window_is_shorter():
    half = parse_schedule({"timezone": "Europe/Berlin", "hours": [{"from": "01:30", "to": "02:30"}]})
    assert open_spans(half, utc(2026, 3, 28, 22), utc(2026, 3, 29, 22)) == [
        (utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1)),
    ]
    across = parse_schedule({"timezone": "Europe/Berlin", "hours": [{"from": "01:00", "to": "04:00"}]})
    assert open_spans(across, utc(2026, 3, 28, 22), utc(2026, 3, 29, 22)) == [
        (utc(2026, 3, 29, 0), utc(2026, 3, 29, 2)),  # two real hours
    ]


def test_berlin_fall_back_window_over_repeated_hour_opens_twice():
    schedule = parse_schedule({"timezone": "Europe/Berlin", "hours": [{"from": "02:00", "to": "03:00"}]})
    assert open_spans(schedule, utc(2026, 10, 24, 22), utc(2026, 10, 25, 23)) == [
        (utc(2026, 10, 25, 0), utc(2026, 10, 25, 2)),  # 02:00-03:00 CEST, then 02:00-03:00 CET
    ]


def test_berlin_start_in_skipped_hour_is_the_jump_and_repeated_hour_its_first_pass():
    gap = parse_schedule({"timezone": "Europe/Berlin", "start": "2026-03-29T02:30", "end": "2026-03-30"})
    assert gap.start_s == epoch(2026, 3, 29, 1)  # the clock jumps from 02:00 CET to 03:00 CEST
    assert not gap.is_open(utc(2026, 3, 29, 0, 59, 59)) and gap.is_open(utc(2026, 3, 29, 1))
    fold = parse_schedule({"timezone": "Europe/Berlin", "start": "2026-10-25T02:30", "end": "2026-10-26"})
    assert fold.start_s == epoch(2026, 10, 25, 0, 30)  # first pass, CEST
    assert fold.end_s == epoch(2026, 10, 25, 23)


def test_a_run_inside_the_skipped_hour_is_empty_and_rejected():
    # 02:30 and 03:00 are both first shown at the jump (01:00Z): end is not after start
    with pytest.raises(InvalidRequest) as err:
        parse_schedule({"timezone": "Europe/Berlin", "start": "2026-03-29T02:30", "end": "2026-03-29T03:00"})
    assert (err.value.field, str(err.value)) == ("schedule.end", "schedule.end must be after schedule.start")


def test_berlin_day_keys_and_expiry_on_23_and_25_hour_days():
    berlin = "Europe/Berlin"
    assert period_key(utc(2026, 3, 28, 22, 59, 59), berlin, "day") == "d2026-03-28"
    assert period_key(utc(2026, 3, 28, 23), berlin, "day") == "d2026-03-29"
    assert period_key(utc(2026, 3, 29, 21, 59, 59), berlin, "day") == "d2026-03-29"
    assert period_key(utc(2026, 3, 29, 22), berlin, "day") == "d2026-03-30"
    assert period_expires_at(utc(2026, 3, 29, 12), berlin, "day", 0) == epoch(2026, 3, 29, 22)  # 23 h day
    # the repeated hour 02:00-03:00 belongs to 25 October both times
    for instant in (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30), utc(2026, 10, 25, 22, 59, 59)):
        assert period_key(instant, berlin, "day") == "d2026-10-25"
    assert period_key(utc(2026, 10, 25, 23), berlin, "day") == "d2026-10-26"
    assert period_expires_at(utc(2026, 10, 25, 1, 30), berlin, "day", 0) == epoch(
        2026, 10, 25, 23
    )  # 25 h day
    assert period_expires_at(utc(2026, 10, 25, 1, 30), berlin, "week", 0) == epoch(2026, 10, 25, 23)  # Sunday
    assert period_expires_at(utc(2026, 10, 25, 1, 30), berlin, "month", 0) == epoch(2026, 10, 31, 23)


# --- DST: America/New_York (2026-03-08 07:00Z springs forward, 2026-11-01 06:00Z falls back) -----


def test_new_york_spring_forward():
    schedule = parse_schedule(
        {"timezone": "America/New_York", "days": ["sun"], "hours": [{"from": "01:30", "to": "03:30"}]}
    )
    assert open_spans(schedule, utc(2026, 3, 8, 5), utc(2026, 3, 9, 5)) == [
        (utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 7, 30)),  # 01:30 EST to 03:30 EDT: one real hour
    ]
    end = parse_schedule({"timezone": "America/New_York", "end": "2026-03-08T02:30"})
    assert end.end_s == epoch(2026, 3, 8, 7)
    assert end.is_open(utc(2026, 3, 8, 6, 59, 59)) and not end.is_open(utc(2026, 3, 8, 7))
    assert period_expires_at(utc(2026, 3, 8, 12), "America/New_York", "day", 0) == epoch(2026, 3, 9, 4)


def test_new_york_fall_back():
    schedule = parse_schedule(
        {"timezone": "America/New_York", "days": ["sun"], "hours": [{"from": "01:00", "to": "02:00"}]}
    )
    assert open_spans(schedule, utc(2026, 11, 1, 4), utc(2026, 11, 2, 5)) == [
        (utc(2026, 11, 1, 5), utc(2026, 11, 1, 7)),  # 01:00-02:00 EDT, then 01:00-02:00 EST
    ]
    assert period_key(utc(2026, 11, 1, 6, 30), "America/New_York", "day") == "d2026-11-01"
    assert period_key(utc(2026, 11, 2, 4, 59, 59), "America/New_York", "day") == "d2026-11-01"
    assert period_key(utc(2026, 11, 2, 5), "America/New_York", "day") == "d2026-11-02"


def test_zone_whose_midnight_is_skipped():
    # Havana springs from 00:00 CST to 01:00 CDT on 2026-03-08 (05:00Z): that day starts at the jump
    havana = "America/Havana"
    assert parse_schedule({"timezone": havana, "start": "2026-03-08"}).start_s == epoch(2026, 3, 8, 5)
    assert period_expires_at(utc(2026, 3, 7, 12), havana, "day", 0) == epoch(2026, 3, 8, 5)
    assert period_key(utc(2026, 3, 8, 5), havana, "day") == "d2026-03-08"


# --- Validation -------------------------------------------------------------------------------

WINDOW = {"from": "09:00", "to": "10:00"}


@pytest.mark.parametrize(
    ("doc", "field", "message"),
    [
        ("always", "schedule", "schedule must be an object"),
        (
            {"tz": "UTC"},
            "schedule.tz",
            "schedule has unknown key 'tz'; allowed: days, end, hours, start, timezone",
        ),
        (
            {"timezone": 9},
            "schedule.timezone",
            'schedule.timezone must be an IANA time zone name such as "Asia/Tokyo"',
        ),
        (
            {"timezone": "Mars/Olympus"},
            "schedule.timezone",
            "schedule.timezone 'Mars/Olympus' is not a known IANA time zone "
            '(e.g. "Asia/Tokyo", "Europe/Berlin")',
        ),
        (
            {"timezone": "asia/tokyo"},
            "schedule.timezone",
            "schedule.timezone 'asia/tokyo' is not a known IANA time zone "
            '(e.g. "Asia/Tokyo", "Europe/Berlin")',
        ),
        (
            {"start": "2026-12-01 09:00"},
            "schedule.start",
            'schedule.start must be a local date-time like "2026-12-01T09:00", a date like "2026-12-01" '
            'or a date-time with an offset like "2026-12-01T09:00+09:00"',
        ),
        (
            {"start": "2026-02-30"},
            "schedule.start",
            "schedule.start '2026-02-30' is not a valid date-time: day is out of range for month",
        ),
        (
            {"end": "2026-12-01T24:00"},
            "schedule.end",
            "schedule.end '2026-12-01T24:00' is not a valid date-time: hour must be in 0..23",
        ),
        (
            {"start": "2026-12-02", "end": "2026-12-01"},
            "schedule.end",
            "schedule.end must be after schedule.start",
        ),
        (
            {"start": "2026-12-01", "end": "2026-12-01T00:00"},
            "schedule.end",
            "schedule.end must be after schedule.start",
        ),
        (
            # Berlin midnight is 08:00 JST: an end at 07:30+09:00 is before it
            {"timezone": "Europe/Berlin", "start": "2026-12-01", "end": "2026-12-01T07:30+09:00"},
            "schedule.end",
            "schedule.end must be after schedule.start",
        ),
        ({"days": "mon"}, "schedule.days", 'schedule.days must be a list of weekdays such as ["mon", "tue"]'),
        (
            {"days": []},
            "schedule.days",
            "schedule.days must name at least one weekday; leave it out to run every day",
        ),
        (
            {"days": ["mon", "funday"]},
            "schedule.days[1]",
            "schedule.days[1] must be one of mon, tue, wed, thu, fri, sat, sun",
        ),
        ({"days": ["mon", "Mon"]}, "schedule.days[1]", "schedule.days[1] repeats 'mon'"),
        (
            {"hours": []},
            "schedule.hours",
            "schedule.hours must list at least one window; leave it out to run all day",
        ),
        ({"hours": [WINDOW] * 25}, "schedule.hours", "schedule.hours has 25 windows; at most 24 are allowed"),
        (
            {"hours": ["09:00-10:00"]},
            "schedule.hours[0]",
            'schedule.hours[0] must be an object like {"from": "09:00", "to": "18:00"}',
        ),
        (
            {"hours": [WINDOW, {"from": "9:00", "to": "10:00"}]},
            "schedule.hours[1].from",
            'schedule.hours[1].from must be a time "HH:MM" from 00:00 to 23:59',
        ),
        (
            {"hours": [{"from": "24:00", "to": "02:00"}]},
            "schedule.hours[0].from",
            'schedule.hours[0].from must be a time "HH:MM" from 00:00 to 23:59',
        ),
        (
            {"hours": [{"from": "09:00", "to": "24:01"}]},
            "schedule.hours[0].to",
            'schedule.hours[0].to must be a time "HH:MM" from 00:00 to 24:00',
        ),
        (
            {"hours": [{"from": "09:00"}]},
            "schedule.hours[0].to",
            'schedule.hours[0].to is required (a time "HH:MM")',
        ),
        (
            {"hours": [{"from": "09:00", "to": "09:00"}]},
            "schedule.hours[0].to",
            "schedule.hours[0].to must differ from schedule.hours[0].from; "
            "use 00:00 to 24:00 for the whole day",
        ),
        (
            {"hours": [{"from": "00:00", "to": "00:00"}]},
            "schedule.hours[0].to",
            "schedule.hours[0].to must differ from schedule.hours[0].from; "
            "use 00:00 to 24:00 for the whole day",
        ),
        (
            {"hours": [{**WINDOW, "tz": "UTC"}]},
            "schedule.hours[0].tz",
            "schedule.hours[0] has unknown key 'tz'; allowed: from, to",
        ),
    ],
)
def test_bad_schedules_are_rejected_with_field_and_message(doc, field, message):
    with pytest.raises(InvalidRequest) as err:
        parse_schedule(doc)
    assert (err.value.field, str(err.value)) == (field, message)


@pytest.mark.parametrize(
    "name", ["localtime", "posixrules", "/etc/localtime", "../../etc/passwd", "", "Asia/Tokyo\x00"]
)
def test_zone_names_that_are_not_places_are_rejected(name):
    with pytest.raises(InvalidRequest) as err:
        parse_schedule({"timezone": name})
    assert err.value.field == "schedule.timezone"


def test_field_prefix_is_the_callers():
    with pytest.raises(InvalidRequest) as err:
        parse_schedule({"hours": [{"from": "09:00", "to": "9"}]}, field="campaigns[2].schedule")
    assert err.value.field == "campaigns[2].schedule.hours[0].to"
    assert str(err.value).startswith("campaigns[2].schedule.hours[0].to must be")


def test_largest_valid_schedule():
    schedule = parse_schedule(
        {
            "timezone": "UTC",
            "start": "2026-12-01",
            "end": "2026-12-02",
            "days": list(DAY_NAMES),
            "hours": [{"from": f"{h:02d}:00", "to": f"{h:02d}:30"} for h in range(24)],
        }
    )
    assert len(schedule.windows) == 24
    assert schedule.is_open(utc(2026, 12, 1, 23, 29, 59)) and not schedule.is_open(utc(2026, 12, 1, 23, 30))


# --- Property: is_open against a slow, literal reading of the format ------------------------------

ZONES = (
    "Asia/Tokyo",
    "Europe/Berlin",
    "America/New_York",
    "America/Havana",  # DST at midnight
    "America/Santiago",  # southern hemisphere, falls back from 24:00
    "Australia/Lord_Howe",  # 30-minute DST
    "Asia/Kathmandu",  # +05:45
    "Pacific/Apia",  # skipped 2011-12-30 entirely
    "UTC",
)


QUARTER = timedelta(minutes=15)


def _transitions(name: str) -> list[tuple[datetime, datetime, datetime]]:
    """(instant, wall clock just before, wall clock just after) of each offset change in 2011-2012
    and 2025-2027. Every one of them falls on a quarter hour."""
    tz = ZoneInfo(name)
    found = []
    for first, last in ((datetime(2011, 1, 1, tzinfo=UTC), 730), (datetime(2025, 1, 1, tzinfo=UTC), 1095)):
        for day in (first + timedelta(days=n) for n in range(last)):
            if day.astimezone(tz).utcoffset() == (day + timedelta(days=1)).astimezone(tz).utcoffset():
                continue
            at = day
            while at.astimezone(tz).utcoffset() == (at + QUARTER).astimezone(tz).utcoffset():
                at += QUARTER
            at += QUARTER
            before, after = (at - SECOND).astimezone(tz), at.astimezone(tz)
            found.append((at, (before + SECOND).replace(tzinfo=None), after.replace(tzinfo=None)))
    return found


TRANSITIONS = {name: _transitions(name) for name in ZONES}
NEAR_TRANSITIONS = {
    name: [wall for _, *walls in found for wall in walls] for name, found in TRANSITIONS.items()
}
MINUTES = st.one_of(st.sampled_from([0, 30, 45, 59]), st.integers(0, 59))
HOURS = st.one_of(st.sampled_from([0, 1, 2, 3, 22, 23]), st.integers(0, 23))
NEAR = st.sampled_from([-1440, -61, -60, -31, -30, -1, 0, 1, 29, 30, 59, 60, 61, 1440])


@st.composite
def local_datetimes(draw, name: str) -> datetime:
    """A naive local wall time, often just before, inside or after a skipped or repeated hour."""
    if NEAR_TRANSITIONS[name] and draw(st.booleans()):
        return draw(st.sampled_from(NEAR_TRANSITIONS[name])) + timedelta(minutes=draw(NEAR))
    day = draw(st.dates(date(2011, 1, 1), date(2028, 12, 31)))
    return datetime(day.year, day.month, day.day, draw(HOURS), draw(MINUTES))


def _minutes(clock: str) -> int:
    return int(clock[:2]) * 60 + int(clock[3:])


def _first_instant_showing(wall: datetime, tz: ZoneInfo) -> datetime:
    """Walk minute by minute until the local clock shows ``wall`` or later."""
    t = wall.replace(tzinfo=UTC) - timedelta(hours=15)  # no zone is ahead of UTC by 15 h
    while t.astimezone(tz).replace(tzinfo=None) < wall:
        t += MINUTE
    return t


def _instant(text: str, tz: ZoneInfo) -> datetime:
    if "T" in text and (text.endswith("Z") or text[-6] in "+-"):
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    return _first_instant_showing(datetime.fromisoformat(text), tz)


@st.composite
def cases(draw) -> tuple[dict, datetime]:
    """A schedule document and an instant, often on a DST day or right at the run's start or end."""
    name = draw(st.sampled_from(ZONES))
    tz = ZoneInfo(name)
    now_wall = draw(local_datetimes(name)).replace(second=draw(st.sampled_from([0, 30, 59])))
    now = now_wall.replace(tzinfo=tz, fold=draw(st.integers(0, 1))).astimezone(UTC)
    doc: dict = {"timezone": name}
    for key in ("start", "end"):
        kind = draw(st.sampled_from(["none", "none", "none", "wall", "wall", "date", "offset"]))
        if kind == "none":
            continue
        near = datetime.combine(
            now_wall.date() + timedelta(days=draw(st.integers(-1, 1))), datetime.min.time()
        )
        if draw(st.booleans()):
            wall = near.replace(hour=draw(HOURS), minute=draw(MINUTES))
        else:
            wall = draw(local_datetimes(name))
        text = wall.strftime("%Y-%m-%d" if kind == "date" else "%Y-%m-%dT%H:%M")
        doc[key] = text + (draw(st.sampled_from(["Z", "+09:00", "-05:30"])) if kind == "offset" else "")
    bounds = [doc[key] for key in ("start", "end") if key in doc]
    if bounds and draw(st.booleans()):
        edge = _instant(draw(st.sampled_from(bounds)), tz)
        now = edge + timedelta(
            seconds=draw(st.sampled_from([-3600, -1800, -60, -1, 0, 1, 59, 60, 1799, 3600]))
        )
    if draw(st.integers(0, 2)):
        doc["days"] = draw(st.lists(st.sampled_from(DAY_NAMES), min_size=1, max_size=6, unique=True))
    if draw(st.integers(0, 2)):
        clock = st.builds(lambda h, m: f"{h:02d}:{m:02d}", HOURS, MINUTES)
        windows = draw(
            st.lists(
                st.fixed_dictionaries({"from": clock, "to": st.one_of(clock, st.just("24:00"))}), max_size=4
            )
        )
        doc["hours"] = [w for w in windows if w["from"] != w["to"].replace("24:00", "00:00")] or [WINDOW]
    return doc, now


def slow_is_open(doc: dict, now: datetime) -> bool:
    tz = ZoneInfo(doc.get("timezone", DEFAULT_TZ))
    if "start" in doc and now < _instant(doc["start"], tz):
        return False
    if "end" in doc and now >= _instant(doc["end"], tz):
        return False
    local = now.astimezone(tz)
    days = [DAY_NAMES.index(d) for d in doc.get("days", DAY_NAMES)]
    today, yesterday = local.weekday(), (local.weekday() - 1) % 7
    minute = local.hour * 60 + local.minute
    for window in doc.get("hours", [{"from": "00:00", "to": "24:00"}]):
        start, stop = _minutes(window["from"]), _minutes(window["to"])
        if start < stop:
            if today in days and start <= minute < stop:
                return True
        elif (today in days and minute >= start) or (yesterday in days and minute < stop):
            return True
    return False


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(ZONES), data=st.data())
def test_wall_clock_times_are_the_first_instant_the_clock_shows_them(name, data):
    wall = data.draw(local_datetimes(name))
    expected = _first_instant_showing(wall, ZoneInfo(name))
    assert wall_to_epoch(wall, name) == expected.timestamp()
    assert (
        parse_schedule({"timezone": name, "start": wall.strftime("%Y-%m-%dT%H:%M")}).start_s
        == expected.timestamp()
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_is_open_matches_a_slow_literal_reading(case):
    doc, now = case
    tz = ZoneInfo(doc["timezone"])
    if "start" in doc and "end" in doc and _instant(doc["end"], tz) <= _instant(doc["start"], tz):
        with pytest.raises(InvalidRequest):
            parse_schedule(doc)
        assume(False)
    assert parse_schedule(doc).is_open(now) == slow_is_open(doc, now), doc


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(ZONES), period=st.sampled_from(["day", "week", "month"]), data=st.data())
def test_a_counter_expires_exactly_when_its_period_ends(name, period, data):
    near_transition = st.builds(
        lambda t, s: int(t[0].timestamp()) + s,
        st.sampled_from(TRANSITIONS[name] or [(utc(2026, 1, 1),)]),
        st.integers(-2 * 86400, 2 * 86400),
    )
    seconds = data.draw(st.one_of(near_transition, st.integers(epoch(2011, 1, 1), epoch(2028, 12, 31))))
    now = datetime.fromtimestamp(seconds, UTC)
    ends = period_expires_at(now, name, period, grace_s=0)
    assert ends is not None and ends > seconds
    last, first_after = (
        datetime.fromtimestamp(ends - 1, UTC),
        datetime.fromtimestamp(ends, UTC),
    )
    assert period_key(last, name, period) == period_key(now, name, period)
    assert period_key(first_after, name, period) != period_key(now, name, period)
    assert period_expires_at(now, name, period) == ends + 2 * 86400
