"""xsell.proxy routes REST API proxy events and answers them as Powertools' REST resolver did, and the
decide handler built on it keeps its headers and statuses."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

import pytest

from xsell.errors import InvalidRequest
from xsell.http import STATUS
from xsell.proxy import TEXT, ProxyRouter, Request, Response


def event(
    method: str,
    path: str,
    body: str | None = None,
    headers: dict[str, str] | None = None,
    *,
    base64_encoded: bool = False,
) -> dict[str, Any]:
    """A REST API (v1) proxy event, with the fields the router reads."""
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in (headers or {}).items()} or None,
        "body": body,
        "isBase64Encoded": base64_encoded,
        "requestContext": {"stage": "local", "httpMethod": method},
    }


def body_of(answer: dict[str, Any]) -> Any:
    return json.loads(answer["body"])


@pytest.fixture
def echo() -> ProxyRouter:
    """A router whose POST /echo answers with what it was given."""
    router = ProxyRouter()

    @router.post("/echo")
    def _echo(request: Request) -> dict[str, Any]:
        return {"json": request.json, "origin": request.header("Origin"), "headers": dict(request.headers)}

    return router


def test_a_route_gets_the_parsed_request_and_its_value_answers_as_json(echo):
    answer = echo.resolve(event("POST", "/echo", '{"site": "hana"}', {"Origin": "https://a.example"}))
    assert answer == {
        "statusCode": 200,
        "body": '{"json":{"site":"hana"},"origin":"https://a.example","headers":{"origin":"https://a.example"}}',
        "isBase64Encoded": False,
        "multiValueHeaders": {"Content-Type": ["application/json"]},
    }


def test_header_names_are_lower_cased_and_looked_up_in_any_case():
    request = Request.from_event(event("POST", "/", None, {"User-Agent": "UA", "ORIGIN": "https://a"}))
    assert request.headers == {"user-agent": "UA", "origin": "https://a"}
    assert request.header("user-agent") == request.header("USER-AGENT") == "UA"
    assert request.header("referer") is None
    assert Request.from_event(event("POST", "/", None, None)).headers == {}


def test_a_response_keeps_its_headers_and_adds_its_content_type():
    answer = Response(204, "", {"Vary": "Origin"}, content_type=TEXT).to_proxy()
    assert answer == {
        "statusCode": 204,
        "body": "",
        "isBase64Encoded": False,
        "multiValueHeaders": {"Vary": ["Origin"], "Content-Type": ["text/plain"]},
    }


def test_json_bodies_are_compact_and_write_dynamodb_numbers_as_strings():
    answer = Response(200, {"n": Decimal("1.50"), "text": "花"}).to_proxy()
    assert answer["body"] == '{"n":"1.50","text":"\\u82b1"}'
    with pytest.raises(TypeError):
        Response(200, {"when": object()}).to_proxy()


def test_a_body_that_is_not_json_is_a_400_naming_the_body(echo):
    answer = echo.resolve(event("POST", "/echo", "{not json"))
    assert answer["statusCode"] == 400
    assert body_of(answer) == {
        "error": "invalid_request",
        "message": "body is not valid JSON",
        "field": "body",
    }
    with pytest.raises(InvalidRequest, match="body is not valid JSON") as raised:
        _ = Request.from_event(event("POST", "/echo", "[1,")).json
    assert raised.value.field == "body"


@pytest.mark.parametrize("body", [None, ""])
def test_no_body_is_json_none(echo, body):
    assert body_of(echo.resolve(event("POST", "/echo", body)))["json"] is None


def test_base64_bodies_are_decoded(echo):
    encoded = base64.b64encode('{"site": "海"}'.encode()).decode()
    answer = echo.resolve(event("POST", "/echo", encoded, base64_encoded=True))
    assert body_of(answer)["json"] == {"site": "海"}


def test_base64_bytes_that_are_not_utf8_are_neither_text_nor_json(echo):
    not_utf8 = event("POST", "/echo", base64.b64encode(b"\xff\xfe{").decode(), base64_encoded=True)
    with pytest.raises(InvalidRequest, match="not UTF-8 text"):
        _ = Request.from_event(not_utf8).text
    answer = echo.resolve(not_utf8)
    assert (answer["statusCode"], body_of(answer)["message"]) == (400, "body is not valid JSON")


@pytest.mark.parametrize(("kind", "status", "code"), STATUS, ids=[code for _, _, code in STATUS])
def test_domain_errors_answer_with_the_status_and_code_of_xsell_http(kind, status, code):
    router = ProxyRouter()

    @router.post("/fail")
    def _fail(request: Request) -> None:
        raise kind("what went wrong")

    answer = router.resolve(event("POST", "/fail", "{}"))
    assert answer["statusCode"] == status
    assert answer["multiValueHeaders"] == {"Content-Type": ["application/json"]}
    assert body_of(answer) == {"error": code, "message": "what went wrong"}


def test_other_exceptions_propagate_for_the_runtime_to_answer():
    router = ProxyRouter()

    @router.post("/crash")
    def _crash(request: Request) -> None:
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError, match="bug"):
        router.resolve(event("POST", "/crash", "{}"))


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/nowhere"), ("GET", "/echo"), ("OPTIONS", "/echo"), ("POST", "/echo/more"), ("POST", "/")],
)
def test_an_unknown_route_or_method_is_the_powertools_404(echo, method, path):
    answer = echo.resolve(event(method, path, "{}"))
    assert answer == {
        "statusCode": 404,
        "body": '{"statusCode":404,"message":"Not found"}',
        "isBase64Encoded": False,
        "multiValueHeaders": {"Content-Type": ["application/json"]},
    }


@pytest.mark.parametrize(("method", "path"), [("post", "/echo"), ("POST", "/echo/"), ("POST", "/echo//")])
def test_the_method_is_matched_in_any_case_and_trailing_slashes_are_ignored(echo, method, path):
    assert echo.resolve(event(method, path, "{}"))["statusCode"] == 200


def test_routes_keep_their_declarations_in_order_and_are_declared_once():
    router = ProxyRouter()

    @router.post("/a", summary="A", tags=["x"])
    def _a(request: Request) -> None: ...

    @router.route("options", "/a", include_in_schema=False)
    def _a_preflight(request: Request) -> None: ...

    assert [(r.method, r.path, r.handler, dict(r.openapi)) for r in router.routes] == [
        ("POST", "/a", _a, {"summary": "A", "tags": ["x"]}),
        ("OPTIONS", "/a", _a_preflight, {"include_in_schema": False}),
    ]
    with pytest.raises(ValueError, match="declared twice"):
        router.post("/a/")(_a)


# --- the decide handler on the router -------------------------------------------------------------

ALLOWED = "https://hana.example"


@pytest.fixture
def decide_handler(monkeypatch):
    """functions/decide/handler.py with the domain stubbed: it echoes what the handler passed on."""
    from functions.decide import handler

    def decide(
        body: Any, cache: Any, *, origin: str | None, user_agent: str | None, pool: Any, signed: Any
    ) -> dict[str, Any]:
        assert cache is handler.snapshots and pool is handler.blocks
        if body == {"site": "nowhere"}:
            from xsell.errors import UnknownSite

            raise UnknownSite("no site nowhere")
        return {"body": body, "origin": origin, "user_agent": user_agent, "signed": list(signed)}

    monkeypatch.setattr(handler, "decide", decide)
    monkeypatch.setattr(
        handler, "preflight_origin", lambda cache, origin: origin if origin == ALLOWED else None
    )
    return handler


def call(handler: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    from local.lambda_runtime import LocalContext

    return handler.lambda_handler(event(*args, **kwargs), LocalContext(function_name="xsell-decide"))


def test_decide_echoes_the_origin_it_was_sent_and_varies_on_it(decide_handler):
    answer = call(
        decide_handler, "POST", "/v1/decide", '{"site": "hana"}', {"Origin": ALLOWED, "User-Agent": "UA"}
    )
    assert answer["statusCode"] == 200
    assert answer["multiValueHeaders"] == {
        "Vary": ["Origin"],
        "Access-Control-Allow-Origin": [ALLOWED],
        "Content-Type": ["application/json"],
    }
    assert body_of(answer) == {
        "body": {"site": "hana"},
        "origin": ALLOWED,
        "user_agent": "UA",
        "signed": [None, None, '{"site": "hana"}'],
    }


def test_decide_without_an_origin_sends_no_allow_origin(decide_handler):
    answer = call(decide_handler, "POST", "/v1/decide", '{"site": "hana"}')
    assert answer["multiValueHeaders"] == {"Vary": ["Origin"], "Content-Type": ["application/json"]}


def test_decide_passes_a_server_calls_signature_and_exact_body_on(decide_handler):
    body = '{"site": "hana",  "slots": ["top"]}'  # the exact bytes are signed, spacing included
    headers = {"X-Xsell-Timestamp": "1764547200", "X-Xsell-Signature": "ab" * 32}
    answer = call(decide_handler, "POST", "/v1/decide", body, headers)
    assert body_of(answer)["signed"] == ["1764547200", "ab" * 32, body]
    unsigned = call(decide_handler, "POST", "/v1/decide", body)
    assert body_of(unsigned)["signed"] == [None, None, body]


def test_decide_answers_domain_errors_and_bad_json_without_cors_headers(decide_handler):
    unknown = call(decide_handler, "POST", "/v1/decide", '{"site": "nowhere"}', {"origin": ALLOWED})
    assert (unknown["statusCode"], body_of(unknown)["error"]) == (404, "unknown_site")
    bad = call(decide_handler, "POST", "/v1/decide", "{", {"origin": ALLOWED})
    assert (bad["statusCode"], body_of(bad)["message"]) == (400, "body is not valid JSON")
    assert unknown["multiValueHeaders"] == bad["multiValueHeaders"] == {"Content-Type": ["application/json"]}


def test_decide_preflight_allows_the_sites_origins_only(decide_handler):
    allowed = call(decide_handler, "OPTIONS", "/v1/decide", None, {"Origin": ALLOWED})
    assert (allowed["statusCode"], allowed["body"]) == (204, "")
    assert allowed["multiValueHeaders"] == {
        "Vary": ["Origin"],
        "Access-Control-Allow-Origin": [ALLOWED],
        "Access-Control-Allow-Methods": ["POST"],
        "Access-Control-Allow-Headers": ["Content-Type"],
        "Access-Control-Max-Age": ["600"],
        "Content-Type": ["text/plain"],
    }
    refused = call(decide_handler, "OPTIONS", "/v1/decide", None, {"Origin": "https://other.example"})
    assert (refused["statusCode"], refused["body"]) == (403, "")
    assert refused["multiValueHeaders"] == {"Vary": ["Origin"], "Content-Type": ["text/plain"]}
