"""Attachments sent through the public intake form: validation and private storage.

What a file *is* is decided from its bytes alone; the name and the content type sent by
the browser are never trusted.  Accepted:

* images (JPEG, PNG, GIF, WebP), always decoded and re-encoded with Pillow, so that
  EXIF/GPS/XMP, comments and anything appended after the image data are dropped;
* PDF (refused when its first KiB also looks like HTML/SVG: a polyglot);
* Office Open XML (docx, xlsx, pptx), checked as a ZIP: no macros, no zip bomb;
* legacy Office (doc, xls, ppt), checked as an OLE2 compound file: its directory must
  hold a Word, Excel or PowerPoint stream and no VBA storage (this refuses MSI
  installers, Outlook messages and other compound files).

Files are stored under ``UPLOAD_FOLDER`` (never under ``static/``) as
``YYYY-MM/<32 hex>.<ext>``: the extension comes from the detected kind and the user's
filename is kept only as (sanitised) metadata.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import struct
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps
from werkzeug.datastructures import FileStorage

from .timeutil import utcnow

MiB = 1024 * 1024
DEFAULT_MAX_BYTES = 5 * MiB
DEFAULT_MAX_FILES = 5
# Largest image decoded, in pixels (a 40 MP photo is about 160 MB of RGBA in memory).
MAX_IMAGE_PIXELS = 40_000_000
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
_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # legacy Office: a compound file
# Other spellings of an extension that an original filename may keep as they are.
_EXT_ALIASES = {"jpg": {"jpg", "jpeg", "jpe", "jfif"}}

# A stored name, exactly as ``store`` makes it; anything else is refused by
# ``open_stored``/``delete_stored`` before the file system is touched.
_STORAGE_NAME_RE = re.compile(
    r"\A\d{4}-\d{2}/[0-9a-f]{32}\.(?:" + "|".join(sorted(CONTENT_TYPES)) + r")\Z"
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


@dataclass(frozen=True)
class StoredFile:
    storage_name: str  # relative POSIX path under UPLOAD_FOLDER, e.g. "2025-01/<hex>.jpg"
    original_name: str  # sanitised, for display and downloads only
    content_type: str
    size: int
    kind: str  # KIND_IMAGE, KIND_PDF or KIND_OFFICE


# --- configuration -----------------------------------------------------------------


def max_upload_bytes() -> int:
    """Largest accepted file, in bytes (``UPLOAD_MAX_BYTES``, default 5 MiB)."""
    return int(current_app.config.get("UPLOAD_MAX_BYTES") or DEFAULT_MAX_BYTES)


def max_upload_files() -> int:
    """Most files one form may carry (``UPLOAD_MAX_FILES``, default 5)."""
    return int(current_app.config.get("UPLOAD_MAX_FILES") or DEFAULT_MAX_FILES)


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

    Office files are checked completely here (macros, zip bombs, damage); images are
    only recognised by their signature: ``clean`` decodes them.
    """
    if not data:
        raise UploadError(EMPTY)
    if data.startswith(b"\xff\xd8\xff"):
        return KIND_IMAGE, "jpg", CONTENT_TYPES["jpg"]
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return KIND_IMAGE, "png", CONTENT_TYPES["png"]
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return KIND_IMAGE, "gif", CONTENT_TYPES["gif"]
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return KIND_IMAGE, "webp", CONTENT_TYPES["webp"]
    if data.startswith(b"%PDF-"):
        head = data[:PDF_SNIFF_BYTES].lower()
        if any(marker in head for marker in (b"<html", b"<script", b"<svg")):
            raise UploadError(TYPE)  # a PDF that a browser could also render as HTML/SVG
        return KIND_PDF, "pdf", CONTENT_TYPES["pdf"]
    if data.startswith(b"PK\x03\x04"):
        ext = _inspect_ooxml(data)
        return KIND_OFFICE, ext, CONTENT_TYPES[ext]
    if data.startswith(_OLE_MAGIC):
        ext = _inspect_ole(data)
        return KIND_OFFICE, ext, CONTENT_TYPES[ext]
    raise UploadError(TYPE)


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


# OLE2 / Compound File Binary (MS-CFB): just enough to list the directory entries.
_ENDOFCHAIN = 0xFFFFFFFE
_MAX_REGULAR_SECTOR = 0xFFFFFFFA
_OLE_MACRO_STORAGES = {"macros", "_vba_project_cur", "vba"}
_OLE_MAIN_STREAMS = (("worddocument", "doc"), ("workbook", "xls"), ("book", "xls"),
                     ("powerpoint document", "ppt"))


def _inspect_ole(data: bytes) -> str:
    """``doc``, ``xls`` or ``ppt`` for an acceptable legacy Office compound file."""
    try:
        names = _ole_directory_names(data)
    except (struct.error, IndexError, ValueError):
        raise UploadError(DAMAGED) from None
    if names & _OLE_MACRO_STORAGES:
        raise UploadError(MACROS)
    for stream, ext in _OLE_MAIN_STREAMS:
        if stream in names:
            return ext
    # MSI installers, Outlook messages, encrypted OOXML packages, Thumbs.db, …
    raise UploadError(TYPE)


def _ole_directory_names(data: bytes) -> set[str]:
    """The lower-cased names of every entry of a compound file's directory.

    Raises ``ValueError`` (or ``struct.error``/``IndexError``) for a malformed file.
    Every chain is bounded by the number of sectors in ``data``, so loops terminate.
    """
    if len(data) < 512:
        raise ValueError("truncated header")
    shift = struct.unpack_from("<H", data, 30)[0]
    if struct.unpack_from("<H", data, 28)[0] != 0xFFFE or shift not in (9, 12):
        raise ValueError("bad header")
    sector_size = 1 << shift
    sector_count = (len(data) + sector_size - 1) // sector_size  # upper bound for chains
    per_sector = sector_size // 4

    def sector(index: int) -> bytes:
        if index > _MAX_REGULAR_SECTOR:
            raise ValueError("bad sector index")
        start = (index + 1) << shift
        chunk = data[start:start + sector_size]
        if len(chunk) < sector_size:
            # The last sector of a file may be short; anything else is truncation.
            if start >= len(data):
                raise ValueError("sector beyond end of file")
            chunk = chunk.ljust(sector_size, b"\0")
        return chunk

    # The FAT sectors: 109 listed in the header, then a chain of DIFAT sectors.
    num_fat, first_dir = struct.unpack_from("<II", data, 44)
    first_difat, num_difat = struct.unpack_from("<II", data, 68)
    if num_fat > sector_count or num_difat > sector_count:
        raise ValueError("bad counts")
    fat_sectors = list(struct.unpack_from("<109I", data, 76))
    difat = first_difat
    for _ in range(num_difat):
        if difat == _ENDOFCHAIN:
            break
        entries = struct.unpack(f"<{per_sector}I", sector(difat))
        fat_sectors.extend(entries[:-1])
        difat = entries[-1]
    fat: list[int] = []
    for index in fat_sectors[:num_fat]:
        fat.extend(struct.unpack(f"<{per_sector}I", sector(index)))

    names: set[str] = set()
    current = first_dir
    for _ in range(sector_count):
        if current == _ENDOFCHAIN:
            break
        block = sector(current)
        for offset in range(0, sector_size, 128):
            name_len = struct.unpack_from("<H", block, offset + 64)[0]
            kind = block[offset + 66]
            if kind in (1, 2, 5) and 2 <= name_len <= 64:  # storage, stream, root
                names.add(block[offset:offset + name_len - 2].decode("utf-16-le", "replace").lower())
        current = fat[current]
    else:
        raise ValueError("directory chain does not end")
    if not names:
        raise ValueError("empty directory")
    return names


# --- cleaning ------------------------------------------------------------------------


def clean(data: bytes) -> tuple[bytes, str, str, str]:
    """``(bytes, kind, extension, content_type)`` to store for an upload.

    Images come back re-encoded (GIF as PNG), other kinds unchanged once ``inspect``
    has accepted them.
    """
    kind, ext, content_type = inspect(data)
    if kind != KIND_IMAGE:
        return data, kind, ext, content_type
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
    if width * height > MAX_IMAGE_PIXELS:
        raise UploadError(IMAGE_TOO_LARGE)


def _reencode_image(data: bytes, ext: str) -> tuple[bytes, str, str, str]:
    source_format, out_ext = _IMAGE_FORMATS[ext]
    try:
        # First open: header only, size check, then ``verify`` (checksums, structure).
        # Pillow's own bomb check runs inside ``open``: it raises
        # DecompressionBombError, or warns with DecompressionBombWarning, which is an
        # exception wherever warnings are errors (the test suite).
        with Image.open(io.BytesIO(data), formats=[source_format]) as probe:
            _check_pixels(probe.size)
            probe.verify()
        # ``verify`` leaves the image unusable: open again and decode for real.
        with Image.open(io.BytesIO(data), formats=[source_format]) as img:
            _check_pixels(img.size)
            img.load()  # a truncated file fails here (LOAD_TRUNCATED_IMAGES is off)
            picture = _upright(img)
            kept = {key: img.info[key] for key in _KEPT_IMAGE_INFO if key in img.info}
        saveable = _to_saveable_mode(picture, out_ext, "transparency" in kept)
        if saveable is not picture:
            kept.pop("transparency", None)  # now in the alpha channel (or not applicable)
        picture = saveable
        picture.info = kept  # replaces everything the decoder read
        out = io.BytesIO()
        if out_ext == "jpg":
            picture.save(out, format="JPEG", quality=85)
        elif out_ext == "png":
            picture.save(out, format="PNG", optimize=True)
        else:
            picture.save(out, format="WEBP", quality=85)
    except UploadError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadError(IMAGE_TOO_LARGE) from None
    except Exception as exc:  # any decoder failure (OSError, SyntaxError, struct.error, …)
        raise UploadError(DAMAGED) from exc
    return out.getvalue(), KIND_IMAGE, out_ext, CONTENT_TYPES[out_ext]


def _upright(img: Image.Image) -> Image.Image:
    """A copy of ``img`` turned as its EXIF orientation says.  Broken EXIF is no reason
    to refuse a photo whose pixels decoded fine: it is then kept as stored."""
    try:
        return ImageOps.exif_transpose(img)
    except Exception:
        return img.copy()


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


def store(file_storage: FileStorage) -> StoredFile:
    """Validate one upload and write it under ``UPLOAD_FOLDER``; ``UploadError`` if
    it is refused (nothing is written then)."""
    try:
        data = read_limited(file_storage, max_upload_bytes())
        cleaned, kind, ext, content_type = clean(data)
    except UploadError as exc:
        exc.filename = _display_name(file_storage)
        raise
    root = upload_root()
    month = utcnow().strftime("%Y-%m")
    folder = root / month
    folder.mkdir(mode=0o700, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{ext}"
    path = folder / name
    # O_EXCL: never overwrite (nor follow a planted symlink); 0600: owner only.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(cleaned)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return StoredFile(
        storage_name=f"{month}/{name}",
        original_name=sanitize_filename(file_storage.filename, ext),
        content_type=content_type,
        size=len(cleaned),
        kind=kind,
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


def validate_many(file_storages: Iterable[FileStorage]) -> list[UploadError]:
    """Every problem with a form's attachments, for showing on the form.

    More than ``UPLOAD_MAX_FILES`` is one error (the files are not read); otherwise
    each file is read and cleaned like ``store`` does, and its stream rewound, so that
    ``store`` can be called afterwards.  An empty list means everything is acceptable.
    """
    files = attached(file_storages)
    limit = max_upload_files()
    if len(files) > limit:
        return [UploadError(TOO_MANY, _l("At most %(count)d files can be attached.", count=limit))]
    errors: list[UploadError] = []
    for fs in files:
        stream = fs.stream
        try:
            start = stream.tell() if stream.seekable() else None
        except (AttributeError, OSError, ValueError):
            start = None
        try:
            data = read_limited(fs, max_upload_bytes())
            if start is None:
                fs.stream = io.BytesIO(data)  # cannot rewind: keep what was read
            clean(data)
        except UploadError as exc:
            exc.filename = _display_name(fs)
            errors.append(exc)
        finally:
            if start is not None:
                stream.seek(start)
    return errors


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
