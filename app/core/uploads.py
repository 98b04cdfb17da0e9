"""Attachments sent through the public intake form: validation and private storage.

What a file *is* is decided from its bytes alone; the name and the content type sent by
the browser are never trusted.  The signature is read by ``filetype`` (confirmed by
Pillow's check for an image), a compound file's directory by ``olefile``, an Office Open
XML package by ``zipfile`` (docs/dev/uploads.md).  Accepted:

* images (JPEG, PNG, GIF, WebP), always decoded and re-encoded with Pillow, so that
  EXIF/GPS/XMP, comments and anything appended after the image data are dropped.
  What decoding costs is bounded before any pixel is decoded: the pixels each image's
  header declares are capped per file (``UPLOAD_MAX_PIXELS``) and, summed, per form
  (``UPLOAD_MAX_PIXELS_PER_REQUEST``); each image is then decoded once (``validate_many``
  keeps the re-encoded result for ``store``), JPEGs at a reduced scale when they are
  much larger than what is kept, and the stored picture has at most
  ``UPLOAD_MAX_STORED_PIXELS`` (docs/security/uploads.md has the measurements);
* PDF (refused when its first KiB also looks like HTML/SVG: a polyglot);
* Office Open XML (docx, xlsx, pptx), checked as a ZIP: no macros, no zip bomb;
* legacy Office (doc, xls, ppt), checked as an OLE2 compound file: its directory must
  hold a Word, Excel or PowerPoint stream and no VBA storage (this refuses MSI
  installers, Outlook messages and other compound files).

Files are stored under ``UPLOAD_FOLDER`` (never under ``static/``) as
``YYYY-MM/<32 hex>.<ext>``: the extension comes from the detected kind and the user's
filename is kept only as (sanitised) metadata.  The files of a form sent back with an
error wait in ``stash/<32 hex>.<ext>`` (``stash``), and are moved to a month folder when
the form is filed (``unstash``): app/intake/stash.py keeps the list.
"""

from __future__ import annotations

import io
import math
import os
import re
import secrets
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import filetype
import olefile
from filetype.types.archive import Pdf, Zip
from filetype.types.image import Gif, Jpeg, Png, Webp
from flask import current_app, has_app_context
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from olefile.olefile import OleDirectoryEntry
from PIL import Image, ImageOps
from werkzeug.datastructures import FileStorage

from .timeutil import utcnow

MiB = 1024 * 1024
DEFAULT_MAX_BYTES = 5 * MiB
DEFAULT_MAX_FILES = 5
# Largest image accepted, in pixels as its header declares them (``UPLOAD_MAX_PIXELS``):
# a 25 MP picture is 75-100 MB once decoded.  Issue 16's attack used 6300×6300 PNGs
# (39.7 MP), which the former 40 MP cap let through.
MAX_IMAGE_PIXELS = 25_000_000
# All the images of one form together (``UPLOAD_MAX_PIXELS_PER_REQUEST``): five 16 MP
# phone photos fit, five 6300×6300 PNGs (198 MP) do not.
MAX_REQUEST_PIXELS = 80_000_000
# The stored picture (``UPLOAD_MAX_STORED_PIXELS``): larger ones are scaled down keeping
# their shape (a cap on the area, not on the long side, so that a long screenshot of a
# chat stays readable); JPEGs at least twice as large each way are decoded at 1/2, 1/4
# or 1/8 scale.  By default it equals the per-file cap, so nothing accepted is
# resampled: measured (bench/uploads_bench.py), scaling a 25 MP PNG down to 16.8 MP
# (4096×4096) took as long as encoding the difference saves and raised the peak memory
# from about 100 MB to 240 MB.
MAX_STORED_PIXELS = MAX_IMAGE_PIXELS
# PNG output is written with ``optimize`` (slow: zlib level 9 and more) only up to this.
PNG_OPTIMIZE_PIXELS = 4_000_000
# Pillow's own decompression-bomb check (in ``Image.open`` and GIF frame parsing) uses
# the same per-file cap; ``max_image_pixels`` keeps it in step with the config.
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
# Office Open XML limits (the file itself is already at most ``max_bytes``).
MAX_ZIP_MEMBERS = 1000
MAX_ZIP_UNCOMPRESSED = 50 * MiB
MAX_ZIP_RATIO = 100
# How much of a PDF is searched for HTML/SVG markers (what browsers sniff).
PDF_SNIFF_BYTES = 1024
ORIGINAL_NAME_MAX = 120

KIND_IMAGE = "image"
KIND_PDF = "pdf"
KIND_OFFICE = "office"

# Error codes: stable identifiers for callers and tests; the messages are translated.
TYPE = "type"
TOO_BIG = "too_big"
TOO_MANY = "too_many"
EMPTY = "empty"
DAMAGED = "damaged"
IMAGE_TOO_LARGE = "image_too_large"
TOO_MANY_PIXELS = "too_many_pixels"
DOCUMENT_TOO_LARGE = "document_too_large"
MACROS = "macros"

_MESSAGES = {
    TYPE: _l(
        "This type of file is not accepted. Please attach an image (JPEG, PNG, GIF, WebP), "
        "a PDF or an Office document."
    ),
    EMPTY: _l("The file is empty."),
    DAMAGED: _l("The file appears to be damaged and cannot be read."),
    IMAGE_TOO_LARGE: _l("The image is too large to process."),
    DOCUMENT_TOO_LARGE: _l("The document is too large to process."),
    MACROS: _l("Office documents with macros are not accepted."),
}

CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
}
# Other spellings of an extension that an original filename may keep as they are.
_EXT_ALIASES = {"jpg": {"jpg", "jpeg", "jpe", "jfif"}}

# A stored name, exactly as ``store`` makes it; anything else is refused by
# ``open_stored``/``delete_stored`` before the file system is touched.
_STORAGE_NAME_RE = re.compile(
    r"\A\d{4}-\d{2}/[0-9a-f]{32}\.(?:" + "|".join(sorted(CONTENT_TYPES)) + r")\Z"
)
# A stashed file's name, exactly as ``stash`` makes it (never a storage name: an
# attachment's row can never point into the stash, nor a stash row out of it).
STASH_FOLDER = "stash"
_STASH_NAME_RE = re.compile(
    r"\A" + STASH_FOLDER + r"/[0-9a-f]{32}\.(?:" + "|".join(sorted(CONTENT_TYPES)) + r")\Z"
)
# Characters Windows refuses in file names; the original name may be offered on download.
_UNSAFE_NAME_CHARS = set('/\\<>:"|?*')


class UploadError(ValueError):
    """A refused upload.  ``message`` is a lazy translated string for the user,
    ``code`` a stable identifier, ``filename`` the sanitised original name if known."""

    def __init__(self, code: str, message=None, filename: str | None = None) -> None:
        self.code = code
        self.message = message if message is not None else _MESSAGES[code]
        self.filename = filename
        super().__init__(self.message)

    # Whether ``message`` already says which file it is about (else callers prefix it).
    names_file = False


def _megapixels(pixels: int) -> str:
    """``25_000_000`` → ``"25"``, ``39_690_000`` → ``"39.7"``."""
    return f"{pixels / 1_000_000:.1f}".removesuffix(".0")


class ImageTooLargeError(UploadError):
    """An image whose header declares more pixels than the per-file cap.  The message
    names the file (once ``filename`` is set), its size and the cap."""

    names_file = True

    def __init__(self, width: int, height: int, limit: int, filename: str | None = None) -> None:
        self.width, self.height, self.limit = width, height, limit
        super().__init__(IMAGE_TOO_LARGE, LazyString(self._text), filename)

    def _text(self) -> str:
        values = {"width": self.width, "height": self.height, "limit": _megapixels(self.limit)}
        if self.filename:
            return _("The photo %(name)s is too large: %(width)d×%(height)d pixels; "
                     "at most %(limit)s megapixels are accepted.", name=self.filename, **values)
        return _("The photo is too large: %(width)d×%(height)d pixels; "
                 "at most %(limit)s megapixels are accepted.", **values)


@dataclass(frozen=True)
class StoredFile:
    storage_name: str  # relative POSIX path under UPLOAD_FOLDER, e.g. "2025-01/<hex>.jpg"
    original_name: str  # sanitised, for display and downloads only
    content_type: str
    size: int
    kind: str  # KIND_IMAGE, KIND_PDF or KIND_OFFICE
    pixels: int = 0  # what an image's header declared (counts towards the per-form cap)


# --- configuration -----------------------------------------------------------------


def max_upload_bytes() -> int:
    """Largest accepted file, in bytes (``UPLOAD_MAX_BYTES``, default 5 MiB)."""
    return int(current_app.config.get("UPLOAD_MAX_BYTES") or DEFAULT_MAX_BYTES)


def max_upload_files() -> int:
    """Most files one form may carry (``UPLOAD_MAX_FILES``, default 5)."""
    return int(current_app.config.get("UPLOAD_MAX_FILES") or DEFAULT_MAX_FILES)


def _config_int(key: str, default: int) -> int:
    value = current_app.config.get(key) if has_app_context() else None
    return int(value or default)


def max_image_pixels() -> int:
    """Most pixels one image may have (``UPLOAD_MAX_PIXELS``, default 25 MP); Pillow's
    ``Image.MAX_IMAGE_PIXELS`` is kept equal to it."""
    limit = _config_int("UPLOAD_MAX_PIXELS", MAX_IMAGE_PIXELS)
    if Image.MAX_IMAGE_PIXELS != limit:
        Image.MAX_IMAGE_PIXELS = limit
    return limit


def max_request_pixels() -> int:
    """Most pixels the images of one form may have together
    (``UPLOAD_MAX_PIXELS_PER_REQUEST``, default 80 MP)."""
    return _config_int("UPLOAD_MAX_PIXELS_PER_REQUEST", MAX_REQUEST_PIXELS)


def max_stored_pixels() -> int:
    """Most pixels of a stored (re-encoded) image (``UPLOAD_MAX_STORED_PIXELS``)."""
    return _config_int("UPLOAD_MAX_STORED_PIXELS", MAX_STORED_PIXELS)


def format_size(size: int) -> str:
    """``5242880`` → ``"5 MB"``, ``1536`` → ``"1.5 KB"`` (binary units, short labels)."""
    for unit, factor in (("MB", MiB), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.1f}".removesuffix(".0") + " " + unit
    return f"{size} B"


def _too_big(limit: int) -> UploadError:
    return UploadError(TOO_BIG, _l("The file is larger than %(limit)s.", limit=format_size(limit)))


# --- detection -----------------------------------------------------------------------


def inspect(data: bytes) -> tuple[str, str, str]:
    """``(kind, extension, content_type)`` of ``data``, judged from its bytes only.

    ``filetype`` names the format from its signature, among the few accepted; an image's
    signature is then confirmed by Pillow's own check for that format, a PDF must start
    with its header.  Office files are checked completely here (macros, zip bombs, damage);
    images are only recognised: ``clean`` decodes them.
    """
    if not data:
        raise UploadError(EMPTY)
    if data.startswith(olefile.MAGIC):  # legacy Office: an OLE2 compound file
        ext = _inspect_ole(data)
        return KIND_OFFICE, ext, CONTENT_TYPES[ext]
    found = filetype.match(data, matchers=_SIGNATURES)
    ext = _SIGNATURE_EXT.get(found.mime) if found is not None else None
    if ext in _IMAGE_FORMATS:
        if not _pillow_accepts(data, ext):
            raise UploadError(TYPE)  # filetype's looser signature ("GIF" alone), not the format
        return KIND_IMAGE, ext, CONTENT_TYPES[ext]
    if ext == "pdf" and data.startswith(b"%PDF-"):  # the header at the very start, no BOM
        head = data[:PDF_SNIFF_BYTES].lower()
        if any(marker in head for marker in (b"<html", b"<script", b"<svg")):
            raise UploadError(TYPE)  # a PDF that a browser could also render as HTML/SVG
        return KIND_PDF, "pdf", CONTENT_TYPES["pdf"]
    if ext == "zip":
        ext = _inspect_ooxml(data)
        return KIND_OFFICE, ext, CONTENT_TYPES[ext]
    raise UploadError(TYPE)


# The signatures looked for (filetype's matchers), and the extension each one stands for.
_SIGNATURES = (Jpeg(), Png(), Gif(), Webp(), Pdf(), Zip())
_SIGNATURE_EXT = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp",
                  "application/pdf": "pdf", "application/zip": "zip"}


def _pillow_accepts(data: bytes, ext: str) -> bool:
    """Whether Pillow's plugin for ``ext`` recognises the start of ``data`` as its format."""
    Image.init()
    _factory, accept = Image.OPEN[_IMAGE_FORMATS[ext][0]]
    return accept is None or accept(data[:16]) is True


def _inspect_ooxml(data: bytes) -> str:
    """``docx``, ``xlsx`` or ``pptx`` for an acceptable Office Open XML ZIP."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = zf.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                raise UploadError(DOCUMENT_TOO_LARGE)
            names = [m.filename for m in members]
            if "[Content_Types].xml" not in names:
                raise UploadError(TYPE)  # a plain ZIP archive (or a JAR, an APK, …)
            for prefix, ext in (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx")):
                if any(name.startswith(prefix) for name in names):
                    break
            else:
                raise UploadError(TYPE)
            if any(PurePosixPath(name).name.lower() == "vbaproject.bin" for name in names):
                raise UploadError(MACROS)
            # Sizes from the central directory first, so a bomb is never inflated.
            total = 0
            for member in members:
                if member.flag_bits & 0x1:
                    raise UploadError(DAMAGED)  # encrypted members: not a normal Office file
                if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise UploadError(DAMAGED)  # Office never writes anything else
                total += member.file_size
                if total > MAX_ZIP_UNCOMPRESSED:
                    raise UploadError(DOCUMENT_TOO_LARGE)
                if member.file_size > MAX_ZIP_RATIO * max(member.compress_size, 1):
                    raise UploadError(DOCUMENT_TOO_LARGE)
            # Now inflate every member (bounded by the checks above): zipfile stops at
            # the declared size and checks the CRC, so a lying header shows up as damage.
            for member in members:
                with zf.open(member) as fh:
                    while fh.read(1024 * 1024):
                        pass
            content_types = zf.read("[Content_Types].xml")
    except UploadError:
        raise
    except Exception as exc:  # BadZipFile, zlib.error, EOFError, … : a malformed archive
        raise UploadError(DAMAGED) from exc
    if b"macroenabled" in content_types.lower():
        raise UploadError(MACROS)  # .docm/.xlsm/.pptm content types, even without vbaProject
    return ext


# Legacy Office: the directory of an OLE2 compound file, read with olefile.
_OLE_MACRO_STORAGES = {"macros", "_vba_project_cur", "vba"}
_OLE_MAIN_STREAMS = (("worddocument", "doc"), ("workbook", "xls"), ("book", "xls"),
                     ("powerpoint document", "ppt"))
_OLE_NAMED = (olefile.STGTY_STORAGE, olefile.STGTY_STREAM, olefile.STGTY_ROOT)


def _inspect_ole(data: bytes) -> str:
    """``doc``, ``xls`` or ``ppt`` for an acceptable legacy Office compound file."""
    try:
        names = _ole_directory_names(data)
    except Exception:  # olefile.OleFileError, struct.error, … : a malformed compound file
        raise UploadError(DAMAGED) from None
    if names & _OLE_MACRO_STORAGES:
        raise UploadError(MACROS)
    for stream, ext in _OLE_MAIN_STREAMS:
        if stream in names:
            return ext
    # MSI installers, Outlook messages, encrypted OOXML packages, Thumbs.db, …
    raise UploadError(TYPE)


def _ole_directory_names(data: bytes) -> set[str]:
    """The lower-cased names of every storage and stream in a compound file's directory.

    olefile reads the header, the FAT (with its DIFAT) and the directory's sector chain,
    and raises for a malformed file.  Every entry of the directory counts, also one that
    the storage tree does not reach: a macro storage left out of the tree is still refused.
    A short last sector is read as if padded with zeros (olefile would drop it, and with
    it the entries it holds).  Always a ``BytesIO``: olefile takes a short ``bytes``
    value for a path on disk.
    """
    shift = int.from_bytes(data[30:32], "little")  # the header's sector shift: 9 or 12
    if shift in (9, 12):
        data += bytes(-len(data) % (1 << shift))
    with olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_INCORRECT) as ole:
        directory = ole.directory_fp
        names: set[str] = set()
        for sid, entry in enumerate(ole.direntries):
            if entry is None:  # not in the tree: parsed here as olefile parses the others
                directory.seek(sid * 128)
                entry = OleDirectoryEntry(directory.read(128), sid, ole)
            if entry.entry_type in _OLE_NAMED and entry.name:
                names.add(entry.name.lower())
    if not names:
        raise ValueError("empty directory")
    return names


# --- cleaning ------------------------------------------------------------------------


def clean(data: bytes) -> tuple[bytes, str, str, str]:
    """``(bytes, kind, extension, content_type)`` to store for an upload.

    Images come back re-encoded (GIF as PNG), other kinds unchanged once ``inspect``
    has accepted them.  An image over the per-file pixel cap is refused from its
    header, before any of it is decoded.
    """
    kind, ext, content_type = inspect(data)
    if kind != KIND_IMAGE:
        return data, kind, ext, content_type
    image_size(data, ext)
    return _reencode_image(data, ext)


# Pillow format name of the input, and the format/extension written back.
_IMAGE_FORMATS = {"jpg": ("JPEG", "jpg"), "png": ("PNG", "png"), "gif": ("GIF", "png"),
                  "webp": ("WEBP", "webp")}
# Metadata carried over to the re-encoded image: transparency is part of the picture,
# the ICC profile keeps colours right.  Everything else (exif, xmp, comment, text
# chunks, dpi, …) is dropped.
_KEPT_IMAGE_INFO = ("transparency", "icc_profile")


def _check_pixels(size: tuple[int, int]) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise UploadError(DAMAGED)
    limit = max_image_pixels()
    if width * height > limit:
        raise ImageTooLargeError(width, height, limit)


def _open_header(data: bytes, ext: str) -> Image.Image:
    """The image of ``data`` with only its header read (nothing decoded yet).

    Made by the format's own factory rather than ``Image.open``, whose bomb check
    would warn or raise before our check could name the size (for GIF, Pillow's check
    still runs when a frame grows the canvas: that is refused as too large, unnamed).
    """
    if not _pillow_accepts(data, ext):
        raise UploadError(DAMAGED)
    factory, _accept = Image.OPEN[_IMAGE_FORMATS[ext][0]]
    return factory(io.BytesIO(data), "")


def image_size(data: bytes, ext: str) -> tuple[int, int]:
    """``(width, height)`` of an image from its header, checked against the per-file
    cap, with the structure checks that need no decoding (``verify``: PNG checksums)."""
    try:
        with _open_header(data, ext) as probe:
            size = probe.size
            _check_pixels(size)
            probe.verify()
    except UploadError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadError(IMAGE_TOO_LARGE) from None
    except Exception as exc:  # any parser failure (OSError, SyntaxError, struct.error, …)
        raise UploadError(DAMAGED) from exc
    return size


def _reduced(size: tuple[int, int], limit: int) -> tuple[int, int]:
    """``size`` scaled down (shape kept) to at most ``limit`` pixels."""
    width, height = size
    if width * height <= limit:
        return size
    factor = math.sqrt(limit / (width * height))
    return max(1, int(width * factor)), max(1, int(height * factor))


def _reencode_image(data: bytes, ext: str) -> tuple[bytes, str, str, str]:
    """Decode ``data`` once (its header was checked by ``image_size``) and write it
    again without metadata, at most ``max_stored_pixels`` large.

    Memory: the decoded image, plus the scaled-down copy when it is larger than the
    stored cap; turning it upright happens in place (``exif_transpose``'s copy of an
    upright image would double the peak for nothing).
    """
    out_ext = _IMAGE_FORMATS[ext][1]
    stored_limit = max_stored_pixels()
    out = io.BytesIO()
    try:
        # ``verify`` (in ``image_size``) leaves an image unusable: open again, then decode.
        # Everything happens inside ``with``: closing an image frees its pixels.
        with _open_header(data, ext) as img:
            _check_pixels(img.size)
            target = _reduced(img.size, stored_limit)
            if ext == "jpg" and target != img.size:
                # JPEG can be decoded at 1/2, 1/4 or 1/8 scale, at a fraction of the
                # cost; ``draft`` picks the smallest scale still at least ``target``.
                img.draft(None, target)
            img.load()  # the one decode; a truncated file fails here (LOAD_TRUNCATED_IMAGES is off)
            kept = {key: img.info[key] for key in _KEPT_IMAGE_INFO if key in img.info}
            _upright(img)
            picture: Image.Image = img
            target = _reduced(picture.size, stored_limit)
            if target != picture.size:
                # ``reducing_gap``: a cheap box reduction first when the factor is large.
                picture = picture.resize(target, Image.Resampling.BICUBIC, reducing_gap=2.0)
            saveable = _to_saveable_mode(picture, out_ext, "transparency" in kept)
            if saveable is not picture:
                kept.pop("transparency", None)  # now in the alpha channel (or not applicable)
            picture = saveable
            picture.info = kept  # replaces everything the decoder read
            if out_ext == "jpg":
                picture.save(out, format="JPEG", quality=85)
            elif out_ext == "png":
                # ``optimize`` costs 2-3 times the encoding time: small images only.
                small = picture.size[0] * picture.size[1] <= PNG_OPTIMIZE_PIXELS
                picture.save(out, format="PNG", optimize=small)
            else:
                picture.save(out, format="WEBP", quality=85)
    except UploadError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadError(IMAGE_TOO_LARGE) from None
    except Exception as exc:  # any decoder failure (OSError, SyntaxError, struct.error, …)
        raise UploadError(DAMAGED) from exc
    return out.getvalue(), KIND_IMAGE, out_ext, CONTENT_TYPES[out_ext]


def _upright(img: Image.Image) -> None:
    """Turn the decoded ``img`` in place as its EXIF orientation says.  Broken EXIF is
    no reason to refuse a photo whose pixels decoded fine: it is then kept as stored."""
    try:
        ImageOps.exif_transpose(img, in_place=True)
    except Exception:  # nosec B110 - the picture stays as it was decoded
        pass


def _to_saveable_mode(img: Image.Image, out_ext: str, has_transparency: bool) -> Image.Image:
    """``img`` itself when the output format can store its mode, else a converted copy."""
    if out_ext == "jpg":
        return img if img.mode in ("L", "RGB") else img.convert("RGB")
    if out_ext == "webp":
        if img.mode in ("RGB", "RGBA"):
            return img
        alpha = has_transparency or img.mode in ("LA", "PA", "RGBa", "La")
        return img.convert("RGBA" if alpha else "RGB")
    if img.mode in ("1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"):
        return img
    return img.convert("RGBA")


# --- reading and storing -------------------------------------------------------------


def read_limited(file_storage: FileStorage, max_bytes: int) -> bytes:
    """The content of an upload; ``UploadError`` once it has more than ``max_bytes``.
    At most ``max_bytes + 1`` bytes are read, whatever the size of the upload."""
    stream = file_storage.stream
    chunks: list[bytes] = []
    remaining = max_bytes + 1
    while remaining > 0:
        chunk = stream.read(min(remaining, 1024 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    data = b"".join(chunks)
    if len(data) > max_bytes:
        raise _too_big(max_bytes)
    return data


def _safe_basename(name: str | None) -> str:
    """Basename only; control, format (bidi overrides, zero-width), separator and
    Windows-reserved characters removed; leading dots and trailing dots/spaces gone."""
    text = unicodedata.normalize("NFC", name or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(
        ch for ch in text
        if ch not in _UNSAFE_NAME_CHARS and unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp")
    )
    return text.strip().lstrip(".").rstrip(". ")


def sanitize_filename(name: str | None, ext: str) -> str:
    """The user's filename made safe to show and to offer on download, at most
    ``ORIGINAL_NAME_MAX`` characters, ``attachment.<ext>`` when nothing is left.

    Its extension is made to match what the file really is, so that a download can
    never be opened as something else: kept when it does, replaced when it names
    another accepted format (``scan.gif`` re-encoded → ``scan.png``), else appended
    (``passwd`` → ``passwd.png``, ``page.html`` → ``page.html.pdf``).
    """
    text = _safe_basename(name)
    stem, dot, suffix = text.rpartition(".")
    suffix_l = suffix.lower() if dot else ""
    if dot and suffix_l in _EXT_ALIASES.get(ext, {ext}):
        final_ext = suffix  # the user's spelling (".JPEG") of the right extension
    elif dot and (suffix_l in CONTENT_TYPES or suffix_l in _EXT_ALIASES["jpg"]):
        final_ext = ext
    else:
        stem, final_ext = text, ext
    stem = stem[: ORIGINAL_NAME_MAX - len(final_ext) - 1].rstrip(". ")
    return f"{stem or 'attachment'}.{final_ext}"


def _display_name(file_storage: FileStorage) -> str | None:
    """The sanitised name of a refused upload, to say which one it was."""
    return _safe_basename(file_storage.filename)[:ORIGINAL_NAME_MAX] or None


def upload_root() -> Path:
    """``UPLOAD_FOLDER``, created (mode 0700) if missing; refused inside ``static/``."""
    root = Path(current_app.config["UPLOAD_FOLDER"]).resolve()
    static = current_app.static_folder
    if static and root.is_relative_to(Path(static).resolve()):
        raise RuntimeError("UPLOAD_FOLDER must not be inside the static folder")
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


# Where ``validate_many`` leaves the cleaned content of an accepted upload for ``store``.
_CLEANED_ATTR = "_loushi_cleaned"
# … and the pixels its header declared (an image kept in the stash still counts them).
_PIXELS_ATTR = "_loushi_pixels"


def store(file_storage: FileStorage) -> StoredFile:
    """Validate one upload and write it under ``UPLOAD_FOLDER``; ``UploadError`` if
    it is refused (nothing is written then).  An upload that ``validate_many`` has
    accepted is written as it was cleaned then (its image is not decoded again)."""
    return _write(file_storage, utcnow().strftime("%Y-%m"))


def stash(file_storage: FileStorage) -> StoredFile:
    """As ``store``, but into ``stash/`` (a form sent back with an error keeps its
    files there until it is filed: ``unstash``, or they expire)."""
    return _write(file_storage, STASH_FOLDER)


def _cleaned(file_storage: FileStorage) -> tuple[bytes, str, str, str]:
    cleaned_before = getattr(file_storage, _CLEANED_ATTR, None)
    try:
        if cleaned_before is not None:
            return cleaned_before
        data = read_limited(file_storage, max_upload_bytes())
        return clean(data)
    except UploadError as exc:
        exc.filename = _display_name(file_storage)
        raise


def _new_file(folder_name: str, ext: str) -> tuple[str, int]:
    """(relative name, descriptor) of a new private file in ``folder_name``."""
    folder = upload_root() / folder_name
    folder.mkdir(mode=0o700, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{ext}"
    # O_EXCL: never overwrite (nor follow a planted symlink); 0600: owner only.
    fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return f"{folder_name}/{name}", fd


def _write(file_storage: FileStorage, folder_name: str) -> StoredFile:
    cleaned, kind, ext, content_type = _cleaned(file_storage)
    relative, fd = _new_file(folder_name, ext)
    path = upload_root() / relative
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(cleaned)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return StoredFile(
        storage_name=relative,
        original_name=sanitize_filename(file_storage.filename, ext),
        content_type=content_type,
        size=len(cleaned),
        kind=kind,
        pixels=int(getattr(file_storage, _PIXELS_ATTR, 0) or 0),
    )


def _is_blank(file_storage: FileStorage) -> bool:
    """An empty file input: browsers send a part without filename and without data."""
    if file_storage.filename:
        return False
    stream = file_storage.stream
    try:
        position = stream.tell()
        empty = not stream.read(1)
        stream.seek(position)
    except (AttributeError, OSError, ValueError):
        return False  # unseekable: let the real read decide
    return empty


def attached(file_storages: Iterable[FileStorage]) -> list[FileStorage]:
    """The uploads actually attached (empty file inputs left out)."""
    return [fs for fs in file_storages if fs is not None and not _is_blank(fs)]


def _too_many_pixels(total: int, limit: int) -> UploadError:
    return UploadError(TOO_MANY_PIXELS, _l(
        "Together the photos have %(total)s megapixels; at most %(limit)s megapixels can be "
        "sent at once. Please attach fewer or smaller photos.",
        total=_megapixels(total), limit=_megapixels(limit)))


def _read_rewound(fs: FileStorage) -> bytes:
    """The content of ``fs`` (``UploadError`` over the size limit), its stream left
    where it was, so that it can be read again."""
    stream = fs.stream
    try:
        start = stream.tell() if stream.seekable() else None
    except (AttributeError, OSError, ValueError):
        start = None
    try:
        data = read_limited(fs, max_upload_bytes())
        if start is None:
            fs.stream = io.BytesIO(data)  # cannot rewind: keep what was read
        return data
    finally:
        if start is not None:
            stream.seek(start)


def validate_many(file_storages: Iterable[FileStorage], kept_files: int = 0, kept_pixels: int = 0) -> list[UploadError]:
    """Every problem with a form's attachments, for showing on the form.

    More than ``UPLOAD_MAX_FILES`` is one error (the files are not read).  Otherwise,
    first every file is read and checked from its bytes and, for images, its header:
    type, size, pixels per file and, summed, per form.  Nothing is decoded when any of
    that fails.  Then each image is decoded once and re-encoded; the result is kept on
    the ``FileStorage`` for ``store`` (and every stream is rewound, so ``store`` also
    works on a file that was not validated here).  An empty list means everything is
    acceptable.  ``kept_files`` and ``kept_pixels``: what the form already holds (files
    kept from an earlier try, see app/intake/stash.py), counted against both caps.
    """
    files = attached(file_storages)
    limit = max_upload_files()
    if len(files) + kept_files > limit:
        return [UploadError(TOO_MANY, _l("At most %(count)d files can be attached.", count=limit))]
    errors: list[UploadError] = []
    checked: list[tuple[FileStorage, bytes, str, str, str]] = []
    total_pixels = kept_pixels
    for fs in files:
        try:
            data = _read_rewound(fs)
            kind, ext, content_type = inspect(data)
            if kind == KIND_IMAGE:
                width, height = image_size(data, ext)
                total_pixels += width * height
                setattr(fs, _PIXELS_ATTR, width * height)
            checked.append((fs, data, kind, ext, content_type))
        except UploadError as exc:
            exc.filename = _display_name(fs)
            errors.append(exc)
    request_limit = max_request_pixels()
    if total_pixels > request_limit:
        errors.append(_too_many_pixels(total_pixels, request_limit))
    if errors:
        return errors
    for fs, data, kind, ext, content_type in checked:
        try:
            cleaned = _reencode_image(data, ext) if kind == KIND_IMAGE else (data, kind, ext, content_type)
        except UploadError as exc:
            exc.filename = _display_name(fs)
            errors.append(exc)
        else:
            setattr(fs, _CLEANED_ATTR, cleaned)
    return errors


def form_errors(errors: Iterable[UploadError], kept: bool = False) -> list[str]:
    """The messages of refused uploads as a form shows them: each names its file, and
    a last line says that the refused files have to be chosen again (a browser never
    sends a file input's choice back with a re-rendered form); ``kept``: the form lists
    files kept from an earlier try, which stay."""
    messages = [
        f"{e.filename}: {e.message}" if e.filename and not e.names_file else str(e.message)
        for e in errors
    ]
    if messages:
        if kept:
            messages.append(_("The files listed as uploaded are kept; the others have to be chosen again."))
        else:
            messages.append(_("Everything else you typed is kept, but files are not: please choose them again."))
    return messages


def _storage_path(storage_name: str) -> Path:
    """The path of a stored file; ``FileNotFoundError`` for anything ``store`` could
    not have produced (path traversal, absolute paths, other extensions, …)."""
    if not isinstance(storage_name, str) or not _STORAGE_NAME_RE.match(storage_name):
        raise FileNotFoundError(storage_name)
    root = Path(current_app.config["UPLOAD_FOLDER"]).resolve()
    path = (root / storage_name).resolve()
    if not path.is_relative_to(root):  # a symlinked month folder, for instance
        raise FileNotFoundError(storage_name)
    return path


def open_stored(storage_name: str) -> Path:
    """The path of an existing stored file (for ``send_file``); ``FileNotFoundError``
    if it does not exist or the name is not a storage name."""
    path = _storage_path(storage_name)
    if not path.is_file():
        raise FileNotFoundError(storage_name)
    return path


def delete_stored(storage_name: str) -> None:
    """Remove a stored file; a file already gone is not an error, a name that is not a
    storage name is (``FileNotFoundError``)."""
    _storage_path(storage_name).unlink(missing_ok=True)


# --- the stash: files of a form sent back with an error ------------------------------


def _stash_path(stash_name: str) -> Path:
    """The path of a stashed file; ``FileNotFoundError`` for anything ``stash`` could
    not have produced."""
    if not isinstance(stash_name, str) or not _STASH_NAME_RE.match(stash_name):
        raise FileNotFoundError(stash_name)
    root = Path(current_app.config["UPLOAD_FOLDER"]).resolve()
    path = (root / stash_name).resolve()
    if not path.is_relative_to(root / STASH_FOLDER):
        raise FileNotFoundError(stash_name)
    return path


def unstash(stash_name: str) -> str:
    """Move a stashed file into this month's folder (a rename: the file is neither read
    nor decoded again); its new storage name.  ``FileNotFoundError`` when it is gone
    (taken by a concurrent submission of the same form, or expired)."""
    source = _stash_path(stash_name)
    month = utcnow().strftime("%Y-%m")
    folder = upload_root() / month
    folder.mkdir(mode=0o700, exist_ok=True)
    name = f"{month}/{secrets.token_hex(16)}{source.suffix}"
    target = upload_root() / name
    if target.exists():  # 128 random bits: never, but never overwrite either
        raise FileExistsError(name)
    os.rename(source, target)
    return name


def delete_stashed(stash_name: str) -> None:
    """Remove a stashed file; one already gone is not an error."""
    _stash_path(stash_name).unlink(missing_ok=True)
