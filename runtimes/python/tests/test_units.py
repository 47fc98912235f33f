"""Pieces that need no server: CPU sizing from cgroup files, JSON encoding, multipart parsing, request framing."""

import datetime
import math
from pathlib import Path

import pytest

from roro.server import encoding, multipart
from roro.server.cpu import available_cpus, cgroup_cpu_limit
from roro.server.handler import request_complete


def test_cgroup_v2_quota(tmp_path: Path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert cgroup_cpu_limit(tmp_path) == 1.5
    assert available_cpus(tmp_path) == min(2, len(__import__("os").sched_getaffinity(0)))


def test_cgroup_v2_unlimited(tmp_path: Path):
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cgroup_cpu_limit(tmp_path) is None


def test_cgroup_v1_quota(tmp_path: Path):
    cpu = tmp_path / "cpu,cpuacct"
    cpu.mkdir()
    (cpu / "cpu.cfs_quota_us").write_text("50000\n")
    (cpu / "cpu.cfs_period_us").write_text("100000\n")
    assert cgroup_cpu_limit(tmp_path) == 0.5
    assert available_cpus(tmp_path) == 1


def test_cgroup_v1_unlimited(tmp_path: Path):
    cpu = tmp_path / "cpu"
    cpu.mkdir()
    (cpu / "cpu.cfs_quota_us").write_text("-1\n")
    (cpu / "cpu.cfs_period_us").write_text("100000\n")
    assert cgroup_cpu_limit(tmp_path) is None


def test_encoding_of_nested_nan_and_types():
    value = {"a": [1.0, math.inf], "t": datetime.time(1, 2), "d": datetime.timedelta(seconds=90)}
    assert encoding.dumps(value) == b'{"a":[1.0,null],"t":"01:02:00","d":90.0}'


def test_encoding_error_names_the_type():
    with pytest.raises(encoding.NotSerializableError, match="builtins.object"):
        encoding.dumps({"x": object()})


def test_multipart_without_boundary_is_rejected():
    with pytest.raises(multipart.MultipartError, match="boundary"):
        multipart.parse(b"", "multipart/form-data")


def test_multipart_quoted_boundary_and_utf8_field():
    body = ('--b1\r\nContent-Disposition: form-data; name="q"\r\n\r\nhé\r\n--b1--\r\n').encode()
    assert multipart.parse(body, 'multipart/form-data; boundary="b1"') == {"q": "hé"}


def test_request_complete_waits_for_the_whole_body_only_when_it_can():
    head = b"POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
    assert not request_complete(head[:10], 100)  # headers still coming
    assert not request_complete(head + b"abc", 100)
    assert request_complete(head + b"abcde", 100)
    assert request_complete(head.replace(b"\r\n", b"\n") + b"abcde", 100)  # bare LF line ends
    assert request_complete(head, 4)  # over the limit: answered 413 at once
    assert request_complete(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 100)
    assert request_complete(b"POST /f HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 100)
    assert request_complete(b"POST /f HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n", 100)
    assert request_complete(b"POST /f HTTP/1.1\r\nContent-Length: x\r\n\r\n", 100)  # answered 400
    assert request_complete(b"GET /" + b"a" * 200_000, 100)  # endless headers: answered 431
