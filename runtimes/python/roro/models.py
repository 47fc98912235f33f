"""The model repository: versioned, tagged models of a project, saved and loaded from Python."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import urllib.parse
from typing import Any

from .client import RoroError, quote

SYSTEM_KEYS = ("Model-ID", "Model-Name", "Model-Version", "Date", "Content-Encoding", "Comment")
CHUNK = 1 << 20
MAX_HEADER = 12_000


def choose_encoding() -> str:
    """joblib when it is installed (it stores numpy arrays well), else the standard pickle."""
    try:
        import joblib  # noqa: F401
    except ImportError:
        return "pickle"
    return "joblib"


def dump(obj: Any, fileobj, encoding: str) -> None:
    if encoding == "joblib":
        import joblib

        joblib.dump(obj, fileobj)
    elif encoding == "pickle":
        import pickle

        pickle.dump(obj, fileobj, protocol=pickle.HIGHEST_PROTOCOL)
    else:
        raise ValueError(f"Cannot write Content-Encoding {encoding!r}: use 'joblib' or 'pickle'.")


def load(fileobj, encoding: str) -> Any:
    if encoding == "joblib":
        try:
            import joblib
        except ImportError as err:
            raise RoroError("This model was saved with joblib: pip install joblib to load it.") from err
        return joblib.load(fileobj)
    if encoding == "pickle":
        import pickle

        return pickle.load(fileobj)
    raise RoroError(f"Cannot load a model with Content-Encoding {encoding!r}: roro knows joblib and pickle.")


class ModelImage:
    """One version of a model: its metadata, and the model itself (loaded on demand)."""

    def __init__(self, repository: "ModelRepository", model: Any = None, data: dict | None = None):
        self.repository = repository
        self._model = model
        self._data = data
        self._metadata: dict[str, str] = dict((data or {}).get("metadata") or {})
        self._comment: str = (data or {}).get("comment") or ""

    def __repr__(self) -> str:
        return f"<ModelImage {self.repository.name}:{self.version if self._data else 'unsaved'}>"

    @property
    def saved(self) -> bool:
        return self._data is not None

    @property
    def version(self) -> int | None:
        return self._data["version"] if self._data else None

    @property
    def id(self) -> str | None:
        return self._data["modelId"] if self._data else None

    @property
    def comment(self) -> str:
        return self._comment

    @property
    def tags(self) -> list[str]:
        return list(self._data["tags"]) if self._data else []

    def get_details(self) -> dict[str, str]:
        if self._data:
            return dict(self._data["details"])
        return {"Model-Name": self.repository.name, "Comment": self._comment, **self._metadata}

    def __getitem__(self, key: str) -> str:
        return self.get_details()[key]

    def __setitem__(self, key: str, value: str) -> None:
        if self._data:
            raise RoroError(f"Model version {self.version} is saved and cannot change; set metadata before save().")
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError("Model metadata keys and values are strings, e.g. image['Test-Score'] = '0.81'.")
        if key == "Comment":
            self._comment = value
        elif key in SYSTEM_KEYS:
            raise KeyError(f"{key} is set by roro when the model is saved.")
        else:
            self._metadata[key] = value

    def save(self, comment: str | None = None) -> "ModelImage":
        """Uploads the model as the repository's next version; the server assigns Model-ID and version."""
        if self._data:
            raise RoroError(f"Model version {self.version} is already saved; make a new image to save again.")
        if comment is not None:
            self._comment = comment
        self._data = self.repository._upload(self._model, self._comment, self._metadata)
        return self

    def get_model(self) -> Any:
        if self._model is None and self._data:
            self._model = self.repository._download(self._data)
        return self._model

    def add_tag(self, tag: str) -> None:
        """Points `tag` at this version (moving it if another version had it)."""
        if not self._data:
            raise RoroError("Save the model before tagging it.")
        self.repository.client.json("PUT", self.repository.path(f"/tags/{quote(tag)}"), {"version": self.version})
        self._data = self.repository._get(str(self.version))

    def remove_tag(self, tag: str) -> None:
        self.repository.client.json("DELETE", self.repository.path(f"/tags/{quote(tag)}"))
        if self._data:
            self._data = self.repository._get(str(self.version))


class ModelRepository:
    """A named repository of model versions in a project; it comes into being with its first save."""

    def __init__(self, project, name: str, summary: dict | None = None):
        self.project, self.name, self.client = project, name, project.client
        summary = summary or {}
        self.versions: int | None = summary.get("versions")
        self.latest: int | None = summary.get("latest")

    def __repr__(self) -> str:
        return f"<ModelRepository {self.project.name}/{self.name}>"

    def path(self, rest: str = "") -> str:
        return self.project.path(f"/models/{quote(self.name)}{rest}")

    def new_model_image(self, model: Any, metadata: dict[str, str] | None = None) -> ModelImage:
        image = ModelImage(self, model=model)
        for k, v in (metadata or {}).items():
            image[k] = v
        return image

    def get_model_image(self, version: int | None = None, tag: str | None = None) -> ModelImage:
        """A saved version by number or tag; with neither, the latest."""
        if version is not None and tag is not None:
            raise ValueError("Give version or tag, not both.")
        ref = str(int(version)) if version is not None else (tag or "latest")
        return ModelImage(self, data=self._get(ref))

    def get_activity(self, limit: int = 100) -> list[ModelImage]:
        """The versions, newest first."""
        res = self.client.json("GET", self.path(f"/versions?limit={int(limit)}"))
        return [ModelImage(self, data=v) for v in res["versions"]]

    def get_tags(self) -> dict[str, int]:
        return {t["tag"]: t["version"] for t in self.client.json("GET", self.path("/tags"))["tags"]}

    def _get(self, ref: str) -> dict:
        return self.client.json("GET", self.path(f"/versions/{quote(ref)}"))["version"]

    def _upload(self, model: Any, comment: str, metadata: dict[str, str]) -> dict:
        encoding = choose_encoding()
        meta = {"comment": comment, "contentEncoding": encoding, "metadata": metadata}
        if os.environ.get("RORO_JOB_ID"):
            meta["jobId"] = os.environ["RORO_JOB_ID"]
        if os.environ.get("RORO_RELEASE"):
            meta["release"] = os.environ["RORO_RELEASE"]
        header = urllib.parse.quote(json.dumps(meta), safe="")
        if len(header) > MAX_HEADER:
            raise ValueError("The model's metadata and comment are too large: keep them under about 4 KB.")
        with tempfile.TemporaryFile() as f:
            dump(model, f, encoding)
            size, digest = f.tell(), _sha256(f)
            f.seek(0)
            headers = {
                "Content-Type": "application/octet-stream",
                "Content-Length": str(size),
                "X-Roro-Sha256": digest,
                "X-Roro-Model": header,
            }
            conn, res = self.client.open("POST", self.path("/versions"), body=f, headers=headers)
            try:
                return json.loads(res.read())["version"]
            finally:
                conn.close()

    def _download(self, data: dict) -> Any:
        conn, res = self.client.open("GET", self.path(f"/versions/{data['version']}/blob"))
        try:
            with tempfile.TemporaryFile() as f:
                h = hashlib.sha256()
                while chunk := res.read(CHUNK):
                    h.update(chunk)
                    f.write(chunk)
                if h.hexdigest() != data["sha256"]:
                    raise RoroError(f"Model {self.name}:{data['version']} arrived corrupted; load it again.")
                f.seek(0)
                return load(f, data["contentEncoding"])
        finally:
            conn.close()


def _sha256(f) -> str:
    f.seek(0)
    h = hashlib.sha256()
    while chunk := f.read(CHUNK):
        h.update(chunk)
    return h.hexdigest()
