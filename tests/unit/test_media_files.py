"""The client's local-file handling without a server: format sniffing, names, data URIs, reading."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from oxen_inference import _media
from oxen_inference._media import LocalFile, LocalFileError

from oxgen.mock.media import mp4, png, wav

HEADS: list[tuple[bytes, str | None]] = [
    (png(), "image/png"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
    (b"GIF89a\x01\x00", "image/gif"),
    (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
    (wav(), "audio/wav"),
    (b"RIFF\x10\x00\x00\x00AVI LIST", "video/x-msvideo"),
    (mp4(), "video/mp4"),
    (b"\x00\x00\x00\x18ftypqt  \x00\x00\x02\x00", "video/quicktime"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "image/heic"),
    (b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00", "image/avif"),
    (b"\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00", "audio/mp4"),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01webm", "video/webm"),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01matroska", "video/x-matroska"),
    (b"II*\x00\x08\x00\x00\x00", "image/tiff"),
    (b"BM" + b"\x00" * 12, "image/bmp"),
    (b"fLaC\x00\x00\x00\x22", "audio/flac"),
    (b"OggS\x00\x02", "audio/ogg"),
    (b"ID3\x04\x00\x00", "audio/mpeg"),
    (b"\xff\xfb\x90\x00", "audio/mpeg"),
    (b"\xff\xf1\x50\x80", "audio/aac"),
    (b"RIFF\x10\x00\x00\x00JUNK", None),  # RIFF of no known kind
    (b"\x00\x00\x00\x18ftyp", None),  # truncated box
    (b"BM", None),  # too short to be a bitmap
    (b"%PDF-1.7", None),
    (b"<svg xmlns=", None),  # text formats are known by name only
    (b"", None),
]


@pytest.mark.parametrize(("head", "media_type"), HEADS)
def test_sniff(head: bytes, media_type: str | None) -> None:
    assert _media.sniff(head[:64]) == media_type


@pytest.mark.parametrize(
    ("name", "kind", "media_type"),
    [
        ("drawing.svg", "image", "image/svg+xml"),
        ("clip.MOV", "video", "video/quicktime"),
        ("take.wav", "audio", "audio/wav"),
        ("weights.safetensors", "file", "application/octet-stream"),
    ],
)
def test_type_from_the_name_when_the_bytes_say_nothing(
    tmp_path: Path, name: str, kind: str, media_type: str
) -> None:
    path = tmp_path / name
    path.write_bytes(b"<no magic here>")
    file = LocalFile.of(path, kind)
    assert file.media_type == media_type and file.name == name and file.size == 15


def test_the_bytes_win_over_a_lying_name(tmp_path: Path) -> None:
    path = tmp_path / "photo.mp4"
    path.write_bytes(png())
    assert LocalFile.of(path, "image").media_type == "image/png"
    with pytest.raises(LocalFileError, match=r"expects a video, but .*photo.mp4' is image/png"):
        LocalFile.of(path, "video")


def test_mask_is_an_image_and_file_takes_anything() -> None:
    assert LocalFile.of(png(), "mask").media_type == "image/png"
    with pytest.raises(LocalFileError, match="expects an image"):
        LocalFile.of(wav(), "mask")
    assert LocalFile.of(wav(), "file").media_type == "audio/wav"


def test_data_uri_round_trip_and_limit() -> None:
    file = LocalFile.of(png(), "image")
    uri = _media.data_uri(file)
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == png()
    assert _media.data_uri(file, limit=file.size) == uri
    with pytest.raises(LocalFileError, match=r"more than the 10 bytes.*uploads=\"namespace/repo\""):
        _media.data_uri(file, limit=10)


def test_reading_in_pieces_and_hashing(tmp_path: Path) -> None:
    import hashlib

    data = png() + bytes(range(256)) * 5000
    path = tmp_path / "big.png"
    path.write_bytes(data)
    file = LocalFile.of(path, "image")
    pieces = list(file.chunks(1000))
    assert b"".join(pieces) == data and max(map(len, pieces)) == 1000
    assert file.sha256() == hashlib.sha256(data).hexdigest()
    assert file.extension == ".png"


def test_a_file_that_shrinks_after_the_check_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(png() * 10)
    file = LocalFile.of(path, "image")
    path.write_bytes(png())
    with pytest.raises(LocalFileError, match="changed since it was checked"):
        file.read()


def test_a_pipe_like_stream_is_read_once() -> None:
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = data

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

        def read(self, size: int = -1) -> bytes:
            out, self.data = self.data, b""
            return out

    file = LocalFile.of(Pipe(png()), "image")
    assert file.read() == png() and file.read() == png()


@pytest.mark.parametrize(
    ("value", "local"),
    [
        (Path("x"), True),
        (b"x", True),
        (bytearray(b"x"), True),
        (memoryview(b"x"), True),
        (io.BytesIO(b"x"), True),
        ("https://x", False),
        ("/a/local/path/as/a/string", False),  # strings stay URLs: the schema's own type
        (None, False),
        (5, False),
    ],
)
def test_what_counts_as_local(value: object, local: bool) -> None:
    assert _media.is_local(value) is local


def test_json_of_a_request_holding_local_files_names_them(tmp_path: Path) -> None:
    import json

    import oxen_inference as ox

    image = tmp_path / "tiger.png"
    image.write_bytes(png())
    cls = ox.request_model("luma-ray-v3-2-image-to-video")
    request = cls(prompt="p", input_image=image, reference_image_urls=["https://e/a.png", png()])
    with pytest.raises(ox.ValidationError) as info:
        request.model_dump_json()
    assert [where for where, _ in info.value.errors] == ["input_image", "reference_image_urls.1"]
    assert "to_body(request" in str(info.value)
    # the dict dump keeps the files; a body with URLs instead dumps as JSON
    assert isinstance(request.model_dump()["input_image"], LocalFile)
    body = ox.to_body(request, files="data-uri")
    assert json.loads(json.dumps(body))["input_image"].startswith("data:image/png;base64,")
    assert json.loads(cls(prompt="p", input_image="https://e/t.png").model_dump_json()) == {
        "prompt": "p",
        "input_image": "https://e/t.png",
    }
