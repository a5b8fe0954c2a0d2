"""`retrowalk report SESSION -o FILE.png|.svg`: a session's chart.

Needs matplotlib (`pip install 'retrowalk[plot]'`); without it, one line naming the extra and
exit 2. The file is written whole or not at all.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from retrowalk.cli.cmd_export import DIR_HELP, SESSION_HELP
from retrowalk.cli.cmd_sessions import printable
from retrowalk.errors import EXIT_OK

if TYPE_CHECKING:
    import argparse


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `retrowalk report`."""
    p = subparsers.add_parser(
        "report",
        help="chart a session: speed, incline, heart rate (PNG or SVG)",
        description="Draw SESSION's target and actual speed, incline and heart rate over "
        "time, its backward parts shaded and its holds marked, with the totals in the title. "
        "Needs the plot extra: pip install 'retrowalk[plot]'.",
    )
    p.add_argument("session", metavar="SESSION", help=SESSION_HELP)
    p.add_argument(
        "-o", "--output", type=Path, required=True, metavar="FILE", help="FILE.png or FILE.svg"
    )
    p.add_argument("--dir", type=Path, default=None, metavar="D", help=DIR_HELP)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Draw the chart of one session into the file named."""
    from retrowalk.cli.cmd_export import read_sessions  # noqa: PLC0415
    from retrowalk.config import default_units, load_config  # noqa: PLC0415
    from retrowalk.errors import ExportError  # noqa: PLC0415
    from retrowalk.export import activity as activity_module  # noqa: PLC0415
    from retrowalk.export.files import check_folder, write_atomically  # noqa: PLC0415
    from retrowalk.export.report import FORMATS, chart  # noqa: PLC0415

    output: Path = args.output
    fmt = output.suffix.lower().removeprefix(".")
    if fmt not in FORMATS:
        raise ExportError(
            f"-o {printable(str(output))}: the report is a .png or an .svg file, not "
            f"{output.suffix or 'a file without a suffix'}"
        )
    check_folder(output.parent, "-o names a file in an existing folder")
    config = load_config()
    units = config.units or default_units(os.environ)
    [log] = read_sessions([args.session], args.dir)
    walked = activity_module.activity(log)
    if not walked.laps:
        raise ExportError(f"{log.path}: nothing to draw: the session ended before its first step")
    write_atomically(output, chart(walked, fmt, units=units))
    print(f"wrote {printable(str(output))}")
    return EXIT_OK
