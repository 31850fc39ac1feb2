"""Health reports and the base device error."""

from __future__ import annotations

import pytest

from peripherals import DeviceError, DeviceHealth, HealthState
from peripherals.card import CardRemovedError
from peripherals.printer import PaperOutError


def test_helpers_build_each_state() -> None:
    assert DeviceHealth.ok() == DeviceHealth(HealthState.OK, "device.ok", "")
    assert DeviceHealth.degraded("printer.paper_low", "3 left").state is HealthState.DEGRADED
    assert DeviceHealth.fault("printer.offline").code == "printer.offline"
    assert DeviceHealth.absent().state is HealthState.ABSENT


@pytest.mark.parametrize(
    ("health", "usable"),
    [
        (DeviceHealth.ok(), True),
        (DeviceHealth.degraded("printer.paper_low"), True),
        (DeviceHealth.fault("printer.paper_out"), False),
        (DeviceHealth.absent(), False),
    ],
)
def test_only_ok_and_degraded_devices_are_usable(health: DeviceHealth, usable: bool) -> None:
    assert health.usable is usable


def test_health_states_serialise_as_plain_strings() -> None:
    assert [str(state) for state in HealthState] == ["ok", "degraded", "fault", "absent"]


def test_a_fault_can_be_built_from_the_error_that_revealed_it() -> None:
    health = DeviceHealth.from_error(PaperOutError("0 sheets"))
    assert health == DeviceHealth(HealthState.FAULT, "printer.paper_out", "0 sheets")


def test_device_errors_carry_their_translation_key() -> None:
    error = CardRemovedError("pulled at APDU 3")
    assert isinstance(error, DeviceError)
    assert error.code == "card.removed"
    assert error.detail == "pulled at APDU 3"
    assert str(error) == "card.removed: pulled at APDU 3"


def test_an_instance_may_override_the_code_without_touching_the_class() -> None:
    error = DeviceError(code="camera.lost")
    assert error.code == "camera.lost"
    assert str(error) == "camera.lost"
    assert DeviceError.code == "device.error"
