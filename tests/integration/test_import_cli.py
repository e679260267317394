"""``xsell import FILE --partner P --dataset D`` uploads to the drop bucket and waits for the job."""

import io
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from tests.fixtures.csv import register
from xsell import cli
from xsell.models import Profile


@contextmanager
def importer_running(system) -> Iterator[None]:
    """The demo's dispatcher, polling in the background while the command waits."""
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            if not system.dispatcher.poll_once():
                stop.wait(0.1)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def test_the_command_uploads_waits_and_summarises_the_job(local_system, tmp_path):
    p = uuid.uuid4().hex[:8]
    path = tmp_path / "members.csv"
    path.write_bytes(f"顧客ID,生年\r\n{p}-1,1980\r\n{p}-2,unknown\r\n".encode("cp932"))
    out = io.StringIO()
    key = f"incoming/{register(f'cli-{p}')}/profiles/members.csv"
    with importer_running(local_system):
        code = cli.import_file(path, local_system.resources.drop_bucket, key, timeout=60, out=out)

    assert code == cli.EXIT_OK
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"uploaded s3://{local_system.resources.drop_bucket}/{key} (job ")
    assert "succeeded: 2 rows read, 1 imported, 1 rejected, 0 duplicate, 0 outdated" in lines[1]
    assert lines[2].endswith("/errors.csv (1 lines)")
    assert lines[3:] == ["  row,column,value,reason", "  3,生年,unknown,not a whole number"]
    assert Profile.get(f"{p}-1").attributes.as_dict() == {"birth_year": 1980}


def test_a_rejected_file_exits_non_zero_with_its_reason(local_system, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("name\nTaro\n")
    out = io.StringIO()
    key = f"incoming/{register(f'cli-{uuid.uuid4().hex[:8]}')}/profiles/bad.csv"
    with importer_running(local_system):
        code = cli.import_file(path, local_system.resources.drop_bucket, key, timeout=60, out=out)
    assert code == cli.EXIT_REJECTED
    assert out.getvalue().splitlines()[-1] == "  missing required column(s): customer_id"


def test_without_an_importer_running_the_command_times_out_with_a_hint(local_system, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("customer_id\nC1\n")
    out = io.StringIO()
    key = f"incoming/{register(f'cli-{uuid.uuid4().hex[:8]}')}/profiles/x.csv"
    code = cli.import_file(path, local_system.resources.drop_bucket, key, timeout=0.5, out=out)
    assert code == cli.EXIT_TIMEOUT
    assert "is `make demo` running?" in out.getvalue()
    local_system.dispatcher.drain()
