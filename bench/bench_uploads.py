"""Local files as model inputs: upload speed and memory against `oxgen mock-server` on loopback.

1. ``client.files.upload(path)`` of a large video (hash + HEAD + streamed multipart PUT) vs the
   same PUT sent with raw httpx (``files={"file": open(path, "rb")}``, which also streams), on
   fresh repositories so both really upload: time ratio and peak Python memory of each.
2. A 5 MiB image sent inline: the data URI's cost in one ``generate`` call vs a URL string.

Run: ``python bench/bench_uploads.py [--mib 64] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx
import oxen_inference as ox

from oxgen.mock.media import mp4, png
from oxgen.mock.testing import running_mock_server

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"


def measure(fn: Callable[[], object]) -> tuple[float, int]:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        fn()
        return time.perf_counter() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def bench_upload(mib: int, rounds: int, tmp: Path) -> None:
    with running_mock_server(SCHEMAS, latency=0.0) as mock:
        client = ox.Oxen(api_key=mock.api_key, base_url=mock.base_url)
        raw = httpx.Client(headers=mock.headers, timeout=120)
        raw.post(mock.base_url + "/repos", json={"namespace": "bench", "name": "raw"})
        client.files.create_repo("bench/ours", public=True)
        ours, theirs = [], []
        for i in range(rounds):
            video = tmp / f"v{i}.mp4"
            with video.open("wb") as f:  # distinct content per round: every upload is real
                f.write(mp4() + i.to_bytes(4, "big"))
                f.truncate(mib * 1024 * 1024)
            ours.append(measure(lambda v=video: client.files.upload(v, repo="bench/ours")))
            with video.open("rb") as f:
                url = f"{mock.base_url}/repos/bench/raw/file/main/v{i}.mp4"
                theirs.append(
                    measure(
                        lambda f=f, url=url: raw.put(
                            url, files={"file": ("v.mp4", f, "video/mp4")}, data={"message": "m"}
                        ).raise_for_status()
                    )
                )
        t_ours = statistics.median(t for t, _ in ours)
        t_raw = statistics.median(t for t, _ in theirs)
        m_ours = max(m for _, m in ours)
        m_raw = max(m for _, m in theirs)
        print(
            f"upload {mib} MiB: client {t_ours:.3f} s ({mib / t_ours:.0f} MiB/s, hash + HEAD + PUT), "
            f"raw httpx PUT {t_raw:.3f} s -> ratio {t_ours / t_raw:.2f}x; peak Python memory "
            f"client {m_ours / 2**20:.1f} MiB, raw {m_raw / 2**20:.1f} MiB (file {mib} MiB)"
        )
        client.close()
        raw.close()


def bench_data_uri(tmp: Path) -> None:
    image = tmp / "big.png"
    with image.open("wb") as f:
        f.write(png())
        f.truncate(5 * 1024 * 1024)
    with running_mock_server(SCHEMAS, latency=0.0) as mock:
        client = ox.Oxen(api_key=mock.api_key, base_url=mock.base_url)
        call = client.generate_luma_ray_v3_2_image_to_video
        call(prompt="p", input_image="https://example.com/x.png")  # warm up
        url = statistics.median(
            measure(lambda: call(prompt="p", input_image="https://example.com/x.png"))[0]
            for _ in range(5)
        )
        local = [measure(lambda: call(prompt="p", input_image=image)) for _ in range(5)]
        t_local = statistics.median(t for t, _ in local)
        print(
            f"generate with a 5 MiB local image as a data URI: {t_local * 1000:.0f} ms vs "
            f"{url * 1000:.1f} ms with a URL; peak Python memory {max(m for _, m in local) / 2**20:.1f} MiB "
            "(client and the in-process mock, which decodes and checks the URI)"
        )
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mib", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with TemporaryDirectory() as tmp:
        bench_upload(args.mib, args.rounds, Path(tmp))
        bench_data_uri(Path(tmp))


if __name__ == "__main__":
    main()
