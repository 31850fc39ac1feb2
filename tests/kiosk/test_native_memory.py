"""The kiosk starts with glibc's per-thread malloc cache off, whoever launches it (issue #6)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kiosk.native_memory import (
    KIOSK_TUNABLES,
    TCACHE_TUNABLE,
    kiosk_allocator_environment,
    restart_with_kiosk_allocator,
    runs_on_glibc,
)

needs_glibc = pytest.mark.skipif(not runs_on_glibc(), reason="glibc's tunables only")

# Prints its PID, restarts if it must, then prints the tunables it runs with.
RESTARTING = (
    "import os; from kiosk.native_memory import restart_with_kiosk_allocator; "
    "print('before', os.getpid(), flush=True); restart_with_kiosk_allocator(); "
    "print('after', os.getpid(), os.environ.get('GLIBC_TUNABLES'))"
)


def run_untuned(code: str) -> subprocess.CompletedProcess[str]:
    """Python running ``code`` from an environment without glibc tunables."""
    environ = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
    return subprocess.run(
        [sys.executable, "-c", code],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@needs_glibc
def test_the_tunables_are_added_to_an_environment_without_them() -> None:
    environ = kiosk_allocator_environment({"PATH": "/usr/bin"})
    assert environ == {"PATH": "/usr/bin", "GLIBC_TUNABLES": KIOSK_TUNABLES}


@needs_glibc
def test_other_tunables_are_kept() -> None:
    environ = kiosk_allocator_environment({"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"})
    assert environ is not None
    assert environ["GLIBC_TUNABLES"] == f"glibc.malloc.arena_max=2:{KIOSK_TUNABLES}"


def test_an_operators_own_tcache_setting_is_left_alone() -> None:
    assert kiosk_allocator_environment({"GLIBC_TUNABLES": f"{TCACHE_TUNABLE}=7"}) is None


@needs_glibc
def test_a_process_restarts_once_in_place_with_the_tunables() -> None:
    done = run_untuned(RESTARTING)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line.split() for line in done.stdout.splitlines()]
    # Started, restarted in place (the command runs again from the top), then went on.
    assert [line[0] for line in lines] == ["before", "before", "after"]
    assert len({line[1] for line in lines}) == 1  # one PID: the same process
    assert lines[-1][2] == KIOSK_TUNABLES


@needs_glibc
def test_the_kiosk_command_restarts_with_the_tunables() -> None:
    """``kiosk --help`` goes through the restart: its help is printed once, by the restarted run."""
    done = run_untuned(
        "import os, sys; from kiosk import command; "
        "sys.argv = ['kiosk', '--help']; "
        "print('tunables', os.environ.get('GLIBC_TUNABLES'), flush=True); command.start()"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    printed = [line for line in done.stdout.splitlines() if line.startswith("tunables")]
    assert printed == ["tunables None", f"tunables {KIOSK_TUNABLES}"]
    assert done.stdout.count("usage:") == 1


@needs_glibc
def test_a_failed_restart_leaves_the_kiosk_running_as_it_is(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(*_: object) -> None:
        raise PermissionError("execve refused")

    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    monkeypatch.setattr(os, "execve", refuse)
    restart_with_kiosk_allocator()  # returns: the kiosk goes on starting
    assert "running without glibc.malloc.tcache_count=0" in capsys.readouterr().err
