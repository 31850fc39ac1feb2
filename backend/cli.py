"""``kiosk-backend``: serve the back end and manage its credentials.

A thin layer over :mod:`backend.app` and :mod:`backend.auth`. Exit codes:
0 success, 1 the operation failed, 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import SQLAlchemyError

from backend.audit import CLI_ACTOR, AuditAction, record, record_now
from backend.auth import CredentialError, Role, issue_credential, revoke
from backend.console_auth import AccountError, add_agent
from backend.db import agents, make_engine
from backend.roles import format_roles, parse_roles
from backend.routing import QueueFileError, Skills
from backend.schema import current_revision, migrate, upgrade_sql
from backend.settings import BackendConfigError, BackendSettings, load_settings
from offline_queue.redact import install_redaction
from offline_queue.tls import certificate_pin, is_loopback_host, is_loopback_url
from video.signaling import MAX_SIGNAL_BYTES

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
TOKEN_FILE_MODE = 0o600


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk-backend", description="The visioguichet back end.")
    commands = parser.add_subparsers(dest="command", required=True)

    def with_config(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sub.add_argument("--config", type=Path, help="TOML settings file")
        return sub

    serve = with_config(commands.add_parser("serve", help="run the HTTP server"))
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"default {DEFAULT_HOST}")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    serve.add_argument("--tls-cert", type=Path, help="PEM certificate (chain): serve https/wss")
    serve.add_argument("--tls-key", type=Path, help="PEM private key of --tls-cert")
    pin = commands.add_parser("tls-pin", help="print the pin of a certificate for the kiosks")
    pin.add_argument("certificate", type=Path, metavar="CERT_PEM")
    enroll = with_config(
        commands.add_parser(
            "enroll", help="issue a kiosk's credential and print its [backend] configuration"
        )
    )
    enroll.add_argument("client_id", metavar="KIOSK_ID")
    enroll.add_argument("--url", required=True, help="the back end's URL as the kiosk reaches it")
    enroll.add_argument("--tls-cert", type=Path, help="the server's certificate, to pin it")
    enroll.add_argument(
        "--token-file", type=Path, required=True, help="write the token here (mode 0600)"
    )
    for name, role, arg in (("add-kiosk", "kiosk", "KIOSK_ID"), ("add-staff", "staff", "NAME")):
        sub = with_config(commands.add_parser(name, help=f"issue a {role} token (or a new one)"))
        sub.add_argument("client_id", metavar=arg)
        sub.add_argument(
            "--token-file", type=Path, help="write the token here (mode 0600) instead of stdout"
        )
        sub.set_defaults(role=role)
    revoke_cmd = with_config(commands.add_parser("revoke", help="revoke a client's token"))
    revoke_cmd.add_argument("client_id", metavar="CLIENT_ID")
    agent = with_config(commands.add_parser("add-agent", help="create an agent console account"))
    agent.add_argument("agent_id", metavar="AGENT_ID")
    agent.add_argument("--name", required=True, help="the name citizens see")
    agent.add_argument(
        "--skills",
        required=True,
        help="comma-separated kind:value, kinds agency, service, language"
        " (agency:riviere-claire,language:fr,service:appointment)",
    )
    agent.add_argument(
        "--roles",
        default="agent",
        help="comma-separated: agent, supervisor, technician, manager (default agent)",
    )
    agent.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    set_roles = with_config(
        commands.add_parser("set-roles", help="change a staff account's roles (audited)")
    )
    set_roles.add_argument("agent_id", metavar="AGENT_ID")
    set_roles.add_argument(
        "--roles", required=True, help="comma-separated: agent, supervisor, technician, manager"
    )
    migrate_cmd = with_config(
        commands.add_parser("migrate", help="bring the database to the current schema")
    )
    migrate_cmd.add_argument(
        "--sql", action="store_true", help="print the SQL for a DBA instead of running it"
    )
    return parser


def write_token_file(path: Path, token: str) -> None:
    """Write ``token`` to ``path`` readable by its owner only, replacing it atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file 0600 from the start: the token is never world-readable.
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(token + "\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp_name, TOKEN_FILE_MODE)
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise


@contextlib.contextmanager
def _database(settings: BackendSettings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()


def _serve(
    settings: BackendSettings,
    host: str,
    port: int,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
) -> int:
    import uvicorn

    from backend.app import create_app

    if (tls_cert is None) != (tls_key is None):
        raise AccountError("--tls-cert and --tls-key go together")
    if tls_cert is None and not is_loopback_host(host):
        # Tokens and passwords would cross the network in clear (docs/SECURITY.md).
        raise AccountError(
            f"refusing to serve plain http on {host}: give --tls-cert and --tls-key"
            " (or listen on loopback behind a TLS-terminating proxy)"
        )
    install_redaction()
    # The sans-I/O websockets server: uvicorn's default one is the deprecated legacy API.
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="info",
        ws="websockets-sansio",
        # A frame larger than the largest valid signalling message is cut off by the server.
        ws_max_size=MAX_SIGNAL_BYTES,
        ssl_certfile=str(tls_cert) if tls_cert else None,
        ssl_keyfile=str(tls_key) if tls_key else None,
    )
    return EXIT_OK


def _tls_pin(certificate: Path) -> int:
    print(certificate_pin(certificate.read_bytes()))
    return EXIT_OK


def _enroll(settings: BackendSettings, args: argparse.Namespace) -> int:
    pin = certificate_pin(args.tls_cert.read_bytes()) if args.tls_cert else None
    if not args.url.startswith("https://") and not is_loopback_url(args.url):
        raise AccountError("a kiosk reaches a non-loopback back end over https:// only")
    with _database(settings) as engine:
        token = issue_credential(engine, args.client_id, "kiosk")
        record_now(engine, AuditAction.CREDENTIAL_ISSUE, actor=CLI_ACTOR, target=args.client_id)
    write_token_file(args.token_file, token)
    print(f"# kiosk {args.client_id!r}: token written to {args.token_file}; copy it to the kiosk")
    print("[backend]")
    print(f'url = "{args.url}"')
    print('token_file = "/etc/visioguichet/kiosk.token"')
    if pin is not None:
        print(f'tls_pin_sha256 = ["{pin}"]')
    return EXIT_OK


def _issue(settings: BackendSettings, client_id: str, role: Role, token_file: Path | None) -> int:
    with _database(settings) as engine:
        token = issue_credential(engine, client_id, role)
        record_now(engine, AuditAction.CREDENTIAL_ISSUE, actor=CLI_ACTOR, target=client_id)
    if token_file is None:
        print(token)
    else:
        write_token_file(token_file, token)
        print(f"{role} token for {client_id!r} written to {token_file}")
    return EXIT_OK


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise AccountError("the passwords differ")
    return first


def _add_agent(settings: BackendSettings, args: argparse.Namespace) -> int:
    try:
        skills = Skills.parse(args.skills)
        roles = parse_roles(args.roles)
    except ValueError as err:
        raise AccountError(str(err)) from None
    password = _read_password(args.password_stdin)
    with _database(settings) as engine, engine.begin() as conn:
        add_agent(
            conn, args.agent_id, args.name, password, skills, now=datetime.now(UTC), roles=roles
        )
        record(
            conn,
            AuditAction.ACCOUNT_CREATE,
            actor=CLI_ACTOR,
            target=args.agent_id,
            detail=f"roles {format_roles(roles)}",
        )
    print(f"account {args.agent_id!r} created ({format_roles(roles)})")
    return EXIT_OK


def _set_roles(settings: BackendSettings, agent_id: str, text: str) -> int:
    try:
        roles = parse_roles(text)
    except ValueError as err:
        raise AccountError(str(err)) from None
    with _database(settings) as engine, engine.begin() as conn:
        before = conn.execute(
            select(agents.c.roles).where(agents.c.agent_id == agent_id)
        ).scalar_one_or_none()
        if before is None:
            raise AccountError(f"no account {agent_id!r}")
        conn.execute(
            update(agents).where(agents.c.agent_id == agent_id).values(roles=format_roles(roles))
        )
        record(
            conn,
            AuditAction.ROLE_CHANGE,
            actor=CLI_ACTOR,
            target=agent_id,
            detail=f"{before} -> {format_roles(roles)}",
        )
    print(f"account {agent_id!r} now {format_roles(roles)}")
    return EXIT_OK


def _migrate(settings: BackendSettings, *, sql_only: bool) -> int:
    if sql_only:
        print(upgrade_sql(settings.database_url))
        return EXIT_OK
    with _database(settings) as engine:
        revision = current_revision(engine)
    print(f"database at schema revision {revision}")
    return EXIT_OK


def _revoke(settings: BackendSettings, client_id: str) -> int:
    with _database(settings) as engine:
        revoke(engine, client_id)
        record_now(engine, AuditAction.CREDENTIAL_REVOKE, actor=CLI_ACTOR, target=client_id)
    print(f"token of {client_id!r} revoked")
    return EXIT_OK


def _run(settings: BackendSettings, args: argparse.Namespace) -> int:
    if args.command == "serve":
        return _serve(settings, args.host, args.port, args.tls_cert, args.tls_key)
    if args.command == "enroll":
        return _enroll(settings, args)
    if args.command in ("add-kiosk", "add-staff"):
        return _issue(settings, args.client_id, args.role, args.token_file)
    if args.command == "migrate":
        return _migrate(settings, sql_only=args.sql)
    if args.command == "add-agent":
        return _add_agent(settings, args)
    if args.command == "set-roles":
        return _set_roles(settings, args.agent_id, args.roles)
    return _revoke(settings, args.client_id)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``kiosk-backend`` command; return the process exit code."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # argparse exits on --help and on usage errors
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    if args.command == "tls-pin":
        try:
            return _tls_pin(args.certificate)
        except (OSError, ValueError) as err:
            print(f"kiosk-backend: cannot read the certificate: {err}", file=sys.stderr)
            return EXIT_USAGE
    try:
        settings = load_settings(args.config)
    except BackendConfigError as err:
        print(f"kiosk-backend: configuration error: {err}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return _run(settings, args)
    except (AccountError, QueueFileError) as err:
        print(f"kiosk-backend: {err}", file=sys.stderr)
        return EXIT_USAGE
    except CredentialError as err:
        print(f"kiosk-backend: {err}", file=sys.stderr)
        return EXIT_USAGE if args.command != "revoke" else EXIT_FAILED
    except (SQLAlchemyError, OSError) as err:
        print(f"kiosk-backend: {args.command} failed: {err}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
