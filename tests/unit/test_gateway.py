from local.gateway import match, proxy_event


def test_routes_match_exact_and_greedy_paths():
    route, params = match("POST", "/v1/decide")
    assert (route.function, params) == ("decide", {})
    route, params = match("GET", "/admin/v1/jobs/123")
    assert (route.function, route.authorized, params) == ("admin", True, {"proxy": "jobs/123"})
    assert match("GET", "/v1/decide") is None
    assert match("POST", "/v1/nothing") is None


def test_proxy_event_has_the_rest_api_shape():
    route, params = match("POST", "/v1/decide")
    event = proxy_event(
        route, params, "POST", "/v1/decide?a=1&a=2", {"origin": "https://x"}, b'{"k":1}', None, "127.0.0.1"
    )
    assert event["resource"] == "/v1/decide"
    assert event["httpMethod"] == "POST"
    assert event["queryStringParameters"] == {"a": "2"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert event["body"] == '{"k":1}' and event["isBase64Encoded"] is False
    assert event["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"
    assert "authorizer" not in event["requestContext"]


def test_binary_bodies_are_base64_encoded():
    route, params = match("POST", "/v1/decide")
    event = proxy_event(route, params, "POST", "/v1/decide", {}, b"\xff\xfe", None, "127.0.0.1")
    assert event["isBase64Encoded"] is True and event["body"] == "//4="
