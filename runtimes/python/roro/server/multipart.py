"""multipart/form-data parsing for the function protocol.

The body is already in memory (bounded by --max-body-bytes), so a split on the boundary is enough;
the cgi module that used to do this is gone from newer Pythons.
"""

from __future__ import annotations

import io
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import HTTP


class MultipartError(ValueError):
    """Raised when a multipart body is malformed."""


class UploadedFile(io.BytesIO):
    """A file part: a binary file object with the client's file name and content type."""

    def __init__(self, data: bytes, filename: str, content_type: str) -> None:
        super().__init__(data)
        self.filename = filename
        self.name = filename
        self.content_type = content_type

    def __repr__(self) -> str:
        return f"<UploadedFile {self.filename!r} {len(self.getbuffer())} bytes>"


def boundary_of(content_type: str) -> str:
    msg = Message()
    msg["Content-Type"] = content_type
    boundary = msg.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        raise MultipartError("multipart/form-data body has no boundary in its Content-Type header")
    return boundary


def _parse_part(part: bytes) -> tuple[str, str | UploadedFile]:
    head, sep, data = part.partition(b"\r\n\r\n")
    if not sep:
        raise MultipartError("multipart part has no blank line between its headers and its data")
    headers = BytesHeaderParser(policy=HTTP).parsebytes(head + b"\r\n\r\n")
    disposition = headers.get("Content-Disposition", "")
    msg = Message()
    msg["Content-Disposition"] = disposition
    name = msg.get_param("name", header="content-disposition")
    if not isinstance(name, str) or not name:
        raise MultipartError("multipart part has no name in its Content-Disposition header")
    filename = msg.get_filename()
    if filename is not None:
        ctype = headers.get("Content-Type", "application/octet-stream")
        return name, UploadedFile(data, filename, ctype)
    charset = headers.get_content_charset() or "utf-8"
    try:
        return name, data.decode(charset)
    except (LookupError, UnicodeDecodeError) as e:
        raise MultipartError(f"form field {name!r} is not valid {charset} text") from e


def parse(body: bytes, content_type: str) -> dict[str, str | UploadedFile]:
    """Return form fields as strings and file parts as UploadedFile objects; the last of a repeated name wins."""
    delimiter = b"--" + boundary_of(content_type).encode("latin-1")
    chunks = body.split(delimiter)
    if len(chunks) < 2:
        raise MultipartError("multipart body does not contain its boundary")
    fields: dict[str, str | UploadedFile] = {}
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):  # closing delimiter
            break
        if not chunk.startswith(b"\r\n") or not chunk.endswith(b"\r\n"):
            raise MultipartError("multipart part is not framed by CRLF around its boundary")
        name, value = _parse_part(chunk[2:-2])
        fields[name] = value
    return fields
