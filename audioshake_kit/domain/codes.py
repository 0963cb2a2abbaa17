"""Target error codes (mock contract: the service publishes no list; the spec's
``TargetError`` lists the same table under ``x-error-codes``, and a test holds the two
equal).

4xxx: the target failed before processing began (the input is unusable for it).
5xxx: the target failed while processing.
"""

from __future__ import annotations

__all__ = [
    "ERROR_CODES",
    "NOT_DECODABLE",
    "NO_AUDIO",
    "PROCESSING_FAILED",
    "TOO_LONG",
    "TOO_MANY_CHANNELS",
    "TRANSCRIPT_UNREADABLE",
    "failed_before_processing",
]

NOT_DECODABLE = 4001
TOO_LONG = 4002
NO_AUDIO = 4003
TOO_MANY_CHANNELS = 4004
TRANSCRIPT_UNREADABLE = 4005
PROCESSING_FAILED = 5001  # also the default code of a fault rule

ERROR_CODES: dict[int, str] = {
    NOT_DECODABLE: "media could not be decoded",
    TOO_LONG: "input longer than the model's maxInputDurationSeconds",
    NO_AUDIO: "no audio stream",
    TOO_MANY_CHANNELS: "unsupported channel layout (more than 2 channels)",
    TRANSCRIPT_UNREADABLE: "transcript unreadable",
    PROCESSING_FAILED: "processing failed",
}


def failed_before_processing(code: int) -> bool:
    """True for a 4xxx code: the target never started processing."""
    return 4000 <= code < 5000
