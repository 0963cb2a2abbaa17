from enum import StrEnum


class OutputFormat(StrEnum):
    AIFF = "aiff"
    FLAC = "flac"
    JSON = "json"
    MP3 = "mp3"
    MP4 = "mp4"
    SRT = "srt"
    TXT = "txt"
    WAV = "wav"

    def __str__(self) -> str:
        return str(self.value)
