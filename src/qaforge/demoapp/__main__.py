"""`python -m qaforge.demoapp --port N [--host H] [--bug NAME]`: serve the demo shop."""

from __future__ import annotations

import argparse

import uvicorn

from qaforge.demoapp.app import create_app
from qaforge.demoapp.bugs import BUGS, BugConfig


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m qaforge.demoapp")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--bug", choices=sorted(BUGS), default=None)
    args = parser.parse_args(argv)
    app = create_app(BugConfig(args.bug))
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
