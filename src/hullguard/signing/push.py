"""The write path for signatures: a registry client that may also upload blobs and manifests.

`RegistryWriter` extends the read-only `RegistryClient` (same reference parsing, plain-HTTP
rule, credentials and token handshake) with explicit writes, used only by `hullguard sign`:
a blob upload (`POST /v2/<name>/blobs/uploads/`, then a monolithic `PUT <location>?digest=`),
skipped when `HEAD` finds the blob, and a manifest `PUT /v2/<name>/manifests/<tag>`. A 401
on a write is answered with the challenge's scope (`pull,push`). Write requests never follow
redirects. It also reads documents that may be absent (`optional_manifest`: None on 404),
and the OCI 1.1 referrers list, for verification.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urljoin

import requests

from hullguard.image.registry import (
    ACCEPT,
    MAX_MANIFEST_BYTES,
    OCI_INDEX,
    RegistryClient,
    RegistryError,
    _parse_json,
    sha256_digest,
)

MAX_WRITE_BYTES = 4 * 1024 * 1024


class RegistryWriter(RegistryClient):
    """One repository of one registry, read and (for signatures) written."""

    def __enter__(self) -> RegistryWriter:
        return self

    def _request(
        self,
        method: str,
        url: str,
        what: str,
        *,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """One request with the registry's authentication; GET and HEAD follow redirects
        (checked hop by hop), writes do not. The response is streamed; the caller closes it.
        A 401 is answered by logging in once: for reads only when not logged in yet, for
        writes also when logged in (a token for pulls may not allow pushes)."""
        reads = method in ("GET", "HEAD")
        sent = dict(headers or {})

        def attempt() -> requests.Response:
            if reads:
                return self._send(url, sent, True, method=method, data=data, what=what)
            return self._hop(method, url, sent, stream=True, data=data, what=what)

        if self.authorization:
            sent["Authorization"] = self.authorization
        response = attempt()
        if response.status_code == 401 and (not reads or not self.authorization):
            challenge = response.headers.get("WWW-Authenticate", "")
            response.close()
            self.authorization = self._authorize(challenge)
            sent["Authorization"] = self.authorization
            response = attempt()
        return response

    def _fail(self, response: requests.Response, what: str, wanted: tuple[int, ...]) -> None:
        if response.status_code not in wanted:
            response.close()
            problem = self._status_problem(response, what)
            if response.status_code == 403:
                problem = problem.replace("may not pull", "may not push to")
            raise RegistryError(problem)

    # --- reads that may find nothing --------------------------------------------------------

    def optional_manifest(
        self, reference: str, accept: str = ACCEPT
    ) -> tuple[Mapping[str, Any], str, bytes] | None:
        """(document, digest, body) of a manifest, or None when the registry has none (404)."""
        what = f"manifest {reference}"
        url = f"{self.base}/v2/{self.ref.path}/manifests/{reference}"
        response = self._request("GET", url, what, headers={"Accept": accept})
        if response.status_code == 404:
            response.close()
            return None
        self._fail(response, what, (200,))
        with response:
            body = self._read_body(response, MAX_MANIFEST_BYTES, what)
            header = response.headers.get("Docker-Content-Digest")
        digest = sha256_digest(body)
        if reference.startswith("sha256:") and reference != digest:
            raise RegistryError(
                f"{self.host}/{self.ref.path}: manifest {reference}: its content does not "
                f"match its digest ({digest})"
            )
        if header and header.startswith("sha256:") and header != digest:
            raise RegistryError(
                f"{self.host}/{self.ref.path}: {what}: the registry says its digest is {header}, "
                f"its content is {digest}"
            )
        return _parse_json(body, f"{self.host}/{self.ref.path} {what}"), digest, body

    def blob(self, digest: str, limit: int) -> bytes:
        """A small blob, at most `limit` bytes, checked against its digest."""
        what = f"blob {digest}"
        url = f"{self.base}/v2/{self.ref.path}/blobs/{digest}"
        response = self._request("GET", url, what, headers={"Accept-Encoding": "identity"})
        self._fail(response, what, (200,))
        with response:
            body = self._read_body(response, limit, what)
        if sha256_digest(body) != digest:
            raise RegistryError(f"{what}: its content does not match its digest")
        return body

    def referrers(self, digest: str) -> list[Mapping[str, Any]] | None:
        """The OCI 1.1 referrers of a manifest; None when the registry has no referrers API."""
        what = f"referrers of {digest}"
        url = f"{self.base}/v2/{self.ref.path}/referrers/{digest}"
        response = self._request("GET", url, what, headers={"Accept": OCI_INDEX})
        if response.status_code in (404, 405, 400):
            response.close()
            return None
        self._fail(response, what, (200,))
        with response:
            body = self._read_body(response, MAX_MANIFEST_BYTES, what)
        document = _parse_json(body, f"{self.host}/{self.ref.path} {what}")
        manifests = document.get("manifests")
        if not isinstance(manifests, list):
            raise RegistryError(f"{self.host}/{self.ref.path}: {what}: no `manifests` list")
        return [m for m in manifests if isinstance(m, Mapping)]

    # --- writes -----------------------------------------------------------------------------

    def push_blob(self, data: bytes) -> str:
        """Upload a blob unless the registry has it; its digest."""
        if len(data) > MAX_WRITE_BYTES:
            raise RegistryError(f"refusing to upload a blob of {len(data)} bytes")
        digest = sha256_digest(data)
        what = f"blob {digest}"
        head = self._request("HEAD", f"{self.base}/v2/{self.ref.path}/blobs/{digest}", what)
        head.close()
        if head.status_code == 200:
            return digest
        start = f"{self.base}/v2/{self.ref.path}/blobs/uploads/"
        response = self._request("POST", start, f"an upload of {what}", data=b"")
        self._fail(response, f"an upload of {what}", (202,))
        location = response.headers.get("Location")
        response.close()
        if not location:
            raise RegistryError(f"{self.host}: the upload of {what} got no Location to PUT to")
        url = urljoin(start, location)
        url += ("&" if "?" in url else "?") + urlencode({"digest": digest})
        put = self._request(
            "PUT",
            url,
            what,
            data=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        self._fail(put, f"the upload of {what}", (201, 204))
        put.close()
        return digest

    def push_manifest(self, tag: str, body: bytes, media_type: str) -> str:
        """PUT a manifest under `tag`; its digest."""
        what = f"manifest {tag}"
        url = f"{self.base}/v2/{self.ref.path}/manifests/{tag}"
        response = self._request("PUT", url, what, data=body, headers={"Content-Type": media_type})
        self._fail(response, f"writing {what}", (201, 200, 204))
        response.close()
        return sha256_digest(body)


def canonical_json(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()
