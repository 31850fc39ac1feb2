"""Composition root: settings -> devices -> outbox and sync -> UI, on one loop.

`kiosk` runs the appliance; `kiosk --demo` also starts an embedded back end.
"""

from __future__ import annotations

import argparse
import logging
import sys
from contextlib import ExitStack
from pathlib import Path

from kiosk.catalogue import CatalogueError
from kiosk.config import ConfigError, load_settings
from kiosk.i18n import CatalogueTextError
from kiosk.maintenance.logs import install_log_file, log_file_path
from kiosk.services import StartupError, build_services
from offline_queue.redact import install_redaction

EXIT_CONFIG = 2


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line of the `kiosk` console script."""
    parser = argparse.ArgumentParser(prog="kiosk", description="Visioguichet citizen kiosk")
    parser.add_argument("--config", type=Path, help="TOML settings file (default: built-in)")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start an embedded back end on SQLite and use simulated devices",
    )
    parser.add_argument(
        "--demo-dir",
        type=Path,
        default=Path(".demo"),
        help="where the demo keeps its data (default: .demo)",
    )
    parser.add_argument("--windowed", action="store_true", help="do not go full screen")
    parser.add_argument(
        "--quit-after",
        type=float,
        metavar="SECONDS",
        help="quit after this many seconds (smoke tests)",
    )
    parser.add_argument(
        "--report-first-frame",
        action="store_true",
        help="print the time of the first rendered frame (benchmark)",
    )
    parser.add_argument(
        "--exit-after-first-frame",
        action="store_true",
        help="quit once the first frame is drawn (start-up benchmark)",
    )
    parser.add_argument(
        "--smoke-journey",
        action="store_true",
        help="walk one change of address with the simulated card, print its reference and "
        "quit (exit 0 only if a reference was shown; checks an installation)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the kiosk; exit code 2 when the configuration is unusable."""
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    install_redaction()  # before anything can log a token or a PIN
    try:
        settings = load_settings(args.config)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return EXIT_CONFIG
    with ExitStack() as stack:
        if args.demo:
            from kiosk.demo import demo_settings, embedded_backend
            from kiosk.eservices.demo_site import demo_eservice

            demo_dir = args.demo_dir.resolve()
            backend = stack.enter_context(embedded_backend(demo_dir))
            stack.enter_context(demo_eservice())
            settings = demo_settings(settings, backend, demo_dir)
        # The maintenance mode's log viewer reads this file (rotating, capped).
        log_file = install_log_file(log_file_path(settings.kiosk.data_dir))
        stack.callback(logging.getLogger().removeHandler, log_file)
        stack.callback(log_file.close)
        from kiosk.ui.runtime import RunOptions, run, start_event_loop

        event_loop = start_event_loop()
        try:
            services = build_services(settings, event_loop.loop)
        except (StartupError, CatalogueError, CatalogueTextError) as err:
            event_loop.loop.close()
            print(f"visioguichet: cannot start: {err}", file=sys.stderr)
            return EXIT_CONFIG

        options = RunOptions(
            fullscreen=settings.kiosk.fullscreen and not args.windowed,
            quit_after_s=args.quit_after,
            report_first_frame=args.report_first_frame,
            exit_after_first_frame=args.exit_after_first_frame,
            smoke_journey=args.smoke_journey,
        )
        return run(event_loop, services, options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
