"""Shell completion: ``oxen-inference completion bash`` prints a script for bash (zsh loads it
through ``bashcompinit``) that asks ``oxen-inference __complete WORDS...`` for the candidates:
commands, actions, options, model ids, and a model's parameter names (``prompt=``)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ._common import PROG

CHAT_ROUTE = "/ai/chat/completions"

HIDDEN = "__complete"
BASH = f"""\
# {PROG} completion for bash; for zsh, run `autoload -U +X bashcompinit && bashcompinit` first.
_oxen_inference() {{
    local -a words
    read -ra words <<< "${{COMP_LINE:0:COMP_POINT}}"
    [[ "${{COMP_LINE:0:COMP_POINT}}" == *" " ]] && words+=("")
    local IFS=$'\\n'
    COMPREPLY=($({PROG} {HIDDEN} "${{words[@]:1}}" 2>/dev/null))
    [[ "${{COMPREPLY[0]}}" == *= ]] && compopt -o nospace 2>/dev/null
}}
complete -o default -F _oxen_inference {PROG}
"""


def register(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "completion",
        help="print a shell completion script",
        description=f"Print the completion script for SHELL. bash: add "
        f"'eval \"$({PROG} completion bash)\"' to ~/.bashrc; zsh: add "
        f"'autoload -U +X bashcompinit && bashcompinit' before it in ~/.zshrc.",
    )
    parser.add_argument("shell", choices=("bash", "zsh"), metavar="SHELL", help="bash or zsh")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    sys.stdout.write(BASH)
    return 0


def _models(chat: bool | None) -> list[str]:
    from .. import _registry

    ids = _registry.model_ids()
    if chat is None:
        return ids
    entries = {i: _registry.get(i) for i in ids}
    return [i for i, e in entries.items() if e is not None and (e.route == CHAT_ROUTE) == chat]


def _parameters(model_id: str, given: list[str]) -> list[str]:
    from ._common import CommandError
    from ._model import model_info

    try:
        info = model_info(model_id)
    except CommandError:
        return []
    taken = {word.split("=", 1)[0] for word in given}
    return [f"{name}=" for name in info.params or {} if name not in taken]


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The parsers of `parser`'s subcommands (the commands, or a command's actions) by name."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> list[str]:
    return [o for a in parser._actions for o in a.option_strings if o.startswith("--")]


def command_tree(parser: argparse.ArgumentParser) -> dict[str, list[str]]:
    """Each command of `parser` (the program's) and its actions (none for a plain command)."""
    commands = _subcommands(parser)
    return {name: list(_subcommands(sub)) for name, sub in commands.items()}


def candidates(words: list[str], top: argparse.ArgumentParser) -> list[str]:
    """What may come next: `words` are the words after the program, the last one being typed.
    Commands, actions and options come from `top`, the program's parser; model ids and parameter
    names from the client's catalog."""
    *before, current = words or [""]
    command = _subcommands(top).get(before[0]) if before else top
    actions = _subcommands(command) if command is not None else {}
    found: list[str]
    if command is None:
        found = []
    elif not before:
        found = [*actions, *_options(top)]
    elif actions and len(before) == 1:
        found = list(actions)
    elif current.startswith("-"):
        found = _options(actions.get(before[1] if len(before) > 1 else "", command))
    elif before[0] in ("run", "chat") and len(before) == 1:
        found = _models(before[0] == "chat")
    elif before[:2] == ["models", "show"] and len(before) == 2:
        found = _models(None)
    elif before[0] == "batch" and before[-1] == "--model":
        found = _models(False)
    elif before[0] == "run" and "=" not in current and before[-1] not in ("--save", "--timeout"):
        found = _parameters(before[1], before[2:])
    else:
        found = []
    return [word for word in found if word.startswith(current)]


def complete(words: list[str], parser: argparse.ArgumentParser) -> int:
    for word in candidates(words, parser):
        sys.stdout.write(word + "\n")
    return 0
