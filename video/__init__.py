"""WebRTC for both ends of the video counter (kiosk and agent console).

This issue ships only the signalling schemas (:mod:`video.signaling`), shared by
the kiosk, the back end's signalling hub and the agent console.
"""
