"""Start-up of ``oxgen mock-server`` over the committed snapshot, against importing what it runs on.

Each round starts ``oxgen mock-server --port 0`` as a fresh process and times, from the parent:
until the URL line arrives on stdout (the socket listens), and until ``GET /_mock/stats`` answers;
then stops it. The baseline, interleaved, is a fresh ``python -c "import uvicorn, starlette.applications"``
(the server's own floor). Whole-process figures; the docs' claim is "well under a second".

    python bench/bench_mock.py [--runs 11]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

from oxgen.mock.testing import mock_server_process

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"


def one_server() -> tuple[float, float]:
    started = time.perf_counter()
    with mock_server_process("--schemas", str(SCHEMAS)) as (url, _):
        listening = time.perf_counter() - started
        httpx.get(url.removesuffix("/api") + "/_mock/stats", timeout=30).raise_for_status()
        answered = time.perf_counter() - started
    return listening, answered


def baseline() -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "import uvicorn, starlette.applications"], check=True, timeout=60
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    runs = parser.parse_args().runs
    one_server(), baseline()  # warm-up: byte-code caches
    listening, answered, floor = [], [], []
    for _ in range(runs):
        up, ok = one_server()
        listening.append(up)
        answered.append(ok)
        floor.append(baseline())
    up, ok, base = (statistics.median(x) for x in (listening, answered, floor))
    print(
        f"oxgen mock-server start-up ({runs} runs, medians, whole process): listening {up:.3f} s, "
        f"first answer {ok:.3f} s; import uvicorn + starlette {base:.3f} s -> {ok / base:.2f}x"
    )


if __name__ == "__main__":
    main()
