"""PynamoDB models: the single source of every table's keys and indexes.

CDK builds each table from :func:`xsell.models.schema.table_schema`; local
bootstrap and test fixtures create tables with ``Model.create_table``.
"""

from xsell import env
from xsell.models.audit import AuditEntry
from xsell.models.config import ConfigItem
from xsell.models.counters import Counter
from xsell.models.jobs import ImportJob
from xsell.models.profiles import Profile

# Logical table name -> model. The logical name is stable across stages; it
# names CDK constructs and pairs each table with its environment variable.
TABLES = {
    "profiles": Profile,
    "config": ConfigItem,
    "counters": Counter,
    "jobs": ImportJob,
    "audit": AuditEntry,
}
ALL_MODELS = tuple(TABLES.values())
# Logical table name -> the environment variable that carries its physical name.
TABLE_ENV = {
    "profiles": env.PROFILES_TABLE,
    "config": env.CONFIG_TABLE,
    "counters": env.COUNTERS_TABLE,
    "jobs": env.JOBS_TABLE,
    "audit": env.AUDIT_TABLE,
}

__all__ = ["ALL_MODELS", "AuditEntry", "TABLES", "TABLE_ENV", "ConfigItem", "Counter", "ImportJob", "Profile"]
