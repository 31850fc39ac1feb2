"""``python -m offline_queue.keytool``: rotate and prune the outbox's encryption keys.

Rotation, step by step (docs/OPERATIONS.md has the full procedure):

1. ``rotate --key-file K`` puts a new key first; the old keys stay.
2. Restart the kiosk: the outbox re-seals everything with the new key.
3. ``prune --key-file K --outbox DB`` drops the keys nothing uses any more
   (it refuses while the outbox is open elsewhere or still uses them).

Exit codes: 0 done, 1 failed, 2 bad usage. Keys are never printed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from offline_queue.crypto import read_key_file, write_key_file
from offline_queue.errors import OutboxError
from offline_queue.outbox import Outbox

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m offline_queue.keytool", description="Manage the outbox's keys."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("show", "list the key ids, newest (active) first"),
        ("rotate", "add a new active key in front of the others"),
        ("prune", "drop the keys no item of the outbox uses"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--key-file", type=Path, required=True)
        if name == "prune":
            sub.add_argument("--outbox", type=Path, required=True, help="the outbox database")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the exit code."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    try:
        ring = read_key_file(args.key_file)
        if args.command == "rotate":
            ring = ring.rotated()
            write_key_file(args.key_file, ring)
            print(f"new active key {ring.active_id}; restart the kiosk to re-seal the outbox")
        elif args.command == "prune":
            # Opening the outbox re-seals with the active key first.
            with Outbox.open(args.outbox, key_file=args.key_file) as outbox:
                in_use = outbox.key_ids_in_use()
            retired = set(ring.keys) - in_use - {ring.active_id}
            write_key_file(args.key_file, ring.without(retired))
            print(f"retired {len(retired)} key(s): {', '.join(sorted(retired)) or 'none'}")
        for key_id in [ring.active_id, *(k for k in ring.keys if k != ring.active_id)]:
            print(key_id + (" (active)" if key_id == ring.active_id else ""))
    except FileNotFoundError as err:
        print(f"keytool: {err.filename}: no such file", file=sys.stderr)
        return EXIT_FAILED
    except OutboxError as err:
        print(f"keytool: {err}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
