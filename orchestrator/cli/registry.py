"""The command registry: every command declares its words, help, arguments and handler once,
and the parser is built from the registry (pip's layout: one module per command group).

Groups (``models``, ``infra``, ...) get their sub-parsers from the registry too, so adding a
command is one registration in one module; nothing copies argparse's private state around.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NoReturn

Handler = Callable[[argparse.Namespace], int]
Arguments = Callable[[argparse.ArgumentParser], None]


class CliParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the command to get help from."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}. Run '{self.prog} --help' for usage.\n")


@dataclass(frozen=True)
class Command:
    """One command: ``words`` as typed (``("models", "approve")``)."""

    words: tuple[str, ...]
    help: str
    handler: Handler
    arguments: Arguments = field(default=lambda _parser: None)


@dataclass
class Registry:
    commands: dict[tuple[str, ...], Command] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)

    def group(self, word: str, help: str) -> None:
        """Declare a command group (``orchestrator <word> <action>``) and its help."""
        if word in self.groups and self.groups[word] != help:
            raise ValueError(f"command group {word!r} is declared twice")
        self.groups[word] = help

    def add(self, command: Command) -> None:
        if not command.words or len(command.words) > 2:
            raise ValueError(f"a command is one word or a group and a word, not {command.words}")
        if command.words in self.commands:
            raise ValueError(f"command {' '.join(command.words)!r} is registered twice")
        if len(command.words) == 2 and command.words[0] not in self.groups:
            raise ValueError(f"command {' '.join(command.words)!r} needs its group declared first")
        if len(command.words) == 1 and command.words[0] in self.groups:
            raise ValueError(f"{command.words[0]!r} is a command group, not a command")
        self.commands[command.words] = command

    def command(
        self, *words: str, help: str, arguments: Arguments | None = None
    ) -> Callable[[Handler], Handler]:
        """Decorator: register the decorated function as the handler of ``words``."""

        def register(handler: Handler) -> Handler:
            self.add(Command(words, help, handler, arguments or (lambda _parser: None)))
            return handler

        return register

    def build_parser(self, prog: str, description: str) -> argparse.ArgumentParser:
        """The parser of every registered command, in registration order."""
        parser = CliParser(prog=prog, description=description)
        top = parser.add_subparsers(dest="command", required=True, parser_class=CliParser)
        # Only the public add_parser of each sub-parser action is kept, never the action itself.
        add_to_group: dict[str, Callable[..., CliParser]] = {}
        for words, command in self.commands.items():
            if len(words) == 1:
                sub = top.add_parser(words[0], help=command.help)
            else:
                if words[0] not in add_to_group:
                    holder = top.add_parser(words[0], help=self.groups[words[0]])
                    add_to_group[words[0]] = holder.add_subparsers(
                        dest="action", required=True, parser_class=CliParser
                    ).add_parser
                sub = add_to_group[words[0]](words[1], help=command.help)
            command.arguments(sub)
            sub.set_defaults(handler=command.handler)
        return parser


REGISTRY = Registry()
command = REGISTRY.command
group = REGISTRY.group
