"""Limits on what an upload may expand to, checked before anything is expanded.

A .docx or .xlsx is a zip: a small file can hold hundreds of megabytes of XML (a "zip bomb"), or
an XML document type that multiplies entities ("billion laughs"). :func:`check_zip` reads only
the archive's directory and the first bytes of each XML member, and refuses, in one line, an
archive whose members would expand past the limits. :data:`MAX_PDF_PAGES` bounds a text PDF.

Used by the notice reader (.docx), the draft sheet and the directory import (.xlsx).
"""

from __future__ import annotations

import dataclasses
import io
import zipfile

MAX_MEMBERS = 2_000                     # parts in one archive (a long notice has about 30)
MAX_TOTAL_UNCOMPRESSED = 40 * 1024 * 1024   # all members together, media included
MAX_XML_UNCOMPRESSED = 3 * 1024 * 1024      # one XML part (real notices: 60-180 KB; 3 MB reads in about +40 MB)
MAX_RATIO = 200                         # uncompressed / compressed for parts over 1 MB (XML: ~10-30)
MAX_PDF_PAGES = 300                     # a notice with a text layer; scans have their own limit (OCR)
_RATIO_FROM = 1024 * 1024
_SNIFF = 4096


@dataclasses.dataclass
class ZipLimit(Exception):
    """Why an archive is refused: ``reason`` is one of the keys of ``[upload_limits]`` in the texts."""

    reason: str
    member: str = ""
    size_mb: str = ""
    limit_mb: str = ""

    def __str__(self) -> str:
        return f"{self.reason}: {self.member} ({self.size_mb} MB, limit {self.limit_mb} MB)"


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f}".replace(".", ",")


def check_zip(data: bytes) -> None:
    """Raise :class:`ZipLimit` when the archive would expand past the limits; ``BadZipFile`` if broken."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ZipLimit("too_many_members", member=str(len(infos)), limit_mb=str(MAX_MEMBERS))
        total = 0
        for info in infos:
            size = info.file_size  # as declared; the reads below never go past it
            total += size
            if total > MAX_TOTAL_UNCOMPRESSED:
                raise ZipLimit("total", member=info.filename, size_mb=_mb(total), limit_mb=_mb(MAX_TOTAL_UNCOMPRESSED))
            xml = info.filename.lower().endswith((".xml", ".rels", ".vml"))
            if xml and size > MAX_XML_UNCOMPRESSED:
                raise ZipLimit("member", member=info.filename, size_mb=_mb(size), limit_mb=_mb(MAX_XML_UNCOMPRESSED))
            if size > _RATIO_FROM and size > MAX_RATIO * max(info.compress_size, 1):
                raise ZipLimit("ratio", member=info.filename, size_mb=_mb(size), limit_mb=_mb(info.compress_size))
            if xml and size:
                with zf.open(info) as member:
                    head = member.read(_SNIFF)
                # Office files never carry a document type: one is the mark of an entity bomb.
                if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
                    raise ZipLimit("doctype", member=info.filename)
