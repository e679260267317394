"""The small pieces of the import: settings, budgets, report parts, upload keys, the command."""

import csv
import io

import pytest

from xsell import cli
from xsell.errors import InvalidRequest
from xsell.importing import checkpoints, encodings
from xsell.importing.checkpoints import Budget, Deadline
from xsell.importing.datasets import DATASETS
from xsell.importing.errors import InvalidSettings
from xsell.importing.mappings import DatasetSettings, from_document
from xsell.importing.presign import upload_key
from xsell.importing.reports import ErrorSink, part_key

NAMES = set(DATASETS)


def test_partner_settings_are_read_and_round_trip():
    document = {
        "encoding": "Shift_JIS",
        "datasets": {
            "profiles": {"columns": {"会員番号": "customer_id", "備考": None}, "keep_unknown_columns": True}
        },
        "brands": ["hana"],
        "brand_aliases": {"花コスメ": "hana"},
    }
    settings = from_document("acme", document, NAMES)
    assert settings.encoding == "cp932"
    assert settings.for_dataset("profiles") == DatasetSettings(
        {"会員番号": "customer_id", "備考": None}, True
    )
    assert settings.for_dataset("erasure") == DatasetSettings()
    assert from_document("acme", settings.to_document(), NAMES) == settings
    assert from_document("acme", None, NAMES).encoding == "auto"


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (
            {"encoding": "latin-1"},
            "unsupported encoding 'latin-1': use auto, utf-8, cp932 (Shift_JIS) or euc-jp",
        ),
        ({"colour": 1}, "unknown setting(s) colour"),
        ({"datasets": {"orders": {}}}, "unknown dataset 'orders'"),
        (
            {"datasets": {"profiles": {"columns": {"a": 1}}}},
            "datasets.profiles.columns['a'] must be a name or null",
        ),
        (
            {"datasets": {"profiles": {"keep_unknown_columns": "yes"}}},
            "datasets.profiles.keep_unknown_columns must be true or false",
        ),
        ({"brands": "hana"}, "brands must be a list of brand ids"),
        ({"brand_aliases": {"x": None}}, "brand_aliases['x'] must be a name"),
    ],
)
def test_invalid_partner_settings_reject_the_file_with_what_to_fix(document, problem):
    with pytest.raises(InvalidSettings) as refused:
        from_document("acme", document, NAMES)
    assert str(refused.value) == f"the settings of partner 'acme' are invalid: {problem}"


def test_encoding_names_partners_use():
    assert {encodings.canonical(n) for n in ("UTF-8", "utf8", "utf-8-sig")} == {"utf-8"}
    assert {encodings.canonical(n) for n in ("cp932", "MS932", "Windows-31J", "SJIS", "shift_jis")} == {
        "cp932"
    }


def test_a_chunk_leaves_time_to_commit_before_lambda_stops_it():
    in_lambda = Budget.for_invocation(900_000)
    assert (in_lambda.max_rows, in_lambda.seconds, in_lambda.lease_seconds) == (1_000_000, 600.0, 930.0)
    nearly_out = Budget.for_invocation(120_000)
    assert nearly_out.seconds == 80.0  # a third is kept back when little time is left
    assert Budget.for_invocation(30_000, max_rows=5, max_seconds=3).max_rows == 5


def test_the_row_limit_reads_the_current_default(monkeypatch):
    monkeypatch.setattr(checkpoints, "MAX_ROWS_PER_CHUNK", 7)
    assert Budget.for_invocation().max_rows == 7


def test_the_deadline_counts_rows_and_checks_the_clock_every_256_rows():
    now = [0.0]
    deadline = Deadline(Budget(max_rows=1000, seconds=10, lease_seconds=60), clock=lambda: now[0])
    now[0] = 11.0
    assert not deadline.reached(255) and deadline.reached(256)
    assert Deadline(Budget(max_rows=3, seconds=10, lease_seconds=60), clock=lambda: 0.0).reached(3)


def test_error_parts_are_sorted_bounded_and_spreadsheet_safe():
    written: dict[str, bytes] = {}
    sink = ErrorSink("b", "job", 2, part_rows=2, put=lambda bucket, key, data: written.__setitem__(key, data))
    sink.add(9, "ltv", "=1+1", "not a whole number")
    sink.add(4, "", "", "line 4 is longer than 1048576 bytes")
    sink.add(7, "brand", "x", "unknown brand")
    assert sink.close() == [part_key("job", 2, 0), part_key("job", 2, 1)] == list(written)
    assert part_key("job", 2, 1) == "results/job/parts/000002-0001.csv"
    first = list(csv.reader(io.StringIO(written[part_key("job", 2, 0)].decode())))
    assert first == [
        ["4", "", "", "line 4 is longer than 1048576 bytes"],
        ["9", "ltv", "'=1+1", "not a whole number"],
    ]
    assert sink.count == 3


def test_upload_keys_stay_inside_the_partners_prefix():
    assert (
        upload_key("acme", "brand_usage", " 2026-11 利用.csv ")
        == "incoming/acme/brand_usage/2026-11 利用.csv"
    )
    for partner, dataset, filename in [
        ("acme/../other", "profiles", "a.csv"),
        ("acme", "profiles", "sub/a.csv"),
        ("acme", "profiles", "a\\b.csv"),
        ("acme", "profiles", "a\n.csv"),
        ("acme", "profiles", "x" * 200 + ".csv"),
    ]:
        with pytest.raises(InvalidRequest):
            upload_key(partner, dataset, filename)


def test_the_command_refuses_bad_arguments_before_touching_anything(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cli, "_point_at_local_emulators", lambda: None)
    file = tmp_path / "a.csv"
    file.write_text("customer_id\n")
    assert cli.main(["import", str(file), "--partner", "ACME", "--dataset", "profiles"]) == cli.EXIT_USAGE
    assert "partner: partner must be lowercase" in capsys.readouterr().err
    assert cli.main(["import", str(tmp_path / "nope.csv"), "--partner", "a", "--dataset", "profiles"]) == 64
    assert "is not a file" in capsys.readouterr().err
