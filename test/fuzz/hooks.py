"""Schemathesis hooks for roro's API fuzzing (test/integration/api-fuzz.test.ts)."""

import json

import schemathesis

# A deploy archive goes on the wire as the bytes generated for it, like any binary body.
schemathesis.serializer.alias("application/gzip", "application/octet-stream")


@schemathesis.check
def refusal_names_the_field(ctx, response, case):
    """Every 4xx is a JSON {error: {code, message}}; a refusal by a route's schema names the field."""
    if not 400 <= response.status_code < 500:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"{response.status_code} without a JSON body: {response.content[:200]!r}")
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or not error.get("code") or not error.get("message"):
        raise AssertionError(f"{response.status_code} without error.code and error.message: {body!r:.300}")
    details = error.get("details")
    fields = details.get("fields") if isinstance(details, dict) else None
    if fields and fields[0]["field"] not in error["message"]:
        raise AssertionError(f"the refusal does not name {fields[0]['field']}: {error['message']}")
    return None
