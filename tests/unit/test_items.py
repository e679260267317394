"""The decide path's own attribute-value reader agrees with boto3's TypeDeserializer."""

from __future__ import annotations

from boto3.dynamodb.types import TypeDeserializer
from hypothesis import given
from hypothesis import strategies as st

from xsell.dal import items

numbers = st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-(10**9), max_value=10**9)
scalars = st.one_of(
    st.builds(lambda s: {"S": s}, st.text(max_size=8)),
    st.builds(lambda n: {"N": str(n)}, numbers),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
    st.just({"NULL": True}),
    st.builds(lambda b: {"B": b}, st.binary(max_size=8)),
    st.builds(lambda s: {"SS": sorted(s)}, st.sets(st.text(max_size=4), min_size=1, max_size=4)),
    st.builds(lambda s: {"NS": [str(n) for n in s]}, st.sets(numbers, min_size=1, max_size=4)),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.builds(lambda xs: {"L": xs}, st.lists(inner, max_size=4)),
        st.builds(lambda m: {"M": m}, st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    ),
    max_leaves=12,
)


def _comparable(value):
    """TypeDeserializer gives Binary wrappers; compare their bytes."""
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if isinstance(value, set):
        return {_comparable(v) for v in value}
    return getattr(value, "value", value)


@given(values)
def test_plain_reads_every_attribute_type_as_boto3_does(value):
    assert _comparable(items.plain(value)) == _comparable(TypeDeserializer().deserialize(value))
