"""The documents shown in docs/campaigns.md are valid: a marketer can copy them."""

import json
import re
from pathlib import Path

from xsell.decisioning import catalog
from xsell.decisioning.schedule import parse_schedule

DOC = Path(__file__).resolve().parents[2] / "docs" / "campaigns.md"
SCALES = {"group": ["regular", "silver", "gold", "platinum"], "brand": ["bronze", "silver", "gold"]}


def _examples() -> list[dict]:
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", DOC.read_text(), re.S)]


def test_every_example_in_the_campaign_guide_validates():
    campaign, schedule, group = _examples()
    catalog.validate_campaign(campaign, brands={"hana", "tabi", "umi"}, rank_scales=SCALES)
    assert parse_schedule(schedule).timezone == "Europe/Berlin"
    catalog.validate_group(group, brands={"hana", "tabi", "umi"})
    snapshot = catalog.compile_snapshot(1, [{"site_id": "hana-web", "brand": "hana"}], [campaign], group)
    assert set(snapshot.campaigns) == {campaign["campaign_id"]}
    assert snapshot.destination_caps["tabi"], "group settings with domains must not be dropped"
    assert group["domains"] == ["cdn.example.jp"]
