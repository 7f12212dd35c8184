"""Authentication and result files on `oxgen mock-server` over HTTP (the protocol's tables of bad
input, which both servers run, are in test_protocol_http.py)."""

from __future__ import annotations

import httpx

from oxgen.mock.testing import MockServer


def test_any_non_empty_token_is_accepted(mock: MockServer) -> None:
    for token in ("x", "sk-anything-123", "Z" * 200):
        response = httpx.get(
            mock.base_url + "/ai/models", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200


def test_unknown_file_is_404(mock: MockServer) -> None:
    assert httpx.get(mock.root_url + "/files/0123.png").status_code == 404
    assert httpx.get(mock.root_url + "/files/../../etc/passwd").status_code == 404
