"""Read-aloud for citizens who read with difficulty or see poorly (Qt TextToSpeech).

The citizen turns it on with the header's speaker button; from then on every
screen's title and every field the citizen touches are read in the citizen's
language. On a kiosk with no voice (no speech-dispatcher, or no voice for the
language) the button does not show: nothing pretends to speak.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Property, QLocale, QObject, Signal, Slot
from PySide6.QtTextToSpeech import QTextToSpeech

from kiosk.i18n import Language

_log = logging.getLogger(__name__)
LOCALES: dict[Language, QLocale] = {"fr": QLocale("fr_CA"), "en": QLocale("en_CA")}
# A citizen's screen is read in full, but a runaway text (a catalogue typo) is not.
MAX_SPOKEN_CHARS = 600


class ReadAloud(QObject):
    """The kiosk's voice: available or not, on or off for the current citizen."""

    changed = Signal()

    def __init__(self, engine: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._enabled = False
        self._language: Language = "fr"
        self._tts: QTextToSpeech | None = None
        self.spoken: list[str] = []  # what was said, most recent last (tests, diagnostics)
        if engine == "none":
            return
        if engine not in QTextToSpeech.availableEngines():
            _log.warning("no text-to-speech engine %r: read-aloud is off", engine)
            return
        tts = QTextToSpeech(engine, self)
        if tts.state() is QTextToSpeech.State.Error:
            _log.warning("text-to-speech %r has no voice: read-aloud is off", engine)
            return
        tts.setLocale(LOCALES[self._language])
        self._tts = tts

    def _get_available(self) -> bool:
        return self._tts is not None

    available = Property(bool, _get_available, notify=changed)
    enabled = Property(bool, lambda self: self._enabled, notify=changed)

    @Slot()
    def toggle(self) -> None:
        """On or off, for this citizen; turning it on says so at once."""
        if self._tts is None:
            return
        self._enabled = not self._enabled
        if not self._enabled:
            self._tts.stop()
        self.changed.emit()

    def set_language(self, language: Language) -> None:
        """Speak ``language`` from now on (a voice of that language, when there is one).

        A switch while reading reads the screen again, in the new language.
        """
        if language == self._language:
            return
        self._language = language
        if self._tts is not None:
            self._tts.setLocale(LOCALES[language])
            self.changed.emit()

    @Slot(str)
    def say(self, text: str) -> None:
        """Read ``text`` now, interrupting what was being read (only when turned on)."""
        spoken = " ".join(text.split())[:MAX_SPOKEN_CHARS]
        if self._tts is None or not self._enabled or not spoken:
            return
        self._tts.stop()
        self._tts.say(spoken)
        self.spoken.append(spoken)

    def reset(self) -> None:
        """The next citizen starts with the voice off."""
        if self._tts is not None:
            self._tts.stop()
        self._enabled = False
        self.spoken.clear()
        self.changed.emit()
