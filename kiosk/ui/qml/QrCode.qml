import QtQuick

// A QR code (an SVG data URL from kiosk/qr.py), `side` pixels square, decoded once at that size.
// Its decode size is a number known when it is created, never its own laid-out width: an
// Image whose sourceSize follows its width asks first for the SVG at its natural size (the
// width is still 0 then), then again once laid out, and Qt 6.11 keeps the image of the
// cancelled first request of a data: URL for ever (QQuickPixmapReader::networkRequestDone
// drops a cancelled job's texture factory without deleting it): a decoded QR code leaked
// at most thank-you screens (issue #6; tests/kiosk/test_qr_image.py).
Image {
    required property int side
    width: side
    height: side
    sourceSize.width: side
    sourceSize.height: side
    Accessible.role: Accessible.Graphic
}
