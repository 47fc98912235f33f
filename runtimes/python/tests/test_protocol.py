"""The function protocol against one running server (2 workers)."""

import importlib.util
import json
import uuid

import pytest

has_numpy = importlib.util.find_spec("numpy") is not None
has_pandas = importlib.util.find_spec("pandas") is not None


def test_metadata_lists_functions_with_parameters(server):
    meta = server.request("GET", "/").json()
    assert meta["app"] == "demo" and meta["version"] == "7"
    add = meta["functions"]["add"]
    assert add["path"] == "/add"
    assert add["doc"] == "Add two numbers."
    assert add["parameters"] == [
        {"name": "a", "kind": "POSITIONAL_OR_KEYWORD"},
        {"name": "b", "kind": "POSITIONAL_OR_KEYWORD", "default": 2},
    ]


def test_json_call_and_default_argument(server):
    assert server.request("POST", "/add", {"a": 1, "b": 5}).json() == 6
    assert server.request("POST", "/add", {"a": 1}).json() == 3


def test_none_and_empty_body(server):
    reply = server.request("POST", "/nothing", b"")
    assert reply.status == 200 and reply.json() is None


def test_invalid_json_is_400(server):
    reply = server.request("POST", "/add", b"{not json", {"Content-Type": "application/json"})
    assert reply.status == 400
    assert reply.json()["error"].startswith("request body is not valid JSON")


def test_body_not_an_object_is_400(server):
    reply = server.request("POST", "/add", b"[1, 2]")
    assert reply.status == 400
    assert "JSON object" in reply.json()["error"]


def test_signature_mismatch_is_422(server):
    reply = server.request("POST", "/add", {"b": 1})
    assert reply.status == 422
    assert reply.json() == {"error": "missing a required argument: 'a'"}
    reply = server.request("POST", "/add", {"a": 1, "c": 1})
    assert reply.status == 422
    assert reply.json() == {"error": "got an unexpected keyword argument 'c'"}


def test_function_error_is_500_without_traceback(server):
    reply = server.request("POST", "/boom", {"x": 1})
    assert reply.status == 500
    assert reply.json() == {"error": "ValueError: bad x"}
    assert b"Traceback" not in reply.body


def test_unencodable_return_is_500_json(server):
    reply = server.request("POST", "/unencodable")
    assert reply.status == 500
    assert "not JSON serializable" in reply.json()["error"]


def test_unknown_path_is_404_json(server):
    reply = server.request("GET", "/nope")
    assert reply.status == 404
    assert "error" in reply.json()
    assert server.request("POST", "/nope", {}).status == 404


def test_wrong_method_is_405_json(server):
    reply = server.request("GET", "/add")
    assert reply.status == 405 and reply.headers["allow"] == "POST"
    assert "error" in reply.json()
    assert server.request("POST", "/").status == 405
    assert server.request("DELETE", "/add").status == 405


def test_body_too_large_is_413(server):
    reply = server.request("POST", "/add", b'{"a": "' + b"x" * 70000 + b'"}')
    assert reply.status == 413
    assert "limit of 65536 bytes" in reply.json()["error"]


def test_multipart_file_and_field(server):
    boundary = uuid.uuid4().hex
    payload = bytes(range(256)) * 8
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"label\"\r\n\r\ncat\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"img.bin\"\r\n"
        f"Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + payload + f"\r\n--{boundary}--\r\n".encode()
    reply = server.request("POST", "/upload", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert reply.status == 200, reply.body
    assert reply.json() == {"filename": "img.bin", "size": 2048, "head": "\x00\x01\x02\x03",
                            "label": "cat", "label_type": "str", "binary": True}


def test_file_like_return_is_octet_stream(server):
    reply = server.request("POST", "/download", {"text": "héllo"})
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/octet-stream"
    assert reply.body == "héllo".encode()


def test_standard_library_types_encode(server):
    assert server.request("POST", "/misc").json() == {
        "when": "2024-01-02T03:04:05", "day": "2024-01-02", "price": 1.5,
        "tags": ["a", "b"], "raw": "AAE=", "nan": None}


@pytest.mark.skipif(not has_numpy, reason="numpy is not installed")
def test_numpy_array_and_scalars(server):
    assert server.request("POST", "/np_array").json() == [[0, 1, 2], [3, 4, 5]]
    assert server.request("POST", "/np_scalar").json() == {"i": 7, "f": 0.5, "b": True, "nan": None}


@pytest.mark.skipif(not has_pandas, reason="pandas is not installed")
def test_pandas_frame_and_series(server):
    assert server.request("POST", "/pd_frame").json() == [
        {"x": 1, "y": "a", "t": "2024-01-01T00:00:00"},
        {"x": 2, "y": "b", "t": "2024-01-02T00:00:00"},
    ]
    assert server.request("POST", "/pd_series").json() == [1.5, None, 3.0]


def test_keep_alive_reuses_one_connection(server):
    conn = server.connect()
    try:
        for i in range(5):
            assert server.request("POST", "/add", {"a": i}, conn=conn).json() == i + 2
        # an error reply whose body was read keeps the connection open too
        assert server.request("POST", "/add", {"b": 1}, conn=conn).status == 422
        assert server.request("POST", "/add", {"a": 0}, conn=conn).json() == 2
    finally:
        conn.close()


def test_health(server):
    reply = server.request("GET", "/_health")
    assert reply.status == 200 and reply.json() == {"status": "ok"}


def test_access_log_line_per_request(server):
    server.request("POST", "/add", {"a": 40})
    out, err = server.logs()
    assert '"POST /add" 200 ' in out
    assert "ms " in out and out.rstrip().endswith("B")
    assert "ValueError: bad x" in err and "Traceback" in err  # the 500 above logged its traceback


def test_deeply_nested_json_is_400(server):
    depth = 30_000  # far past the decoder's recursion limit, within the 64 kB body limit
    reply = server.request("POST", "/add", b'{"a": ' + b"[" * depth + b"]" * depth + b"}")
    assert reply.status == 400
    assert "deeper than the server decodes" in reply.json()["error"]
    assert server.request("POST", "/add", {"a": 1}).json() == 3  # the connection and worker survived
