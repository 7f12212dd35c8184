"""``oxen-inference run MODEL [key=value ...]``: one generation, from submit to saved file."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any

from ._common import PROG, Interrupted, UsageError, note, out, out_text, print_json, seconds

if TYPE_CHECKING:
    from .. import Oxen
    from ._model import ModelInfo

Values = dict[str, Any]  # parameters by name
Args = argparse.Namespace

EXAMPLES = f"""\
examples:
  {PROG} run luma-ray-v3-2-image-to-video prompt="a tiger in the snow" input_image=@tiger.png --save out
  {PROG} run flux-2-pro prompt="a red fox" seed=7 --json
  {PROG} run luma-ray-v3-2-text-to-video prompt="waves" loop=true --no-wait
  {PROG} run MODEL --help        the model's parameters: types, allowed values, defaults

values: JSON when the value is valid JSON (7, true, null, [1, 2], {{"a": 1}}), else the text;
key=@PATH sends a local file to a media input."""


def register(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "run",
        help="run a model: submit, wait, print (or save) the result",
        description="Run MODEL once. Image and video models go through the queue: the command "
        "waits for the job (Ctrl-C leaves it running), then prints the result URL and, with "
        "--save, the saved file. Models with only a blocking route (audio) use that route.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=False,
    )
    parser.add_argument(
        "-h", "--help", action="store_true", help="this help; after MODEL, the model's parameters"
    )
    parser.add_argument("model", nargs="?", metavar="MODEL", help="a model id")
    parser.add_argument(
        "params", nargs="*", metavar="key=value", help="a parameter of the model (see values)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--no-wait", action="store_true", help="print the job's id and exit (queued models)"
    )
    parser.add_argument("--save", metavar="DIR", help="download the result into DIR")
    parser.add_argument(
        "--timeout", type=seconds, metavar="S", help="stop waiting after S seconds (job goes on)"
    )
    parser.set_defaults(handler=handle, parser=parser)


def handle(args: argparse.Namespace) -> int:
    from ._model import model_info

    if args.help:
        if args.model is None:
            args.parser.print_help()
            return 0
        from ._help import model_help

        out_text(model_help(model_info(args.model)))
        return 0
    if args.model is None:
        raise UsageError(f"run needs a MODEL (see {PROG} run --help)")
    info = model_info(args.model)
    if info.kind == "chat":
        raise UsageError(f"{info.model_id} is a chat model: {PROG} chat {info.model_id} MESSAGE")
    if info.kind == "none":
        raise UsageError(f"{info.model_id} has no inference route: it cannot be run")
    if args.no_wait and info.kind != "queue":
        raise UsageError(
            f"--no-wait is for queued (image and video) models; {info.model_id} answers "
            f"on its blocking route {info.route}"
        )
    from ._values import parameters
    from ._wait import check_save_dir

    params, controls = parameters(info, args.params)
    check_save_dir(args.save)
    from .. import Oxen

    with Oxen() as client:
        if info.kind == "queue":
            return _queued(client, info, params, controls, args)
        return _blocking(client, info, params, controls, args)


def _queued(client: Oxen, info: ModelInfo, params: Values, controls: Values, args: Args) -> int:
    from ._common import resume_command, stderr_is_terminal
    from ._wait import finish

    try:
        job = client.submit(info.model_id, **controls, **params)
    except KeyboardInterrupt:
        raise Interrupted(
            f"interrupted while submitting: the job may exist ('{PROG} jobs list' shows it)"
        ) from None
    if args.no_wait:
        if args.json:
            status = job.last.status if job.last is not None else None
            print_json({"generation_id": job.id, "status": status})
        else:
            out(job.id)
            if stderr_is_terminal():
                note(f"wait for it: {resume_command(job.id, args.save)}")
        return 0
    return finish(
        job, save=args.save, as_json=args.json, timeout=args.timeout, live=stderr_is_terminal()
    )


def _urls(answer: Any) -> list[str]:
    """Every result URL of a blocking answer (images, videos, and the audio list of speech)."""
    urls: list[str] = list(answer.urls)
    for item in (answer.model_extra or {}).get("audio") or []:
        if isinstance(item, dict) and isinstance(item.get("url"), str):
            urls.append(item["url"])
    return urls


def _blocking(client: Oxen, info: ModelInfo, params: Values, controls: Values, args: Args) -> int:
    timeout = {} if args.timeout is None else {"timeout": args.timeout}
    answer = client.generate(info.model_id, **controls, **timeout, **params)
    urls = _urls(answer)
    files = []
    if args.save is not None:
        files = [str(client.download_url(url, os.path.join(args.save, ""))) for url in urls]
    text = (answer.model_extra or {}).get("text")
    if args.json:
        result: dict[str, Any] = {
            "generation_id": None,
            "status": "succeeded",
            "result_url": urls[0] if urls else None,
            "files": files,
        }
        if len(urls) > 1:
            result["result_urls"] = urls
        if isinstance(text, str):
            result["text"] = text
        print_json(result)
        return 0
    for line in [*urls, *files]:
        out(line)
    if isinstance(text, str):  # a transcription
        out_text(text)
    return 0
