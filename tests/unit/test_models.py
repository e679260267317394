from datetime import UTC, datetime

from pynamodb.attributes import TTLAttribute

from xsell import env
from xsell.models import TABLE_ENV, TABLES, AuditEntry, ConfigItem, Counter, ImportJob, Profile
from xsell.models.schema import Key, all_table_schemas, table_schema


def test_every_table_has_an_environment_variable():
    assert set(TABLES) == set(TABLE_ENV)
    assert {s.env_var for s in all_table_schemas()} == {
        env.PROFILES_TABLE,
        env.CONFIG_TABLE,
        env.COUNTERS_TABLE,
        env.JOBS_TABLE,
        env.AUDIT_TABLE,
    }


def test_profiles_key_is_the_group_customer_id():
    schema = table_schema("profiles", Profile)
    assert schema.partition_key == Key("customer_id", "S")
    assert schema.sort_key is None
    assert schema.global_indexes == ()


def test_config_has_no_index_so_every_read_of_it_can_be_consistent():
    schema = table_schema("config", ConfigItem)
    assert (schema.partition_key, schema.sort_key) == (Key("pk", "S"), Key("sk", "S"))
    assert schema.global_indexes == ()


def test_audit_entries_are_keyed_by_month_and_time():
    schema = table_schema("audit", AuditEntry)
    assert (schema.partition_key, schema.sort_key) == (Key("pk", "S"), Key("sk", "S"))
    assert schema.global_indexes == () and schema.ttl_attribute is None


def test_counters_expire_through_ttl():
    schema = table_schema("counters", Counter)
    assert (schema.partition_key, schema.sort_key) == (Key("pk", "S"), Key("sk", "S"))
    assert schema.ttl_attribute == "expires_at"
    assert isinstance(Counter.get_attributes()["expires_at"], TTLAttribute)


def test_jobs_are_listed_per_partner_newest_last():
    index = next(i for i in table_schema("jobs", ImportJob).global_indexes if i.name == "by_partner")
    assert index.partition_key == Key("partner", "S")
    assert index.sort_key == Key("started_at", "S")


def test_job_counts_and_offsets_are_stored_as_numbers_and_read_as_whole_numbers():
    started = datetime(2026, 11, 30, tzinfo=UTC)
    job = ImportJob(
        "j1", partner="p", dataset="profiles", object_key="k", started_at=started, chunks=3, offset=1024
    )
    stored = job.serialize()
    assert stored["chunks"] == {"N": "3"} and stored["offset"] == {"N": "1024"}
    assert "progress_rows" not in stored  # a nullable count left unset is not stored
    read = ImportJob.from_raw_data({**stored, "rows_read": {"N": "7.0"}})  # however a writer spelled it
    assert (read.chunks, read.offset, read.rows_read, read.progress_rows) == (3, 1024, 7, None)
    assert all(type(n) is int for n in (read.chunks, read.offset, read.rows_read))
