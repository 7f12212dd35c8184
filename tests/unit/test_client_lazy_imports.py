"""Importing the generated client, creating clients and getting a request class import nothing
heavy: httpx (and asyncio, logging) wait for the first request (issue 2's import goal)."""

from __future__ import annotations

import json
import subprocess
import sys

# Modules the cheap path must not load; each would cost milliseconds at import time.
HEAVY = ("httpx", "httpcore", "h11", "anyio", "ssl", "asyncio", "logging", "difflib")

SNIPPET = f"""
import json, sys
import oxen_inference
from oxen_inference import AsyncOxen, Oxen, request_model
Oxen(api_key="x")
AsyncOxen(api_key="x")
request_model("luma-ray-v3-2-image-to-video")
client = Oxen(api_key="x", events=False)
client.job("gen-1")
client.models
before = sorted(m for m in {HEAVY!r} if m in sys.modules)
try:
    Oxen(api_key="x", base_url="http://127.0.0.1:1/api", max_retries=0).models.list()
except oxen_inference.APIConnectionError as exc:
    error = type(exc).__name__
print(json.dumps({{"before": before, "error": error, "httpx_after": "httpx" in sys.modules}}))
"""


def test_creating_clients_imports_nothing_heavy() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", SNIPPET], capture_output=True, text=True, timeout=60, check=True
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["before"] == []
    # ...and the first request imports httpx on its own and goes through the usual error path
    assert result["error"] == "APIConnectionError" and result["httpx_after"]
