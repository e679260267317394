"""The emulator launcher explains what is wrong instead of hanging or leaking processes."""

import socket

import pytest

from local.emulators import EmulatorError, Emulators, free_port


def test_a_taken_port_is_named_with_the_variable_to_change(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        emu = Emulators(dynamodb_port=port, moto_port=free_port(), log_dir=tmp_path)
        with pytest.raises(
            EmulatorError, match=f"port {port} for DynamoDB Local is already taken.*XSELL_LOCAL_DYNAMODB_PORT"
        ):
            emu.start()


def test_missing_java_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no java on PATH
    with pytest.raises(EmulatorError, match="Java is missing.*Java 17"):
        Emulators(dynamodb_port=free_port(), moto_port=free_port(), log_dir=tmp_path).start()


def test_bad_port_variable_is_reported(monkeypatch):
    monkeypatch.setenv("XSELL_LOCAL_MOTO_PORT", "fifty")
    with pytest.raises(EmulatorError, match="XSELL_LOCAL_MOTO_PORT='fifty' is not a port number"):
        Emulators()


def test_any_access_key_reaches_the_same_local_tables(emulators):
    """A shell that exports its own AWS keys must see the tables `make demo` created (the test
    session pins one region, so only the key differs here)."""
    import boto3
    import botocore.config

    def client(key: str, region: str):  # type: ignore[no-untyped-def]
        return boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=key).client(
            "dynamodb",
            region_name=region,
            endpoint_url=emulators.endpoints["dynamodb"],
            config=botocore.config.Config(retries={"max_attempts": 1}),
        )

    table = "shared-db-check"
    first = client("AKIAFIRSTKEY", "ap-northeast-1")
    first.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        assert table in client("AKIAOTHERKEY", "ap-northeast-1").list_tables()["TableNames"]
    finally:
        first.delete_table(TableName=table)


def test_a_java_that_cannot_compile_the_loopback_launcher_says_what_it_needs(tmp_path):
    from local.emulators import loopback_launcher

    java = tmp_path / "java"
    java.write_text("#!/bin/sh\necho 'Error: module jdk.compiler not found' >&2\nexit 1\n")
    java.chmod(0o755)
    with pytest.raises(
        EmulatorError, match=r"needs Java 17 or newer with the jdk\.compiler module.*jdk\.compiler not found"
    ):
        loopback_launcher(str(java), cache=tmp_path / "classes")
    assert list((tmp_path / "classes").iterdir()) == []  # no half-built folder left behind


def test_the_loopback_launcher_is_compiled_once_per_source(tmp_path):
    import shutil

    from local.emulators import loopback_launcher

    java = shutil.which("java")
    assert java is not None
    first = loopback_launcher(java, cache=tmp_path)
    assert (first / "DynamoDBLocalOnLoopback.class").is_file()
    assert loopback_launcher(str(tmp_path / "no-java-needed-now"), cache=tmp_path) == first
