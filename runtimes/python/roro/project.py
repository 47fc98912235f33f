"""The current project: RORO_PROJECT, else `project:` in ./roro.yml or /app/roro.yml."""

from __future__ import annotations

import os
import re
from pathlib import Path

from .client import Client, RoroError, quote

ROROYML_PLACES = (Path("roro.yml"), Path("/app/roro.yml"))
_KEY_RE = re.compile(r"""^project:\s*(?:"([^"]*)"|'([^']*)'|([^\s#]+))?\s*(?:#.*)?$""")


def project_from_yml(text: str) -> str | None:
    """The top-level `project:` value; a line parser, so PyYAML is not needed for this one key."""
    for line in text.splitlines():
        m = _KEY_RE.match(line.rstrip("\r"))
        if m:
            value = next((g for g in m.groups() if g is not None), "")
            return value or None
    return None


def current_project_name() -> str:
    name = os.environ.get("RORO_PROJECT")
    if name:
        return name
    for place in ROROYML_PLACES:
        try:
            name = project_from_yml(place.read_text(encoding="utf-8"))
        except OSError:
            continue
        if name:
            return name
    raise RoroError(
        "No current project: RORO_PROJECT is not set and no roro.yml with `project:` was found.",
        hint="set RORO_PROJECT, or run from the project directory",
    )


class Project:
    """A roro project, seen from Python; holds no state but its name and API client."""

    def __init__(self, name: str, client: Client | None = None):
        self.name = name
        self.client = client or Client()

    def __repr__(self) -> str:
        return f"<Project {self.name}>"

    def path(self, rest: str = "") -> str:
        return f"/v1/projects/{quote(self.name)}{rest}"

    def get_model_repository(self, name: str):
        from .models import ModelRepository

        return ModelRepository(self, name)

    def list_model_repositories(self):
        from .models import ModelRepository

        repos = self.client.json("GET", self.path("/models"))["repositories"]
        return [ModelRepository(self, r["name"], summary=r) for r in repos]


def get_current_project() -> Project:
    return Project(current_project_name())
