"""``oxen-inference chat MODEL MESSAGE [key=value ...]``: one question, the answer streamed."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ._common import PROG, UsageError, print_json, printable

#: Names the chat call sets itself.
CHAT_RESERVED = frozenset({"model", "messages", "stream", "timeout", "extra_headers", "extra_body"})


DESCRIPTION = (
    "Send MESSAGE (- reads it from stdin) to a chat model and stream the answer to stdout. "
    "key=value pairs are OpenAI-style parameters (temperature=0.2, max_tokens=200), JSON when "
    "valid JSON, else text."
)


def register(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "chat",
        help="ask a chat model; the answer is streamed",
        description=DESCRIPTION,
        epilog=f"example: {PROG} chat gpt-4o 'Describe a tiger in the snow.' temperature=0.2",
    )
    parser.add_argument("model", metavar="MODEL", help="a chat model id")
    parser.add_argument("message", metavar="MESSAGE", help="what to ask (- reads stdin)")
    parser.add_argument("params", nargs="*", metavar="key=value", help="chat parameters")
    parser.add_argument("--system", metavar="TEXT", help="a system message sent first")
    parser.add_argument(
        "--json", action="store_true", help="wait for the whole answer; print it as JSON"
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from ._model import model_info
    from ._values import parameters

    info = model_info(args.model)
    if info.kind != "chat":
        raise UsageError(f"{info.model_id} is not a chat model: {PROG} run {info.model_id} ...")
    params, controls = parameters(info, args.params, CHAT_RESERVED)
    message = sys.stdin.read() if args.message == "-" else args.message
    if not message.strip():
        raise UsageError("the message is empty")
    messages = [{"role": "user", "content": message}]
    if args.system:
        messages.insert(0, {"role": "system", "content": args.system})
    from .. import Oxen

    with Oxen() as client:
        if args.json:
            answer = client.chat(info.model_id, messages=messages, **controls, **params)
            print_json(answer.model_dump(mode="json", exclude_none=True))
            return 0
        ended, terminal = True, sys.stdout.isatty()
        try:
            with client.chat(
                info.model_id, messages=messages, stream=True, **controls, **params
            ) as stream:
                for chunk in stream:
                    text = chunk.text
                    if text:
                        ended = text.endswith("\n")  # first: Ctrl-C may come once it is out
                        sys.stdout.write(printable(text, lines=True) if terminal else text)
                        sys.stdout.flush()
        finally:  # the answer so far ends its line, even when an error or Ctrl-C cuts it short
            if not ended:
                sys.stdout.write("\n")
                sys.stdout.flush()
    return 0
