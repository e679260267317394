"""Each creative template's text limits: one definition, enforced by the admin API with a field
error, and stated the same by the admin page's form."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import ROOT
from xsell.admin import documents
from xsell.decisioning import catalog
from xsell.errors import InvalidRequest


def creative(template: str, **fields: str) -> dict:
    base = {
        "title": "旅トラベル",
        "image_url": "https://tabi.example.jp/a.png",
        "link_url": "https://tabi.example.jp/",
        "alt": "旅トラベル",
    }
    wanted = documents.TEMPLATE_LIMITS[template]
    return {
        "creative_id": "c1",
        "brand": "tabi",
        "template": template,
        "fields": {k: v for k, v in {**base, **fields}.items() if k in wanted},
    }


def test_every_template_names_its_fields_and_decide_templates_match():
    assert tuple(documents.TEMPLATE_LIMITS) == catalog.TEMPLATES
    for template, limits in documents.TEMPLATE_LIMITS.items():
        assert limits["link_url"] == (True, catalog.MAX_FIELD_CHARS), template
        assert all(0 < most <= catalog.MAX_FIELD_CHARS for _, most in limits.values()), template


@pytest.mark.parametrize(
    ("template", "field"),
    [(t, f) for t, limits in documents.TEMPLATE_LIMITS.items() for f in limits if not f.endswith("_url")],
)
def test_a_text_at_its_limit_is_saved_and_one_more_character_is_refused_at_the_field(template, field):
    most = documents.TEMPLATE_LIMITS[template][field][1]
    assert documents.validate_creative(creative(template, **{field: "あ" * most}))
    with pytest.raises(InvalidRequest) as raised:
        documents.validate_creative(creative(template, **{field: "あ" * (most + 1)}))
    assert raised.value.field == f"creative.fields.{field}"
    assert f"{template} allows at most {most}" in str(raised.value)


def test_the_2048_character_title_decide_would_carry_is_refused_by_the_admin_api():
    long = "x" * catalog.MAX_FIELD_CHARS
    catalog.validate_campaign(  # decide's own check: a config may still hold it
        {
            "campaign_id": "c",
            "status": "active",
            "source_sites": ["hana-web"],
            "slots": ["top-banner"],
            "destination_brand": "tabi",
            "creatives": [
                {
                    "creative_id": "a",
                    "template": "text_card",
                    "fields": {"title": long, "link_url": "https://t.jp/"},
                }
            ],
        }
    )
    with pytest.raises(InvalidRequest) as raised:
        documents.validate_creative(creative("text_card", title=long))
    assert raised.value.field == "creative.fields.title"
    assert "has 2048 characters" in str(raised.value)


def test_a_text_that_is_not_a_text_or_a_field_the_template_lacks_is_refused():
    with pytest.raises(InvalidRequest) as raised:
        documents.validate_creative(creative("text_card", body=5))  # type: ignore[arg-type]
    assert raised.value.field == "creative.fields.body"
    doc = creative("image_banner")
    doc["fields"]["title"] = "an image banner has no title"
    with pytest.raises(InvalidRequest):
        documents.validate_creative(doc)


def test_the_admin_pages_form_states_the_same_limits():
    script = (
        "import('./admin_spa/src/templates.js')"
        ".then((m) => process.stdout.write(JSON.stringify(m.TEMPLATE_LIMITS)))"
    )
    out = subprocess.run(
        ["node", "--input-type=module", "-e", script], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    stated = {t: {f: tuple(v) for f, v in limits.items()} for t, limits in json.loads(out).items()}
    assert stated == documents.TEMPLATE_LIMITS
