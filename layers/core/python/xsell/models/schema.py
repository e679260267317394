"""A plain description of a model's table: what CDK and local bootstrap build from.

Read off the PynamoDB model, so keys and indexes are declared exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pynamodb.attributes import TTLAttribute
from pynamodb.models import Model


@dataclass(frozen=True)
class Key:
    name: str
    type: str  # "S" | "N" | "B"


@dataclass(frozen=True)
class IndexSchema:
    name: str
    partition_key: Key
    sort_key: Key | None


@dataclass(frozen=True)
class TableSchema:
    logical_name: str  # e.g. "profiles": stable, used for construct ids and outputs
    env_var: str  # the variable that hands the physical name to functions
    partition_key: Key
    sort_key: Key | None
    global_indexes: tuple[IndexSchema, ...]
    ttl_attribute: str | None


def _keys(key_schema: Sequence[Mapping[str, object]], types: dict[str, str]) -> tuple[Key, Key | None]:
    by_type = {str(k["KeyType"]): str(k["AttributeName"]) for k in key_schema}
    hash_name = by_type["HASH"]
    range_name = by_type.get("RANGE")
    return (
        Key(hash_name, types[hash_name]),
        Key(range_name, types[range_name]) if range_name else None,
    )


def table_schema(logical_name: str, model: type[Model]) -> TableSchema:
    """Describe ``model``'s table: keys, global indexes and TTL attribute."""
    schema = model._get_schema()
    types = {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]}
    pk, sk = _keys(schema["key_schema"], types)
    indexes = []
    for gsi in schema["global_secondary_indexes"]:
        ipk, isk = _keys(gsi["key_schema"], types)
        indexes.append(IndexSchema(gsi["index_name"], ipk, isk))
    ttl = next(
        (name for name, attr in model.get_attributes().items() if isinstance(attr, TTLAttribute)),
        None,
    )
    from xsell.models import TABLE_ENV

    return TableSchema(logical_name, TABLE_ENV[logical_name], pk, sk, tuple(indexes), ttl)


def all_table_schemas() -> tuple[TableSchema, ...]:
    """Every xsell table, in a stable order."""
    from xsell.models import TABLES

    return tuple(table_schema(name, model) for name, model in TABLES.items())
