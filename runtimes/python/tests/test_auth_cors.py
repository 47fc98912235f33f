"""Token auth and CORS."""

import pytest

TOKEN = "s3cret-token"


@pytest.fixture
def guarded(start_server):
    return start_server("--function", "funcs.add", "--cors-allow-origins", "*",
                        env={"RORO_SERVICE_TOKEN": TOKEN})


def test_missing_or_bad_token_is_403_json(guarded):
    for headers in ({}, {"Authorization": "Token wrong"}, {"Authorization": f"Bearer {TOKEN}"}):
        reply = guarded.request("POST", "/add", {"a": 1}, headers)
        assert reply.status == 403
        assert "Authorization: Token" in reply.json()["error"]
    assert guarded.request("GET", "/").status == 403


def test_good_token_is_accepted(guarded):
    reply = guarded.request("POST", "/add", {"a": 1}, {"Authorization": f"Token {TOKEN}"})
    assert reply.status == 200 and reply.json() == 3


def test_token_flag_overrides_environment(start_server):
    s = start_server("--function", "funcs.add", "--token", "flag-token")
    assert s.request("POST", "/add", {"a": 1}, {"Authorization": "Token flag-token"}).status == 200
    assert s.request("POST", "/add", {"a": 1}).status == 403


def test_health_needs_no_token(guarded):
    assert guarded.request("GET", "/_health").status == 200


def test_preflight_answers_before_auth(guarded):
    reply = guarded.request("OPTIONS", "/add", headers={
        "Origin": "https://example.test", "Access-Control-Request-Method": "POST"})
    assert reply.status == 200
    assert reply.headers["access-control-allow-origin"] == "*"
    assert reply.headers["access-control-allow-methods"] == "GET,POST"
    assert reply.headers["access-control-allow-headers"] == "Content-Type, Authorization"


def test_cors_headers_on_replies_and_errors(guarded):
    ok = guarded.request("POST", "/add", {"a": 1}, {"Authorization": f"Token {TOKEN}"})
    denied = guarded.request("POST", "/add", {"a": 1})
    for reply in (ok, denied):
        assert reply.headers["access-control-allow-origin"] == "*"


def test_no_cors_headers_unless_configured(start_server):
    s = start_server("--function", "funcs.add")
    reply = s.request("POST", "/add", {"a": 1})
    assert reply.status == 200
    assert "access-control-allow-origin" not in reply.headers
