"""``orchestrator ui``: executions, models and endpoints as web pages (and their JSON twins),
served on 127.0.0.1 over the environment's backend (docs/ui.md)."""

from __future__ import annotations

import argparse
import os
import secrets

from orchestrator.cli import options
from orchestrator.cli.registry import command

TOKEN_VARIABLE = "ORCHESTRATOR_UI_TOKEN"
DEFAULT_PORT = 8765


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0-65535; 0: any free one)")
    return int(text)


def _arguments(parser: argparse.ArgumentParser) -> None:
    options.environment(parser, output_format=False)
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1); any other than loopback "
        f"requires a token: ${TOKEN_VARIABLE}, else one is generated and printed",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"port (default {DEFAULT_PORT}; 0: any free one)",
    )
    options.dataset(parser)
    options.stack(parser)


@command(
    "ui",
    help="web pages for executions, models and endpoints (JSON twins under /api)",
    arguments=_arguments,
)
def ui(args: argparse.Namespace) -> int:
    from orchestrator.cli import context
    from orchestrator.cli.console import say
    from orchestrator.ui.app import create_app
    from orchestrator.ui.guard import Guard, is_loopback
    from orchestrator.ui.server import bind, serve

    loopback = is_loopback(args.host)
    token = os.environ.get(TOKEN_VARIABLE) or (None if loopback else secrets.token_urlsafe(24))
    sock = bind(args.host, args.port)
    config = context.environment(args)
    with context.backend(args, config) as backend:
        app = create_app(backend, config, Guard(token=token, loopback=loopback), args.dataset)

        def announce(url: str) -> None:
            shown = f"{url}/?token={token}" if token and not os.environ.get(TOKEN_VARIABLE) else url
            print(f"orchestrator ui: serving {config.name} on {shown}", flush=True)
            if token and os.environ.get(TOKEN_VARIABLE):
                say(
                    f"requests need the token in ${TOKEN_VARIABLE} (?token=… once, or a "
                    "Bearer header)"
                )
            say("Ctrl-C stops it")

        serve(app, sock, announce)
    return 0
