"""Weekly digest: message text, Excel workbook, Word report and chart (pure: data + now in, bytes out).

    digest = build_digest(now, notices, tasks, assignments, reports, agencies, cal, settings)
    digest.messages  # Telegram HTML, each <= 4096 characters
    digest.files()   # {"bao-cao-tuan-2024-03-15.xlsx": b"...", ".docx": ..., ".png": ...}
"""

from .build import Digest, build_digest, digest_filename, render_messages
from .model import DigestData, DigestSettings, DigestSettingsError, Row, build_data

__all__ = [
    "Digest",
    "DigestData",
    "DigestSettings",
    "DigestSettingsError",
    "Row",
    "build_data",
    "build_digest",
    "digest_filename",
    "render_messages",
]
