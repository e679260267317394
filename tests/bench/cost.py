"""What a million decisions cost in AWS, from what real decide requests consume.

Real decide requests go through the local gateway from a demo site's origin (the demo config
as seeded: every campaign has a daily cap and a frequency cap, so the leased blocks of shared
limits are in the figure), each for a customer with a profile, and each decision's impression
beacon goes to ``/v1/events``. While they run, and only in this process:

- every DynamoDB request any client sends (boto3's and PynamoDB's alike) asks for
  ``ReturnConsumedCapacity=TOTAL``, and the capacity DynamoDB Local reports is summed: reads
  as read request units, writes as write request units (a refused conditional write is
  charged one write unit by DynamoDB; where the error carries no figure, one is counted);
- every handler invocation is timed: wall time and the handler thread's own CPU time. Lambda
  gives a function ``memory / 1769 MB`` of a vCPU, so the billed duration is the CPU time
  stretched by ``1769 / memory`` (this machine's core counts as one vCPU) plus the time spent
  waiting on DynamoDB, rounded up to the millisecond, at the memory the API stack configures
  (``infra.stacks.api.FUNCTION_SIZING``); the median call is priced, since on a shared machine
  the waiting includes other processes' turns on the CPU (the figure moves with the load);
- every Firehose ``PutRecordBatch`` record is sized (Direct PUT bills each record rounded up to
  5 KB), and what the handlers log (Powertools' JSON lines and metrics) is counted and
  priced as CloudWatch Logs ingestion, with estimates of the Lambda platform's own lines and
  of the API stage's access log line.

The customers are returning ones (their second page view), as most page views are: the one
``BatchGetItem`` reads the profile and the state item, and the state is rewritten.

The region is the one the selected stage in ``cdk.json`` deploys to (``infra.config``), and its
prices are below with their sources. The deployed API is a REST API behind CloudFront with a
regional WAF, X-Ray active tracing and CloudWatch Logs (``infra/stacks/api.py``,
``infra/stacks/delivery.py``, ``infra/constructs/python_function.py``); all of them are billed
per request and all are in the figure.

Figures (USD per million):

- ``cost.usd_per_million_decisions``: one decide request through that whole path, plus the
  Firehose bytes of the events it leads to (its impression); the breakdown beside it
  (``cost.<part>_usd_per_million``) adds up to it;
- ``cost.usd_per_million_decisions_http_api``: the same with an HTTP API behind CloudFront
  (the WAF moved to CloudFront, where it costs the same per request);
- ``cost.usd_per_million_decisions_floor``: DynamoDB, Lambda and Firehose alone — what no
  choice of front door removes;
- ``cost.lambda_usd_per_million_at_<N>mb``: decide's Lambda part at other memory settings;
- ``cost.events_beacon_usd_per_million``: the impression beacon's own request (CloudFront,
  API, WAF, collect, its replay guard), and ``cost.usd_per_million_decisions_with_beacon``.

Free tiers, data stored, and monthly fixed fees (the web ACL and its rules) are left out.
"""

from __future__ import annotations

import gzip
import json
import math
import statistics
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.bench.system import local_system

ROOT = Path(__file__).resolve().parents[2]
DECISIONS = 400
WARM = 40  # first calls: snapshot, secret, connections, first blocks of the caps
SITE = "hana-web"
LAMBDA_FULL_VCPU_MB = 1769  # Lambda allocates one full vCPU at 1,769 MB, CPU in proportion below
FIREHOSE_RECORD_BYTES = 5 * 1024  # Direct PUT rounds every record up to the next 5 KB
# START/END/REPORT lines Lambda writes per invocation with active tracing (an estimate: not
# measured locally, where there is no Lambda platform).
PLATFORM_LOG_BYTES = 350
# The API stage's JSON access log line per request (infra/stacks/api.py: caller, ip, protocol,
# request time, resource path, response length, status, user, request id; an estimate).
ACCESS_LOG_BYTES = 350
XRAY_SAMPLED = 0.05  # the default sampling rule: one request a second, then 5 %

READS = {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


@dataclass(frozen=True)
class Prices:
    """USD, on-demand list prices of one region (no free tier)."""

    # https://aws.amazon.com/dynamodb/pricing/on-demand/ (after the November 2024 reduction)
    dynamodb_per_million_wru: float
    dynamodb_per_million_rru: float
    # https://aws.amazon.com/lambda/pricing/ (Arm, first 7.5 billion GB-s a month)
    lambda_per_gb_s_arm64: float
    lambda_per_million_requests: float
    # https://aws.amazon.com/api-gateway/pricing/ (first 333 million REST / 300 million HTTP calls)
    rest_api_per_million: float
    http_api_per_million: float
    # https://aws.amazon.com/cloudfront/pricing/ (requests and transfer from the viewers' area;
    # CloudFront Functions per invocation)
    cloudfront_https_per_10k: float
    cloudfront_out_per_gb: float
    cloudfront_to_origin_per_gb: float
    cloudfront_function_per_million: float
    # https://aws.amazon.com/waf/pricing/
    waf_per_million: float
    # https://aws.amazon.com/firehose/pricing/ (Direct PUT, first 500 TB a month)
    firehose_per_gb: float
    # https://aws.amazon.com/xray/pricing/
    xray_per_million_traces: float
    # https://aws.amazon.com/cloudwatch/pricing/ (Logs, standard ingestion)
    logs_per_gb: float


PRICES = {
    # Asia Pacific (Tokyo), viewers in Japan.
    "ap-northeast-1": Prices(
        dynamodb_per_million_wru=0.715,
        dynamodb_per_million_rru=0.1425,
        lambda_per_gb_s_arm64=0.0000133334,
        lambda_per_million_requests=0.20,
        rest_api_per_million=4.25,
        http_api_per_million=1.29,
        cloudfront_https_per_10k=0.0120,
        cloudfront_out_per_gb=0.114,
        cloudfront_to_origin_per_gb=0.060,
        cloudfront_function_per_million=0.10,
        waf_per_million=0.60,
        firehose_per_gb=0.036,
        xray_per_million_traces=5.00,
        logs_per_gb=0.76,
    ),
}


def deployment() -> tuple[str, dict[str, int]]:
    """The region of the stage cdk.json selects, and the memory (MB) of each API function."""
    from infra.config import STAGE_KEY, STAGES_KEY, parse_stage
    from infra.stacks.api import FUNCTION_SIZING

    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    stage = parse_stage(context[STAGE_KEY], context[STAGES_KEY][context[STAGE_KEY]])
    if stage.region not in PRICES:
        raise SystemExit(f"no prices for region {stage.region!r} in tests/bench/cost.py; add them first")
    return stage.region, {name: memory for name, (memory, _) in FUNCTION_SIZING.items()}


# --- metering, in this process only -------------------------------------------------------------


@dataclass
class Meter:
    rru: float = 0.0
    wru: float = 0.0
    firehose_billed_bytes: int = 0
    firehose_bytes: int = 0
    log_bytes: int = 0
    records: list[bytes] = field(default_factory=list)  # what went to Firehose
    invocations: dict[str, list[tuple[float, float]]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def capacity(self, operation: str, consumed: Any) -> None:
        units = sum(float(c.get("CapacityUnits", 0)) for c in _as_list(consumed))
        with self.lock:
            if operation in READS:
                self.rru += units
            else:
                self.wru += units


def _as_list(consumed: Any) -> list[dict[str, Any]]:
    if not consumed:
        return []
    return consumed if isinstance(consumed, list) else [consumed]


class _Sink:
    """Stands in for stdout while requests run: counts what the handlers log, shows none of it."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, text: str) -> int:
        self.bytes += len(text.encode())
        return len(text)

    def flush(self) -> None:
        pass


@contextmanager
def logs_counted(sink: _Sink) -> Iterator[None]:
    """Handler log lines (Powertools' JSON logs and metrics, both on stdout) go to ``sink``."""
    import logging
    import sys

    stdout = sys.stdout
    handlers = [
        h
        for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
        for h in getattr(logger, "handlers", [])
        if isinstance(h, logging.StreamHandler) and h.stream in (stdout, sys.__stdout__)
    ]
    streams = [h.setStream(sink) for h in handlers]  # type: ignore[arg-type]
    sys.stdout = sink  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout = stdout
        for handler, stream in zip(handlers, streams, strict=True):
            handler.setStream(stream)


@contextmanager
def metered(meter: Meter) -> Iterator[None]:
    """Count DynamoDB capacity, Firehose bytes and handler time while the block runs."""
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    from local import lambda_runtime

    make_api_call = BaseClient._make_api_call
    invoke = lambda_runtime.invoke

    def metered_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
        service = client.meta.service_model.service_name
        if service == "firehose" and operation == "PutRecordBatch":
            sizes = [len(record["Data"]) for record in params.get("Records", [])]
            with meter.lock:
                meter.records += [bytes(record["Data"]) for record in params.get("Records", [])]
                meter.firehose_bytes += sum(sizes)
                meter.firehose_billed_bytes += sum(
                    math.ceil(s / FIREHOSE_RECORD_BYTES) * FIREHOSE_RECORD_BYTES for s in sizes
                )
        if service != "dynamodb" or operation not in READS | WRITES:
            return make_api_call(client, operation, params)
        params = {**params, "ReturnConsumedCapacity": "TOTAL"}
        try:
            response = make_api_call(client, operation, params)
        except ClientError as exc:
            consumed = exc.response.get("ConsumedCapacity")
            code = exc.response.get("Error", {}).get("Code", "")
            if consumed:
                meter.capacity(operation, consumed)
            elif code in ("ConditionalCheckFailedException", "TransactionCanceledException"):
                meter.capacity(operation, {"CapacityUnits": 1})
            raise
        meter.capacity(operation, response.get("ConsumedCapacity"))
        return response

    def timed_invoke(name: str, event: dict[str, Any]) -> Any:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return invoke(name, event)
        finally:
            sample = (time.perf_counter() - wall, time.thread_time() - cpu)
            with meter.lock:
                meter.invocations[name].append(sample)

    BaseClient._make_api_call = metered_call  # type: ignore[method-assign]
    lambda_runtime.invoke = timed_invoke
    try:
        yield
    finally:
        BaseClient._make_api_call = make_api_call  # type: ignore[method-assign]
        lambda_runtime.invoke = invoke


def billed_ms(wall: float, cpu: float, memory_mb: int) -> int:
    """Lambda's billed milliseconds for a call measured here: CPU stretched to the share of a
    vCPU the memory buys, waiting unchanged, rounded up to the millisecond."""
    stretch = max(1.0, LAMBDA_FULL_VCPU_MB / memory_mb)
    return max(1, math.ceil((cpu * stretch + max(0.0, wall - cpu)) * 1000))


# --- the requests -----------------------------------------------------------------------------------


def _post(connection: Any, path: str, body: dict[str, Any], origin: str) -> tuple[dict[str, Any], int, int]:
    """POST through the gateway; the answer, the bytes sent and the bytes received."""
    data = json.dumps(body)
    headers = {"content-type": "text/plain;charset=UTF-8", "origin": origin}
    connection.request("POST", path, data, headers)
    response = connection.getresponse()
    raw = response.read()
    assert response.status == 200, (response.status, raw[:300])
    header_bytes = sum(len(k) + len(v) + 4 for k, v in response.getheaders())
    return json.loads(raw), len(data) + 200, len(raw) + header_bytes


@dataclass
class Run:
    decide: Meter
    events: Meter
    decide_in: list[int]
    decide_out: list[int]
    events_in: list[int]
    events_out: list[int]


def measure() -> Run:
    """Decide for returning customers (their second page view: profile and state both read,
    the state rewritten), then send each decision's impression beacon; metered apart."""
    import http.client
    from urllib.parse import urlsplit

    from demo.brands import SLOT
    from xsell.models import Profile

    sink = _Sink()
    with local_system() as system, logs_counted(sink):
        origin = system.site_urls["hana"]
        customers = [f"COST{n:05d}" for n in range(WARM + DECISIONS)]
        for customer in customers:
            Profile(
                customer,
                group_rank="gold",
                attributes={"gender": "female", "birth_year": 1985, "prefecture": "東京都"},
                brands={"umi": {"used": 1, "first_used": "2024-04-01", "ltv": 52000}},
            ).save()
        gateway = urlsplit(system.gateway.url)
        connection = http.client.HTTPConnection(gateway.hostname, gateway.port, timeout=10)

        def decide(customer: str) -> tuple[dict[str, Any], int, int]:
            body = {"site": SITE, "customer": {"id": customer}, "slots": [SLOT]}
            return _post(connection, "/v1/decide", body, origin)

        for n, customer in enumerate(customers):  # first visits; the first WARM beacons too
            answer, _, _ = decide(customer)
            if n < WARM:
                _post(connection, "/v1/events", _beacon(answer), origin)
        run = Run(Meter(), Meter(), [], [], [], [])
        beacons: list[dict[str, Any]] = []
        with metered(run.decide):
            before = sink.bytes
            for customer in customers[WARM:]:
                answer, sent, received = decide(customer)
                assert answer["slots"] or answer["holdouts"], answer
                run.decide_in.append(sent)
                run.decide_out.append(received)
                beacons.append(_beacon(answer))
            run.decide.log_bytes = sink.bytes - before
        with metered(run.events):
            before = sink.bytes
            for beacon in beacons:
                answer, sent, received = _post(connection, "/v1/events", beacon, origin)
                assert answer["accepted"] >= 1, answer
                run.events_in.append(sent)
                run.events_out.append(received)
            run.events.log_bytes = sink.bytes - before
        connection.close()
    return run


def _beacon(answer: dict[str, Any]) -> dict[str, Any]:
    """The impression beacon the tag sends for a decision (a holdout's too: it is measured)."""
    events = [{"type": "impression", "token": slot["token"]} for slot in answer["slots"].values()]
    events += [{"type": "impression", "token": h["token"]} for h in answer["holdouts"]]
    return {"site": SITE, "events": events}


# --- pricing ----------------------------------------------------------------------------------------


def request_costs(
    meter: Meter, function: str, memory_mb: int, sent: list[int], received: list[int], p: Prices, api: float
) -> dict[str, float]:
    """USD per million requests of one function through CloudFront, API Gateway and WAF."""
    n = len(meter.invocations[function])
    # The median: a call slowed by another process on this machine is not what Lambda bills.
    ms = statistics.median(billed_ms(wall, cpu, memory_mb) for wall, cpu in meter.invocations[function])
    gb = 1024**3
    return {
        "dynamodb": (meter.rru * p.dynamodb_per_million_rru + meter.wru * p.dynamodb_per_million_wru) / n,
        "lambda": p.lambda_per_million_requests
        + ms / 1000 * memory_mb / 1024 * p.lambda_per_gb_s_arm64 * 1e6,
        "api": api,
        "cloudfront": p.cloudfront_https_per_10k * 100
        + p.cloudfront_function_per_million
        + statistics.mean(received) / gb * p.cloudfront_out_per_gb * 1e6
        + statistics.mean(sent) / gb * p.cloudfront_to_origin_per_gb * 1e6,
        "waf": p.waf_per_million,
        "xray": XRAY_SAMPLED * p.xray_per_million_traces,
        "logs": (PLATFORM_LOG_BYTES + ACCESS_LOG_BYTES + meter.log_bytes / n) / gb * p.logs_per_gb * 1e6,
    }


def run() -> Iterator[tuple[str, float, str]]:
    region, memory = deployment()
    p = PRICES[region]
    measured = measure()
    decide, events = measured.decide, measured.events
    n = len(decide.invocations["decide"])
    firehose = events.firehose_billed_bytes / n / 1024**3 * p.firehose_per_gb * 1e6
    parts = request_costs(
        decide, "decide", memory["decide"], measured.decide_in, measured.decide_out, p, p.rest_api_per_million
    )
    parts["firehose"] = firehose
    total = sum(parts.values())
    http_api = total - p.rest_api_per_million + p.http_api_per_million
    floor = parts["dynamodb"] + parts["lambda"] + firehose
    beacon = request_costs(
        events,
        "collect",
        memory["collect"],
        measured.events_in,
        measured.events_out,
        p,
        p.rest_api_per_million,
    )
    decide_ms = [billed_ms(w, c, memory["decide"]) for w, c in decide.invocations["decide"]]
    yield "cost.usd_per_million_decisions", round(total, 3), "usd"
    for part, usd in parts.items():
        yield f"cost.{part}_usd_per_million", round(usd, 3), "usd"
    yield "cost.usd_per_million_decisions_http_api", round(http_api, 3), "usd"
    yield "cost.usd_per_million_decisions_floor", round(floor, 3), "usd"
    yield "cost.events_beacon_usd_per_million", round(sum(beacon.values()), 3), "usd"
    yield "cost.usd_per_million_decisions_with_beacon", round(total + sum(beacon.values()), 3), "usd"
    yield "cost.decide_rru_per_decision", round(decide.rru / n, 3), "rru"
    yield "cost.decide_wru_per_decision", round(decide.wru / n, 3), "wru"
    yield "cost.decide_billed_ms_median", statistics.median(decide_ms), "ms"
    yield "cost.decide_lambda_memory_mb", memory["decide"], "MB"
    collect_ms = [billed_ms(w, c, memory["collect"]) for w, c in events.invocations["collect"]]
    yield "cost.collect_billed_ms_median", statistics.median(collect_ms), "ms"
    for mb in (512, 1769):  # what the decide function's memory setting would change
        other = request_costs(decide, "decide", mb, measured.decide_in, measured.decide_out, p, 0.0)
        yield f"cost.lambda_usd_per_million_at_{mb}mb", round(other["lambda"], 3), "usd"
    yield "cost.decide_log_bytes_per_decision", round(decide.log_bytes / n), "bytes"
    yield "cost.events_wru_per_decision", round(events.wru / n, 3), "wru"
    yield "cost.firehose_bytes_per_decision", round(events.firehose_bytes / n, 1), "bytes"
    # What lands in S3 per decision: the stream gzips its buffered records (infra/stacks/analytics.py).
    yield (
        "cost.events_gzip_bytes_per_decision",
        round(len(gzip.compress(b"".join(events.records))) / n, 1),
        "bytes",
    )
