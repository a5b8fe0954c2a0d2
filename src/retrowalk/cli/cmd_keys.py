"""`retrowalk keys`: which keys work the gym screen, and `keys learn` for a handheld remote.

A Bluetooth page-turner or presenter acts as a keyboard, each model sending its own keys.
`retrowalk keys learn` asks for the remote's button for confirm, pause and stop, one at a
time, and saves them in config.toml as `[remote_keys]` (the rest of the file is kept as it
was). `retrowalk run ... --remote-keys` then uses them; without a learned remote it uses the
keys common remotes send (cli/tui_keys.py). `retrowalk keys` shows what is in use.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from retrowalk.cli.tui_keys import ACTIONS, DEFAULT_REMOTE, RemoteKeys
from retrowalk.errors import ConfigError

if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `retrowalk keys` and `retrowalk keys learn`."""
    p = subparsers.add_parser(
        "keys",
        help="show the screen's keys; `keys learn` learns a remote's",
        description="Show which keys work the gym screen, with and without --remote-keys. "
        "`retrowalk keys learn` asks you to press your remote's button for confirm, pause and "
        "stop, and saves them in config.toml ([remote_keys]); `run --remote-keys` uses them.",
    )
    p.add_argument("action", nargs="?", choices=("show", "learn"), default="show")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Show the keys, or learn a remote's and save them."""
    from retrowalk.config import config_path, load_config  # noqa: PLC0415 - lazy CLI import

    config = load_config()
    if args.action == "show":
        print(describe(remote_from(config.remote_keys)))
        return 0
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        raise ConfigError("keys learn needs a terminal: run it where you can press the remote")
    from retrowalk.cli.keys_learn import LearnApp  # noqa: PLC0415 - Textual only when learning

    learned = LearnApp().run()
    if learned is None:
        print("nothing saved")
        return 1
    path = config_path()
    save_remote_keys(path, learned)
    print(f"saved to {path}: {learned.describe(most=3)}")
    print("use them with: retrowalk run WORKOUT --remote-keys")
    return 0


def remote_from(table: Mapping[str, object] | None) -> RemoteKeys:
    """Return the learned remote from config.toml, else the common remotes' keys."""
    from retrowalk.cli.tui_keys import parse_remote_keys  # noqa: PLC0415 - lazy CLI import
    from retrowalk.config import config_path  # noqa: PLC0415 - lazy CLI import

    if table is None:
        return DEFAULT_REMOTE
    return parse_remote_keys(table, config_path())


def describe(remote: RemoteKeys) -> str:
    """Return the keys in use, as lines to print."""
    laptop = (
        "Laptop keys: Esc/S stop the belt (always) · Space pause · Enter start, turn done, "
        "resume · N/B skip/back · arrows speed and incline · Q quit"
    )
    lines = [
        laptop,
        f"With --remote-keys ({remote.source}): {remote.describe(most=5)}",
        "Keys the remote takes move: speed to + and -, incline to ] and [, skip/back to > and <.",
    ]
    return "\n".join(lines)


def save_remote_keys(path: Path, remote: RemoteKeys) -> None:
    """Write `[remote_keys]` into the TOML file `path`, keeping the rest; all or nothing."""
    import tomlkit  # noqa: PLC0415 - only `keys learn` writes the config
    from tomlkit.exceptions import TOMLKitError  # noqa: PLC0415 - likewise

    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        document = tomlkit.parse(text)
    except (OSError, UnicodeDecodeError, TOMLKitError) as exc:
        raise ConfigError(f"{path}: cannot update the config file: {exc}") from exc
    table = tomlkit.table()
    for action in ACTIONS:
        table[action] = list(getattr(remote, action))
    document["remote_keys"] = table
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, scratch = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(tomlkit.dumps(document))
        Path(scratch).replace(path)
    except OSError as exc:
        Path(scratch).unlink(missing_ok=True)
        raise ConfigError(f"{path}: cannot write the config file: {exc.strerror}") from exc
