"""The kiosk prints through the adapter its configuration names, set up as configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.config import ConfigError, load_settings
from kiosk.services import StartupError, build_printer
from peripherals.printer import SimulatedPrinter
from peripherals.printer.cups import CupsPrinter
from peripherals.printer.escpos import EscposPrinter


def settings_from(tmp_path: Path, devices: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(f"[devices]\n{devices}\n", encoding="utf-8")
    return path


def test_the_default_is_the_simulator() -> None:
    assert isinstance(build_printer(load_settings(None, environ={})), SimulatedPrinter)


async def test_a_cups_queue_with_its_cups_pdf_folder(tmp_path: Path) -> None:
    path = settings_from(
        tmp_path,
        'printer = "cups"\nprinter_cups_queue = "Kiosk_Receipts"\n'
        'printer_cups_server = "127.0.0.1:631"\nprinter_cups_pdf_dir = "pdf"\n'
        "printer_timeout_s = 12\n",
    )
    settings = load_settings(path, environ={})
    assert settings.devices.printer_cups_pdf_dir == tmp_path / "pdf"
    printer = build_printer(settings)
    assert isinstance(printer, CupsPrinter)
    assert printer.queue == "Kiosk_Receipts"
    await printer.close()


def test_an_escpos_printer_from_the_environment() -> None:
    settings = load_settings(
        None,
        environ={
            "VG_KIOSK__DEVICES__PRINTER": "escpos",
            "VG_KIOSK__DEVICES__PRINTER_ESCPOS_HOST": "192.0.2.10",
            "VG_KIOSK__DEVICES__PRINTER_ESCPOS_PORT": "9101",
        },
    )
    printer = build_printer(settings)
    assert isinstance(printer, EscposPrinter)
    assert (printer.host, printer.port, printer.profile) == ("192.0.2.10", 9101, "TM-T20II")


@pytest.mark.parametrize(
    ("devices", "problem"),
    [
        ('printer = "cups"', "printer_cups_queue is required"),
        ('printer = "escpos"', "printer_escpos_host is required"),
        ('printer = "cups"\nprinter_cups_queue = "two words"', "printer_cups_queue"),
        ('printer = "escpos"\nprinter_escpos_host = "h"\nprinter_escpos_port = 0', "port"),
        ('printer = "laser"', "'simulated', 'cups' or 'escpos'"),
        ("printer_timeout_s = 0.1", "printer_timeout_s"),
    ],
)
def test_incomplete_printer_settings_stop_the_kiosk(
    tmp_path: Path, devices: str, problem: str
) -> None:
    with pytest.raises(ConfigError, match="will not start") as caught:
        load_settings(settings_from(tmp_path, devices), environ={})
    assert problem in str(caught.value)


def test_an_unknown_escpos_profile_is_a_startup_error(tmp_path: Path) -> None:
    path = settings_from(
        tmp_path,
        'printer = "escpos"\nprinter_escpos_host = "h"\nprinter_escpos_profile = "nope"',
    )
    with pytest.raises(StartupError, match="printer_escpos_profile"):
        build_printer(load_settings(path, environ={}))
