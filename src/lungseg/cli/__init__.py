"""Command line: parses arguments and dispatches; the work lives in the library modules.

Exit codes: 0 success, 1 failure while running (bad data, bad input file), 2 usage error.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from lungseg import __version__
from lungseg.cli import commands, parsers
from lungseg.cli.commands import echo
from lungseg.model.pretrained import licence_line

log = logging.getLogger("lungseg")

HANDLERS = {
    "train": commands.cmd_train,
    "evaluate": commands.cmd_evaluate,
    "segment": commands.cmd_segment,
    "merge-measurements": commands.cmd_merge,
    "report": commands.cmd_report,
    "serve": commands.cmd_serve,
    "augment-preview": commands.cmd_preview,
    "export": commands.cmd_export,
}


class _Version(argparse.Action):
    """``--version``: the version and the licences of the code and the bundled weights, unwrapped."""

    def __call__(self, parser, namespace, values, option_string=None):
        echo(f"lungseg {__version__}\n{licence_line()}")
        parser.exit(0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lungseg", description="Lung segmentation in chest X-rays (U-Net).")
    parser.add_argument("--version", action=_Version, nargs=0, help="version and licences, then exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in parsers.SUBCOMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (tests call ``main([...])``)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    level = logging.DEBUG if args.verbose else logging.INFO
    if not commands.main_process():  # under torchrun only rank 0 talks
        level = logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        return HANDLERS[args.command](args)
    except ValueError as exc:
        log.error("%s", exc)
        return 1
    except OSError as exc:  # an unwritable or full output folder, a vanished file: one line, not a traceback
        log.error("%s; check that the folder exists, is writable and has space", exc)
        return 1
    except KeyboardInterrupt:
        log.error("interrupted; a training run continues with --resume RUN_DIR")
        return 130


if __name__ == "__main__":
    sys.exit(main())
