"""The kiosk's speaker and microphone for calls, through Qt Multimedia.

The call (``video``) is Qt-free: it plays remote audio into an ``AudioSink``
and sends whatever a :class:`~video.media.MicrophoneTrack` is fed. Here Qt's
audio output and input fill those roles. Latency wins over completeness: when
the output buffer is full a frame is dropped rather than queued, so the agent's
voice never drifts behind their lips.
"""

from __future__ import annotations

import logging

import av
import numpy as np
from PySide6.QtCore import QIODevice
from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QAudioSource, QMediaDevices

from video.media import AUDIO_RATE, MicrophoneTrack

log = logging.getLogger(__name__)


def voice_format() -> QAudioFormat:
    """48 kHz, mono, 16-bit: what WebRTC's Opus decodes to and what the call sends."""
    fmt = QAudioFormat()
    fmt.setSampleRate(AUDIO_RATE)
    fmt.setChannelCount(1)
    fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
    return fmt


def to_voice_pcm(frame: av.AudioFrame, resampler: av.AudioResampler) -> bytes:
    """One decoded frame as 48 kHz mono 16-bit PCM bytes."""
    # to_ndarray, not the plane's buffer: planes are padded to an alignment.
    return b"".join(out.to_ndarray().tobytes() for out in resampler.resample(frame))


class QtSpeaker:
    """An ``AudioSink`` on the default audio output; None from :meth:`open` if there is none."""

    def __init__(self, sink: QAudioSink) -> None:
        self._sink = sink
        self._device: QIODevice | None = sink.start()
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=AUDIO_RATE)
        self.dropped = 0

    @classmethod
    def open(cls) -> QtSpeaker | None:
        output = QMediaDevices.defaultAudioOutput()
        if output.isNull():
            log.warning("no audio output: the agent will be heard nowhere (captions still show)")
            return None
        return cls(QAudioSink(output, voice_format()))

    async def write(self, frame: av.AudioFrame) -> None:
        device = self._device
        if device is None:
            return
        pcm = to_voice_pcm(frame, self._resampler)
        if self._sink.bytesFree() < len(pcm):
            self.dropped += 1
            return
        device.write(pcm)

    async def close(self) -> None:
        """Keep the output open: the sink serves every call of the kiosk's life."""

    def stop(self) -> None:
        self._sink.stop()
        self._device = None


class QtMicrophone:
    """Feeds a :class:`MicrophoneTrack` from the default audio input."""

    def __init__(self, source: QAudioSource, track: MicrophoneTrack) -> None:
        self._source = source
        self._track = track
        self._device = source.start()
        self._device.readyRead.connect(self._read)

    @classmethod
    def open(cls, track: MicrophoneTrack) -> QtMicrophone | None:
        device = QMediaDevices.defaultAudioInput()
        if device.isNull():
            log.warning("no audio input: the citizen can use chat and quick replies")
            return None
        return cls(QAudioSource(device, voice_format()), track)

    def _read(self) -> None:
        data = bytes(self._device.readAll().data())
        usable = len(data) - len(data) % 2
        self._track.feed(np.frombuffer(data[:usable], np.int16))

    def stop(self) -> None:
        self._source.stop()
