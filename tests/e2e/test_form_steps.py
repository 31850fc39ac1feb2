"""A form that follows the citizen's answers: a step appears only when it applies."""

from __future__ import annotations

from kiosk.ui.driver import open_form
from kiosk.ui.harness import RunningKiosk
from peripherals.camera.simulator import SimulatedDocumentCamera


def test_the_email_step_appears_only_for_delivery_by_email(offline_kiosk: RunningKiosk) -> None:
    d = offline_kiosk.driver

    async def journey() -> None:
        await open_form(d, "en", "copy-of-record")
        await d.tap("choice_record_type_tax-bill")
        assert d.find("field_email") is None
        await d.tap("choice_delivery_email")
        await d.type_into("field_email", "camille@exemple.ca")
        await d.tap("choice_delivery_pickup")  # a change of mind: the step goes away
        await d.wait_for(lambda: d.find("field_email") is None, "the email step to go")
        await d.tap("formContinue")
        await d.screen("reviewScreen")

    offline_kiosk.run(journey())
    session = offline_kiosk.services.journey.session
    assert "email" not in session.values  # nothing kept of a step that no longer applies
    assert not any("camille" in text for text in d.texts())


def test_a_scan_that_fails_says_why_and_the_next_one_works(
    offline_kiosk: RunningKiosk,
) -> None:
    d = offline_kiosk.driver
    camera = offline_kiosk.services.document_camera.get()
    assert isinstance(camera, SimulatedDocumentCamera)
    status = "scanStatus_proof_of_address"

    async def journey() -> None:
        await open_form(d, "en", "licence-address")
        camera.lose_camera()
        await d.tap("scan_proof_of_address")
        await d.wait_for(
            lambda: "out of order" in str((d.find(status) or d.window).property("text")),
            "the camera's fault, in words",
        )
        camera.restore_camera()
        await d.tap("scan_proof_of_address")
        await d.wait_for(
            lambda: "Page scanned" in str((d.find(status) or d.window).property("text")),
            "the page",
        )

    offline_kiosk.run(journey())
    assert offline_kiosk.services.journey.session.documents.keys() == {"proof_of_address"}
