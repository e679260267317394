"""Audit searches refuse what they cannot mean, naming the parameter (found by the admin fuzzer)."""

import pytest

from xsell.admin import audit
from xsell.admin.access import Principal
from xsell.errors import InvalidRequest

ADMIN = Principal("a", "a@x.example", "group-admin", None)


@pytest.mark.parametrize(
    ("since", "until", "field"),
    [
        ("2000-01-01", "0001-01-01", "until"),
        ("9999-12-31", None, "since"),
        ("yesterday", None, "since"),
        ("2026-12-01", "2026-11-01", "since"),
        ("2020-01-01", "2026-01-01", "since"),  # more than a year at once
    ],
)
def test_a_bad_date_range_is_a_400_naming_the_parameter(since, until, field):
    with pytest.raises(InvalidRequest) as raised:
        audit.search(ADMIN, since=since, until=until)
    assert raised.value.field == field


def test_a_body_number_below_any_minimum_is_a_400_not_a_crash():
    """Found by the admin fuzzer: a huge negative number met a schema without a minimum."""
    from types import SimpleNamespace

    from functions.admin import requests
    from xsell.admin import contract

    event = SimpleNamespace(body='{"expected_version": -116139747861809900552192, "note": "x"}')
    assert requests.body(event, contract.PUBLISH_REQUEST)["expected_version"] < 0
    with pytest.raises(InvalidRequest) as raised:
        requests.body(SimpleNamespace(body='{"rev": -1, "data": {}}'), contract.SAVE_REQUEST)
    assert raised.value.field == "rev"
