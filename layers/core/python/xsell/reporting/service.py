"""The reports use case: parameters in, rows out, for the admin API.

Every report: validated parameters (a bad one is a 400 naming it), the caller's brand put into
the SQL parameters (a brand marketer only ever gets rows of pairs that include their brand),
the query run on the configured engine, results cached per query + parameters + data
fingerprint, figures computed in Python where SQL should not (statistics, prices), and a CSV of
the same rows. Definitions: docs/reports.md.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from xsell import env, roles
from xsell.admin.access import Principal
from xsell.errors import InvalidRequest
from xsell.export import to_csv
from xsell.reporting import engines, layout, settlement, sql, stats

DEFAULT_CLICK_WINDOW = 7
DEFAULT_VIEW_WINDOW = 1
MAX_DAYS = layout.MAX_REPORT_DAYS
PAIR_HISTORY_DAYS = 30  # how far back "first order at the destination" looks for new customers
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

# Optional environment of the admin function (xsell.topology): where the engines find the data.
ATHENA_WORKGROUP = env.ATHENA_WORKGROUP
GLUE_DATABASE = env.GLUE_DATABASE
REPORT_ENGINE = "XSELL_REPORT_ENGINE"  # "athena" or "duckdb"; default: athena when a workgroup is set


@dataclass(frozen=True)
class Spec:
    name: str
    title: str
    query: str
    params: tuple[str, ...]
    columns: tuple[str, ...]  # the CSV's columns, in order
    finish: Callable[[list[dict[str, Any]], dict[str, Any]], list[dict[str, Any]]] = lambda rows, _: rows
    # A report read from the live config instead of the events (no SQL, no parameters): its rows
    # for the brand scope ('' for all), and when they were computed.
    read: Callable[[str], tuple[list[dict[str, Any]], str | None]] | None = None


@dataclass
class Params:
    values: dict[str, Any] = field(default_factory=dict)

    def sql(self, brand: str) -> dict[str, Any]:
        v = self.values
        return {
            "date_from": v["from"],
            "date_until": v["until"],
            "campaign": v.get("campaign", ""),
            "click_window_days": v["click_window_days"],
            "view_window_days": v["view_window_days"],
            "brand": brand,
        }


# --- parameters -------------------------------------------------------------------------------


def _date(text: str | None, name: str) -> str:
    if not text or not _DATE.fullmatch(text):
        raise InvalidRequest(f"{name} must be a date YYYY-MM-DD", name)
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError as exc:
        raise InvalidRequest(f"{name} must be a real date", name) from exc


def _int(text: str | None, name: str, default: int, low: int, high: int) -> int:
    if text is None or text == "":
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise InvalidRequest(f"{name} must be a whole number from {low} to {high}", name)
    return int(text)


def parse(spec: Spec, query: Mapping[str, str], now: dt.datetime | None = None) -> Params:
    unknown = sorted(set(query) - set(spec.params) - {"run"})
    if unknown:
        raise InvalidRequest(
            f"unknown parameter {unknown[0]} (allowed: {', '.join(spec.params)})", unknown[0]
        )
    values: dict[str, Any] = {}
    if "month" in spec.params:
        month = query.get("month") or ""
        if not _MONTH.fullmatch(month) or not 1 <= int(month[5:]) <= 12:
            raise InvalidRequest("month must be YYYY-MM", "month")
        first = dt.date.fromisoformat(month + "-01")
        after = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        values.update(
            {"month": month, "from": first.isoformat(), "until": (after - dt.timedelta(days=1)).isoformat()}
        )
    else:
        until = _date(query.get("until") or layout.today(now), "until")
        since = _date(query.get("from") or layout.shift(until, -6), "from")
        if since > until:
            raise InvalidRequest("from must not be after until", "from")
        if len(list(layout.days(since, until))) > MAX_DAYS:
            raise InvalidRequest(f"a report covers at most {MAX_DAYS} days", "from")
        values.update({"from": since, "until": until})
    campaign = query.get("campaign") or ""
    if campaign and not _NAME.fullmatch(campaign):
        raise InvalidRequest("campaign must be a campaign id (1-64 letters, digits, _ or -)", "campaign")
    values["campaign"] = campaign
    values["click_window_days"] = _int(
        query.get("click_window_days"), "click_window_days", DEFAULT_CLICK_WINDOW, 1, 30
    )
    values["view_window_days"] = _int(
        query.get("view_window_days"), "view_window_days", DEFAULT_VIEW_WINDOW, 0, 7
    )
    return Params(values)


def scope(principal: Principal) -> str:
    """The brand every row must involve ('' for group-wide roles). Raises NotAllowed for no role."""
    principal.require_read(None, "reports")
    return principal.brand or "" if principal.role == roles.BRAND_MARKETER else ""


# --- post-processing --------------------------------------------------------------------------


def _campaigns() -> dict[str, dict[str, Any]]:
    from xsell.dal import config as config_store

    return {str(c["campaign_id"]): c for c in config_store.live_documents("campaign") if c.get("campaign_id")}


def _group() -> dict[str, Any]:
    from xsell.dal import config as config_store
    from xsell.decisioning.catalog import GROUP_ID

    return config_store.live_document("group", GROUP_ID) or {}


def _finish_ab(rows: list[dict[str, Any]], context: dict[str, Any]) -> list[dict[str, Any]]:
    campaigns = context["campaigns"]()
    out: list[dict[str, Any]] = []
    by_campaign: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_campaign.setdefault(row["campaign_id"], []).append(row)
    for campaign_id, variants in by_campaign.items():
        config = campaigns.get(campaign_id, {})
        weights = {c.get("creative_id"): float(c.get("weight", 1)) for c in config.get("creatives", [])}
        order = list(weights) or sorted(v["creative_id"] or "" for v in variants)
        control_id = next((c for c in order if weights.get(c, 1) > 0), order[0] if order else None)
        control = next((v for v in variants if v["creative_id"] == control_id), variants[0])
        counted = [v for v in variants if weights.get(v["creative_id"], 0) > 0] if weights else []
        chi2, srm_p = stats.srm(
            [v["customers"] for v in counted], [weights[v["creative_id"]] for v in counted]
        )
        for variant in variants:
            row = dict(variant)
            n = variant["customers"]
            row["control"] = control["creative_id"]
            row["is_control"] = variant is control
            row["click_rate"] = variant["clickers"] / n if n else None
            row["conversion_rate"] = variant["converters"] / n if n else None
            row["configured_weight"] = weights.get(variant["creative_id"])
            row["srm_chi2"] = chi2
            row["srm_p"] = srm_p
            row["srm_warning"] = srm_p is not None and srm_p < stats.SRM_ALPHA
            for metric, x in (("click", "clickers"), ("conversion", "converters")):
                result = (
                    None
                    if variant is control
                    else stats.compare(control[x], control["customers"], variant[x], variant["customers"])
                )
                for key in (
                    "absolute_lift",
                    "absolute_low",
                    "absolute_high",
                    "relative_lift",
                    "relative_low",
                    "relative_high",
                    "relative_method",
                    "p_value",
                    "chance_to_beat",
                ):
                    row[f"{metric}_{key}"] = getattr(result, key) if result else None
            out.append(row)
    return out


def _finish_holdout(rows: list[dict[str, Any]], context: dict[str, Any]) -> list[dict[str, Any]]:
    arms: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        arms.setdefault(row["campaign_id"], {})[row["arm"]] = row
    out = []
    for campaign_id, pair in sorted(arms.items()):
        t = pair.get("treatment") or {
            "customers": 0,
            "converters": 0,
            "conversions": 0,
            "revenue": 0.0,
            "revenue_sq": 0.0,
        }
        h = pair.get("holdout") or {
            "customers": 0,
            "converters": 0,
            "conversions": 0,
            "revenue": 0.0,
            "revenue_sq": 0.0,
        }
        row = {
            "campaign_id": campaign_id,
            "destination_brand": (pair.get("treatment") or pair.get("holdout") or {}).get(
                "destination_brand"
            ),
            "treatment_customers": t["customers"],
            "holdout_customers": h["customers"],
            "treatment_converters": t["converters"],
            "holdout_converters": h["converters"],
            "treatment_revenue": t["revenue"],
            "holdout_revenue": h["revenue"],
            "treatment_rate": t["converters"] / t["customers"] if t["customers"] else None,
            "holdout_rate": h["converters"] / h["customers"] if h["customers"] else None,
        }
        result = stats.compare(h["converters"], h["customers"], t["converters"], t["customers"])
        n_t = t["customers"]
        if result:
            row.update(
                absolute_lift=result.absolute_lift,
                relative_lift=result.relative_lift,
                relative_low=result.relative_low,
                relative_high=result.relative_high,
                p_value=result.p_value,
                incremental_conversions=result.absolute_lift * n_t,
                incremental_conversions_low=result.absolute_low * n_t,
                incremental_conversions_high=result.absolute_high * n_t,
            )
            diff, low, high = stats.mean_difference(
                h["revenue"], h["revenue_sq"], h["customers"], t["revenue"], t["revenue_sq"], n_t
            )
            row.update(
                incremental_revenue=diff * n_t,
                incremental_revenue_low=low * n_t,
                incremental_revenue_high=high * n_t,
            )
        out.append(row)
    return out


def _finish_pairs(rows: list[dict[str, Any]], context: dict[str, Any]) -> list[dict[str, Any]]:
    reciprocity = context["group"]().get("reciprocity") or {}
    default = reciprocity.get("default")
    pairs = reciprocity.get("pairs") or {}
    out = []
    for row in rows:
        key = f"{row['source_brand']}>{row['destination_brand']}"
        rule = pairs.get(key, default)
        row = dict(row)
        row["conversion_rate"] = row["conversions"] / row["referrals_sent"] if row["referrals_sent"] else None
        row["configured_ratio"] = rule.get("ratio") if rule else None
        row["actual_ratio"] = (
            row["referrals_sent"] / row["referrals_received"] if row["referrals_received"] else None
        )
        row["balance"] = (
            row["referrals_sent"] - rule["ratio"] * row["referrals_received"]
            if rule and "ratio" in rule
            else None
        )
        out.append(row)
    return out


def _finish_settlement(rows: list[dict[str, Any]], context: dict[str, Any]) -> list[dict[str, Any]]:
    group = context["group"]()
    return settlement.statement(rows, group.get("settlement"), context["params"]["month"], context["brand"])


FUNNEL_COLUMNS = (
    "day",
    "campaign_id",
    "creative_id",
    "site_id",
    "source_brand",
    "destination_brand",
    "device",
    "requests",
    "served",
    "impressions",
    "clicks",
    "holdout_exposures",
    "ctr",
    "click_conversions",
    "view_conversions",
    "s2s_conversions",
    "cvr_per_click",
    "cvr_per_impression",
    "revenue",
)
AB_COLUMNS = (
    "campaign_id",
    "creative_id",
    "is_control",
    "configured_weight",
    "customers",
    "impressions",
    "clicks",
    "clickers",
    "click_rate",
    "click_absolute_lift",
    "click_absolute_low",
    "click_absolute_high",
    "click_relative_lift",
    "click_relative_low",
    "click_relative_high",
    "click_p_value",
    "click_chance_to_beat",
    "converters",
    "conversions",
    "revenue",
    "conversion_rate",
    "conversion_absolute_lift",
    "conversion_absolute_low",
    "conversion_absolute_high",
    "conversion_relative_lift",
    "conversion_relative_low",
    "conversion_relative_high",
    "conversion_relative_method",
    "conversion_p_value",
    "conversion_chance_to_beat",
    "srm_chi2",
    "srm_p",
    "srm_warning",
)
HOLDOUT_COLUMNS = (
    "campaign_id",
    "destination_brand",
    "treatment_customers",
    "holdout_customers",
    "treatment_converters",
    "holdout_converters",
    "treatment_rate",
    "holdout_rate",
    "absolute_lift",
    "relative_lift",
    "relative_low",
    "relative_high",
    "p_value",
    "incremental_conversions",
    "incremental_conversions_low",
    "incremental_conversions_high",
    "treatment_revenue",
    "holdout_revenue",
    "incremental_revenue",
    "incremental_revenue_low",
    "incremental_revenue_high",
)
PAIR_COLUMNS = (
    "source_brand",
    "destination_brand",
    "impressions",
    "referrals_sent",
    "referrals_received",
    "conversions",
    "conversion_rate",
    "revenue",
    "new_customers",
    "configured_ratio",
    "actual_ratio",
    "balance",
)

AFFINITY_COLUMNS = (
    "source_brand",
    "destination_brand",
    "lift",
    "lift_source",
    "usage_lift",
    "observed_lift",
    "referrals",
    "both_customers",
    "source_customers",
    "destination_customers",
    "p_destination_given_source",
    "p_destination",
    "customers",
)


def _read_affinity(brand: str) -> tuple[list[dict[str, Any]], str | None]:
    """The brand pairs of the published affinity document, highest lift first, with the shares
    that follow from their counts; only pairs that include ``brand`` when one is given."""
    from xsell.dal import config as config_store
    from xsell.decisioning.catalog import AFFINITY_ID, AFFINITY_KIND

    doc = config_store.live_document(AFFINITY_KIND, AFFINITY_ID) or {}
    customers = int(doc.get("customers") or 0)
    rows = []
    for pair in doc.get("pairs") or ():
        if brand and brand not in (pair.get("source_brand"), pair.get("destination_brand")):
            continue
        n_a, n_b, n_ab = (
            int(pair.get(k) or 0) for k in ("source_customers", "destination_customers", "both_customers")
        )
        rows.append(
            {
                **pair,
                "p_destination_given_source": round(n_ab / n_a, 6) if n_a else None,
                "p_destination": round(n_b / customers, 6) if customers else None,
                "customers": customers,
            }
        )
    rows.sort(key=lambda r: (r["lift"] is None, -(r["lift"] or 0), r["source_brand"], r["destination_brand"]))
    return rows, doc.get("computed_at")


_RANGE = ("from", "until", "click_window_days", "view_window_days")
REPORTS: dict[str, Spec] = {
    spec.name: spec
    for spec in (
        Spec("funnel", "Daily funnel", "funnel", _RANGE, FUNNEL_COLUMNS),
        Spec("ab", "A/B results", "ab", (*_RANGE, "campaign"), AB_COLUMNS, _finish_ab),
        Spec(
            "holdout",
            "Holdout lift",
            "holdout",
            ("from", "until", "click_window_days", "campaign"),
            HOLDOUT_COLUMNS,
            _finish_holdout,
        ),
        Spec("pairs", "Brand pairs", "pairs", _RANGE, PAIR_COLUMNS, _finish_pairs),
        Spec(
            "settlement",
            "Monthly settlement",
            "settlement",
            ("month", "click_window_days", "view_window_days"),
            settlement.COLUMNS,
            _finish_settlement,
        ),
        Spec("affinity", "Brand affinity", "", (), AFFINITY_COLUMNS, read=_read_affinity),
    )
}


def spec(name: str) -> Spec:
    from xsell.errors import NotFound

    if name not in REPORTS:
        raise NotFound(f"no report {name!r} (reports: {', '.join(REPORTS)})")
    return REPORTS[name]


def scan_range(spec: Spec, params: Params) -> tuple[str, str]:
    v = params.values
    back = max(v["click_window_days"], v["view_window_days"]) + 1
    if spec.name == "pairs":
        back = max(back, PAIR_HISTORY_DAYS)
    ahead = v["click_window_days"] + 1 if spec.name == "holdout" else 0
    return layout.shift(v["from"], -back), layout.shift(v["until"], ahead)


# --- running ----------------------------------------------------------------------------------


class Cache:
    """Finished results per (report, parameters, brand, data fingerprint); bounded, per process."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._items: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> dict[str, Any] | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            return None

    def put(self, key: tuple[Any, ...], value: dict[str, Any]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


CACHE = Cache()
_ENGINE: Any = None


def engine() -> Any:
    """The configured engine: Athena when the admin function has a workgroup, DuckDB locally."""
    global _ENGINE
    if _ENGINE is None:
        choice = os.environ.get(REPORT_ENGINE) or ("athena" if os.environ.get(ATHENA_WORKGROUP) else "duckdb")
        if choice == "athena":
            _ENGINE = engines.AthenaEngine(
                os.environ[ATHENA_WORKGROUP], os.environ.get(GLUE_DATABASE, "xsell")
            )
        else:
            _ENGINE = engines.DuckDBEngine(engines.S3Store(env.get(env.EVENTS_BUCKET)))
    return _ENGINE


def set_engine(value: Any) -> None:
    global _ENGINE
    _ENGINE = value
    CACHE.clear()


def defaults(spec: Spec, now: dt.datetime | None = None) -> dict[str, str]:
    """What each parameter of ``spec`` is when left out (the last 7 days up to today in Tokyo,
    the attribution windows), and for a monthly report this month: what the page fills in."""
    query = {"month": layout.today(now)[:7]} if "month" in spec.params else {}
    values = parse(spec, query, now).values
    return {p: str(values[p]) for p in spec.params if values.get(p) not in (None, "")}


def catalogue(now: dt.datetime | None = None) -> list[dict[str, Any]]:
    return [
        {
            "report": s.name,
            "title": s.title,
            "parameters": list(s.params),
            "defaults": defaults(s, now),
            "columns": list(s.columns),
        }
        for s in REPORTS.values()
    ]


def run(
    principal: Principal,
    name: str,
    query: Mapping[str, str],
    *,
    now: dt.datetime | None = None,
    use: Any = None,
    context: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run (or continue, with ``run`` in ``query``) one report for ``principal``."""
    report = spec(name)
    brand = scope(principal)
    if report.read is not None:
        return _read(report, brand, query)
    params = parse(report, query, now)
    runner = use or engine()
    if isinstance(runner, engines.DuckDBEngine):
        runner.compact_finished(now)  # the local stand-in for the nightly compaction schedule
    store = (
        runner.store
        if isinstance(runner, engines.DuckDBEngine)
        else engines.S3Store(env.get(env.EVENTS_BUCKET))
    )
    scan = engines.plan_scan(store, *scan_range(report, params))
    bound = {**params.sql(brand), **scan.params}
    key = (name, tuple(sorted(params.values.items())), brand, scan.fingerprint)
    answer = {
        "report": name,
        "title": report.title,
        "parameters": params.values,
        "brand_scope": brand or None,
        "data_as_of": scan.data_as_of,
    }
    cached = CACHE.get(key)
    if cached is not None:
        return {**answer, **cached, "cached": True}
    text = sql.load(report.query, raw=bool(scan.json))
    if isinstance(runner, engines.AthenaEngine):
        run_id = query.get("run")
        outcome = runner.poll(run_id, text, bound, scan) if run_id else runner.start(text, bound, scan)
        if isinstance(outcome, engines.Pending):
            return {**answer, "status": "running", "run": outcome.run}
        result = outcome
    else:
        result = runner.execute(text, bound, scan)
    ctx = {
        "campaigns": _campaigns,
        "group": _group,
        "params": params.values,
        "brand": brand,
        **(context or {}),
    }
    rows = report.finish(result.rows, ctx)
    done = {
        "status": "done",
        "columns": list(report.columns),
        "rows": [{c: row.get(c) for c in report.columns} for row in rows],
        "engine": result.engine,
        "seconds": round(result.seconds, 3),
        "bytes_scanned": result.bytes_scanned,
    }
    CACHE.put(key, done)
    return {**answer, **done, "cached": False}


def _read(report: Spec, brand: str, query: Mapping[str, str]) -> dict[str, Any]:
    """A report read from the live config (:attr:`Spec.read`): answered at once, nothing cached."""
    unknown = sorted(set(query) - {"run"})
    if unknown:
        raise InvalidRequest(f"unknown parameter {unknown[0]} (report {report.name} takes none)", unknown[0])
    assert report.read is not None
    rows, as_of = report.read(brand)
    return {
        "report": report.name,
        "title": report.title,
        "parameters": {},
        "brand_scope": brand or None,
        "data_as_of": as_of,
        "status": "done",
        "columns": list(report.columns),
        "rows": [{c: row.get(c) for c in report.columns} for row in rows],
        "engine": "config",
        "seconds": 0.0,
        "bytes_scanned": 0,
        "cached": False,
    }


def as_csv(result: Mapping[str, Any]) -> bytes:
    """The report's rows as a spreadsheet-safe CSV (UTF-8 BOM, formulas neutralised)."""
    return to_csv(result["columns"], result["rows"])


def filename(result: Mapping[str, Any]) -> str:
    p = result["parameters"]
    span = p.get("month") or (f"{p['from']}_{p['until']}" if "from" in p else str(result["data_as_of"])[:10])
    return f"xsell-{result['report']}-{span}.csv"
