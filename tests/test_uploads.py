"""Uploads (app/core/uploads.py): what is accepted is decided from the bytes, images are
re-encoded without their metadata, bombs and polyglots are refused, files are stored
privately under random names.  Every sample file is built here."""

from __future__ import annotations

import io
import os
import re
import stat
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from flask_babel import force_locale
from PIL import Image, PngImagePlugin
from werkzeug.datastructures import FileStorage

from app.core import uploads
from app.core.uploads import (
    StoredFile,
    UploadError,
    clean,
    delete_stored,
    inspect,
    open_stored,
    read_limited,
    store,
    validate_many,
)

MiB = 1024 * 1024
STORAGE_NAME_RE = re.compile(r"\A\d{4}-\d{2}/[0-9a-f]{32}\.[a-z]+\Z")


# --- samples -------------------------------------------------------------------------


def image_bytes(fmt: str, size=(40, 30), mode="RGB", color=(200, 30, 30), **save) -> bytes:
    img = Image.new(mode, size, color)
    out = io.BytesIO()
    img.save(out, format=fmt, **save)
    return out.getvalue()


def gps_jpeg() -> bytes:
    """A 40×30 JPEG, orientation 6 (turn 90° clockwise), GPS position and a comment."""
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 29.0)}  # GPSInfo
    return image_bytes("JPEG", exif=exif, comment=b"home address")


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def bilevel_png(width: int, height: int) -> bytes:
    """A valid all-black 1-bit PNG of any size, built row by row (a 20000×20000 one is
    a few tens of KB: the classic decompression bomb)."""
    row = b"\x00" + bytes((width + 7) // 8)  # filter byte "none" + packed pixels
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


CONTENT_TYPES_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/{part}" ContentType="{ctype}"/></Types>'
)
OOXML_PARTS = {
    "docx": ("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
    "pptx": ("ppt/presentation.xml", "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"),
}


def ooxml(ext="docx", extra: dict[str, bytes] | None = None, ctype: str | None = None) -> bytes:
    part, main_type = OOXML_PARTS[ext]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES_XML.format(part=part, ctype=ctype or main_type))
        zf.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        zf.writestr(part, f'<?xml version="1.0"?><root>{ext} sample text</root>')
        for name, payload in (extra or {}).items():
            zf.writestr(name, payload)
    return out.getvalue()


def compound_file(*entries: tuple[str, int]) -> bytes:
    """A minimal OLE2 compound file (v3, 512-byte sectors): sector 0 is the FAT,
    sector 1 the directory, holding a root entry and ``(name, type)`` entries
    (1 = storage, 2 = stream), every stream empty."""
    free, end, fat_sect = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
    header = bytearray(512)
    header[0:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIII", header, 44, 1, 1, 0, 4096)  # 1 FAT sector, directory at 1
    struct.pack_into("<IIII", header, 60, end, 0, end, 0)  # no mini FAT, no DIFAT sectors
    struct.pack_into("<109I", header, 76, 0, *([free] * 108))
    fat = struct.pack("<128I", fat_sect, end, *([free] * 126))

    def entry(name: str, kind: int) -> bytes:
        raw = bytearray(128)
        encoded = (name + "\0").encode("utf-16-le")
        raw[: len(encoded)] = encoded
        struct.pack_into("<HB", raw, 64, len(encoded), kind)
        struct.pack_into("<III", raw, 68, free, free, free)  # no siblings, no child
        struct.pack_into("<I", raw, 116, end)  # start sector of an empty stream
        return bytes(raw)

    directory = entry("Root Entry", 5) + b"".join(entry(name, kind) for name, kind in entries)
    directory = directory.ljust(512, b"\0")
    assert len(directory) == 512
    return bytes(header) + fat + directory


PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def file_storage(data: bytes, filename: str | None = "upload.bin") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=filename)


def refused(data: bytes) -> str:
    """The error code ``clean`` refuses ``data`` with (fails the test if accepted)."""
    with pytest.raises(UploadError) as info:
        clean(data)
    return info.value.code


@pytest.fixture
def upload_dir(app, tmp_path, monkeypatch):
    """An app context whose uploads go to a fresh folder under ``tmp_path``."""
    folder = tmp_path / "private" / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 5 * MiB)
    monkeypatch.setitem(app.config, "UPLOAD_MAX_FILES", 5)
    with app.test_request_context("/en/"):
        yield folder


# --- images --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "ext", "content_type", "pil_format"),
    [
        (image_bytes("JPEG"), "jpg", "image/jpeg", "JPEG"),
        (image_bytes("PNG"), "png", "image/png", "PNG"),
        (image_bytes("GIF", mode="P", color=3), "png", "image/png", "PNG"),  # GIF → PNG
        (image_bytes("WEBP"), "webp", "image/webp", "WEBP"),
    ],
    ids=["jpeg", "png", "gif", "webp"],
)
def test_images_are_accepted_and_re_encoded(data, ext, content_type, pil_format):
    out, kind, out_ext, out_type = clean(data)
    assert (kind, out_ext, out_type) == ("image", ext, content_type)
    with Image.open(io.BytesIO(out)) as img:
        assert img.format == pil_format
        assert img.size == (40, 30)


def test_inspect_names_the_source_format():
    assert inspect(image_bytes("GIF", mode="P", color=1)) == ("image", "gif", "image/gif")
    assert inspect(image_bytes("JPEG")) == ("image", "jpg", "image/jpeg")


def test_jpeg_loses_exif_gps_and_comment_but_keeps_its_orientation():
    data = gps_jpeg()
    with Image.open(io.BytesIO(data)) as original:  # the sample really carries them
        assert original.getexif().get_ifd(0x8825)[1] == "N"
        assert original.info["comment"] == b"home address"
        assert original.size == (40, 30)

    out, kind, ext, _ = clean(data)

    assert (kind, ext) == ("image", "jpg")
    with Image.open(io.BytesIO(out)) as img:
        assert img.size == (30, 40)  # turned upright from the Orientation tag
        assert dict(img.getexif()) == {}
        assert img.getexif().get_ifd(0x8825) == {}
        assert "exif" not in img.info and "comment" not in img.info
    assert b"Exif\x00\x00" not in out
    assert b"PhoneMaker" not in out and b"home address" not in out


def test_png_loses_text_chunks_exif_and_trailing_payload():
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Zhang San, Room 1203")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    data = image_bytes("PNG", pnginfo=info, exif=exif) + b"<script>alert(1)</script>"

    out, _, ext, _ = clean(data)

    assert ext == "png"
    assert b"Zhang San" not in out and b"PhoneMaker" not in out and b"<script>" not in out
    assert out.endswith(png_chunk(b"IEND", b""))
    with Image.open(io.BytesIO(out)) as img:
        assert "Author" not in img.info and "exif" not in img.info


def test_gif_with_html_appended_is_re_encoded_without_it():
    data = image_bytes("GIF", mode="P", color=5) + b"<html><script>alert(document.cookie)</script></html>"
    assert b"<script>" in data

    out, kind, ext, content_type = clean(data)

    assert (kind, ext, content_type) == ("image", "png", "image/png")
    assert b"<script>" not in out and b"<html>" not in out
    with Image.open(io.BytesIO(out)) as img:
        assert img.size == (40, 30)


def test_palette_transparency_survives_re_encoding():
    img = Image.new("P", (8, 8), 0)
    img.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    img.putpixel((0, 0), 1)
    out = io.BytesIO()
    img.save(out, format="GIF", transparency=1)

    cleaned, _, ext, _ = clean(out.getvalue())

    assert ext == "png"
    with Image.open(io.BytesIO(cleaned)) as result:
        rgba = result.convert("RGBA")
        assert rgba.getpixel((0, 0))[3] == 0  # transparent pixel stays transparent
        assert rgba.getpixel((1, 1)) == (255, 0, 0, 255)


@pytest.mark.parametrize(("fmt", "ext"), [("PNG", "png"), ("WEBP", "webp")])
def test_alpha_channel_survives_re_encoding(fmt, ext):
    img = Image.new("RGBA", (10, 10), (0, 0, 255, 0))
    img.putpixel((5, 5), (0, 255, 0, 255))
    out = io.BytesIO()
    img.save(out, format=fmt, **({"lossless": True} if fmt == "WEBP" else {}))

    cleaned, _, out_ext, _ = clean(out.getvalue())

    assert out_ext == ext
    with Image.open(io.BytesIO(cleaned)) as result:
        assert result.mode == "RGBA"
        assert result.getpixel((0, 0))[3] == 0
        assert result.getpixel((5, 5))[3] == 255


def test_cmyk_jpeg_is_stored_as_rgb():
    out, _, ext, _ = clean(image_bytes("JPEG", mode="CMYK", color=(0, 255, 255, 0)))
    assert ext == "jpg"
    with Image.open(io.BytesIO(out)) as img:
        assert img.mode == "RGB"
        red, green, blue = img.getpixel((20, 15))
        assert red > 200 and green < 60 and blue < 60


def test_png_decompression_bomb_is_refused():
    bomb = bilevel_png(20000, 20000)  # 400 megapixels
    assert len(bomb) < 200_000
    assert refused(bomb) == uploads.IMAGE_TOO_LARGE


def test_image_over_pillow_warning_threshold_is_refused():
    # 100 MP: above Pillow's warning limit (89 MP), below its error limit (179 MP).
    assert refused(bilevel_png(10000, 10000)) == uploads.IMAGE_TOO_LARGE


def test_image_just_over_our_pixel_limit_is_refused_and_just_under_accepted(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_IMAGE_PIXELS", 100 * 100)
    assert refused(bilevel_png(101, 100)) == uploads.IMAGE_TOO_LARGE
    out, _, ext, _ = clean(bilevel_png(100, 100))
    assert ext == "png"


def test_default_pixel_limit_refuses_42_megapixels():
    assert uploads.MAX_IMAGE_PIXELS == 25_000_000  # was 40 MP: issue 16's 39.7 MP PNGs got through
    assert refused(bilevel_png(7000, 6000)) == uploads.IMAGE_TOO_LARGE


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP"])
def test_truncated_images_are_refused(fmt):
    data = image_bytes(fmt, size=(300, 200), mode="P" if fmt == "GIF" else "RGB",
                       color=7 if fmt == "GIF" else (10, 20, 30))
    assert refused(data[: len(data) // 2]) == uploads.DAMAGED


def test_png_with_corrupt_checksum_is_refused():
    data = bytearray(image_bytes("PNG"))
    ihdr_crc = 8 + 8 + 13  # signature, IHDR length+type, IHDR data
    data[ihdr_crc] ^= 0xFF
    assert refused(bytes(data)) == uploads.DAMAGED


# --- refused types -------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(64) + b"This program cannot be run in DOS mode",
        b"\x7fELF\x02\x01\x01\x00" + bytes(56),
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"Just some plain text, saved as photo.png\n",
        b"#!/bin/sh\nrm -rf /\n",
        b"RIFF\x24\x00\x00\x00WAVEfmt ",  # RIFF, but not WebP
        b"\x00\x00\x00\x18ftypheic",  # HEIC: not accepted
    ],
    ids=["exe", "elf", "html", "svg", "svg-xml", "text", "script", "wav", "heic"],
)
def test_other_kinds_are_refused(data):
    assert refused(data) == uploads.TYPE


def test_svg_named_png_is_refused_whatever_its_name(upload_dir):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    with pytest.raises(UploadError) as info:
        store(file_storage(svg, "cat.png"))
    assert info.value.code == uploads.TYPE
    assert info.value.filename == "cat.png"
    assert not upload_dir.exists() or not any(upload_dir.rglob("*.*"))


def test_plain_zip_archive_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("setup.exe", b"MZ" + bytes(100))
    assert refused(out.getvalue()) == uploads.TYPE


def test_zip_with_content_types_but_no_office_part_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("payload/run.js", "alert(1)")
    assert refused(out.getvalue()) == uploads.TYPE


def test_empty_file_is_refused():
    assert refused(b"") == uploads.EMPTY


# --- PDF -----------------------------------------------------------------------------


def test_pdf_is_accepted_unchanged():
    assert inspect(PDF) == ("pdf", "pdf", "application/pdf")
    assert clean(PDF) == (PDF, "pdf", "pdf", "application/pdf")


@pytest.mark.parametrize("marker", [b"<html>", b"<HTML lang=en>", b"<Script>", b"<svg onload=x>"])
def test_pdf_html_polyglot_is_refused(marker):
    assert refused(b"%PDF-1.4\n%" + marker + b"\n" + PDF[9:]) == uploads.TYPE


def test_pdf_marker_beyond_first_kib_is_not_sniffed():
    late = b"%PDF-1.4\n" + b"%" + b"x" * 1100 + b"\n<html>\n" + PDF[9:]
    assert late.index(b"<html>") > 1024
    assert inspect(late)[0] == "pdf"
    early = b"%PDF-1.4\n" + b"%" + b"x" * 900 + b"\n<html>\n" + PDF[9:]
    assert early.index(b"<html>") < 1024 - len(b"<html>")
    assert refused(early) == uploads.TYPE


def test_pdf_header_must_be_at_the_start():
    assert refused(b"<html>" + PDF) == uploads.TYPE


# --- Office Open XML -----------------------------------------------------------------


@pytest.mark.parametrize("ext", ["docx", "xlsx", "pptx"])
def test_office_open_xml_is_accepted(ext):
    data = ooxml(ext)
    out, kind, out_ext, content_type = clean(data)
    assert out == data
    assert (kind, out_ext) == ("office", ext)
    assert content_type == uploads.CONTENT_TYPES[ext] and "openxmlformats" in content_type


def test_docm_with_vba_project_is_refused():
    assert refused(ooxml("docx", extra={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"})) == uploads.MACROS
    assert refused(ooxml("xlsx", extra={"xl/VBAPROJECT.BIN": b"macro"})) == uploads.MACROS


def test_macro_enabled_content_type_is_refused():
    data = ooxml("docx", ctype="application/vnd.ms-word.document.macroEnabled.main+xml")
    assert refused(data) == uploads.MACROS


def test_zip_bomb_member_is_refused():
    data = ooxml("docx", extra={"word/media/filler.bin": bytes(10 * MiB)})
    assert len(data) < 100_000  # 10 MB of zeros squeezed ~1000:1
    assert refused(data) == uploads.DOCUMENT_TOO_LARGE


def test_compression_ratio_boundary():
    # Exactly 100:1 passes; above refused.  A stored (uncompressed) member has ratio 1.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", os.urandom(1000))
    assert inspect(out.getvalue())[1] == "docx"

    info = zipfile.ZipFile(io.BytesIO(ooxml("docx", extra={"word/x.bin": bytes(2 * MiB)})))
    member = info.getinfo("word/x.bin")
    assert member.file_size > 100 * member.compress_size  # sanity check of the sample
    assert refused(ooxml("docx", extra={"word/x.bin": bytes(2 * MiB)})) == uploads.DOCUMENT_TOO_LARGE


def test_total_uncompressed_size_is_limited(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_ZIP_UNCOMPRESSED", 1 * MiB)
    # Random data barely compresses: the ratio check passes, the total does not.
    data = ooxml("xlsx", extra={f"xl/media/image{i}.bin": os.urandom(300_000) for i in range(4)})
    assert refused(data) == uploads.DOCUMENT_TOO_LARGE
    assert inspect(ooxml("xlsx", extra={"xl/media/image.bin": os.urandom(300_000)}))[1] == "xlsx"


def test_default_zip_limits():
    assert (uploads.MAX_ZIP_UNCOMPRESSED, uploads.MAX_ZIP_RATIO, uploads.MAX_ZIP_MEMBERS) == (50 * MiB, 100, 1000)


def test_too_many_zip_members_are_refused():
    base_members = 3  # [Content_Types].xml, _rels/.rels, the main part
    at_limit = ooxml("docx", extra={f"word/p{i}.xml": b"" for i in range(1000 - base_members)})
    assert inspect(at_limit)[1] == "docx"
    over = ooxml("docx", extra={f"word/p{i}.xml": b"" for i in range(1001 - base_members)})
    assert refused(over) == uploads.DOCUMENT_TOO_LARGE


def test_encrypted_zip_is_refused():
    # zipfile cannot write encrypted members: set the "encrypted" flag bit (bit 0 of
    # the general purpose flags) in every local and central header by hand.
    data = bytearray(ooxml("docx"))
    patched = 0
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        while start != -1:
            data[start + flags_at] |= 0x1
            patched += 1
            start = data.find(signature, start + 4)
    assert patched == 6  # 3 members × (local + central header)
    assert all(m.flag_bits & 0x1 for m in zipfile.ZipFile(io.BytesIO(bytes(data))).infolist())
    assert refused(bytes(data)) == uploads.DAMAGED


def test_truncated_zip_is_refused():
    data = ooxml("docx")
    assert refused(data[: len(data) - 30]) == uploads.DAMAGED


def test_zip_with_corrupt_member_data_is_refused():
    text = ("Lorem ipsum dolor sit amet " * 200).encode()
    data = bytearray(ooxml("docx", extra={"word/body.xml": text}))
    start = data.index(b"word/body.xml") + len("word/body.xml")  # its local header's data
    for i in range(start + 10, start + 40):
        data[i] ^= 0x5A
    assert refused(bytes(data)) == uploads.DAMAGED


# --- legacy Office (OLE2) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("stream", "ext", "content_type"),
    [
        ("WordDocument", "doc", "application/msword"),
        ("Workbook", "xls", "application/vnd.ms-excel"),
        ("PowerPoint Document", "ppt", "application/vnd.ms-powerpoint"),
    ],
)
def test_legacy_office_is_accepted(stream, ext, content_type):
    data = compound_file((stream, 2), ("\x05SummaryInformation", 2))
    assert clean(data) == (data, "office", ext, content_type)


def test_legacy_office_with_macros_is_refused():
    assert refused(compound_file(("WordDocument", 2), ("Macros", 1))) == uploads.MACROS
    assert refused(compound_file(("Workbook", 2), ("_VBA_PROJECT_CUR", 1))) == uploads.MACROS


def test_other_compound_files_are_refused():
    # An MSI installer is an OLE2 file too, as are Outlook messages.
    assert refused(compound_file(("\u4840\u3b3f\u4577\u446c\u3b6a", 2), ("\x05SummaryInformation", 2))) == uploads.TYPE
    assert refused(compound_file(("__substg1.0_0037001F", 2))) == uploads.TYPE


def test_ole2_header_without_a_readable_directory_is_refused():
    assert refused(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(100)) == uploads.DAMAGED
    broken = bytearray(compound_file(("WordDocument", 2)))
    struct.pack_into("<I", broken, 48, 5000)  # directory "beyond the end of the file"
    assert refused(bytes(broken)) == uploads.DAMAGED



def test_a_macro_storage_is_never_accepted_however_the_file_is_damaged():
    """Random bytes changed (and the end cut off) in compound files holding a macro
    storage, anywhere but in that storage's own name, name length and type: each is
    refused, as having macros or as damaged, never accepted.  The storage (the third
    directory entry, bytes 1280-1408, none of them in the tree) also counts when the
    file ends inside its entry."""
    import random

    rng = random.Random(18)
    samples = [compound_file(("WordDocument", 2), ("Macros", 1)), compound_file(("Workbook", 2), ("_VBA_PROJECT_CUR", 1))]
    kept = range(1280, 1280 + 67)  # the name (64 bytes), its length and the entry's type
    for _ in range(300):
        data = bytearray(rng.choice(samples))
        for _ in range(rng.randint(1, 6)):
            at = rng.choice([i for i in range(len(data)) if i not in kept])
            data[at] = rng.randrange(256)
        if rng.random() < 0.3:
            data = data[: rng.randrange(kept.stop, len(data))]
        assert refused(bytes(data)) in (uploads.MACROS, uploads.DAMAGED, uploads.TYPE)
    assert refused(compound_file(("Workbook", 2), ("_VBA_PROJECT_CUR", 1))[: kept.stop]) == uploads.MACROS

# --- reading with a limit ------------------------------------------------------------


def test_read_limited_accepts_exactly_the_limit():
    fs = file_storage(b"x" * 1000)
    assert read_limited(fs, 1000) == b"x" * 1000


def test_read_limited_refuses_one_byte_over_and_reads_no_further():
    stream = io.BytesIO(b"x" * 50_000)
    with pytest.raises(UploadError) as info:
        read_limited(FileStorage(stream=stream, filename="big.pdf"), 1000)
    assert info.value.code == uploads.TOO_BIG
    assert stream.tell() == 1001
    with pytest.raises(UploadError):
        read_limited(file_storage(b"x" * 1001), 1000)


def test_size_limit_comes_from_the_config(upload_dir, app, monkeypatch):
    assert uploads.max_upload_bytes() == 5 * MiB
    monkeypatch.delitem(app.config, "UPLOAD_MAX_BYTES")
    monkeypatch.delitem(app.config, "UPLOAD_MAX_FILES")
    assert (uploads.max_upload_bytes(), uploads.max_upload_files()) == (5 * MiB, 5)
    monkeypatch.setitem(app.config, "UPLOAD_MAX_FILES", 2)
    assert uploads.max_upload_files() == 2


def test_store_boundary_exactly_at_and_one_byte_over_the_limit(upload_dir, app, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 4096)
    exact = PDF + b"%" + b"p" * (4096 - len(PDF) - 2) + b"\n"
    assert len(exact) == 4096

    stored = store(file_storage(exact, "exact.pdf"))
    assert stored.size == 4096
    assert open_stored(stored.storage_name).read_bytes() == exact

    with pytest.raises(UploadError) as info:
        store(file_storage(exact + b"\n", "over.pdf"))
    assert info.value.code == uploads.TOO_BIG
    assert info.value.filename == "over.pdf"
    with force_locale("en"):
        assert str(info.value.message) == "The file is larger than 4 KB."
    assert len([p for p in upload_dir.rglob("*") if p.is_file()]) == 1  # only the first


# --- storing -------------------------------------------------------------------------


def test_store_writes_a_private_file_under_a_random_name(upload_dir, app):
    data = gps_jpeg()
    stored = store(file_storage(data, "IMG_0001.php"))

    assert isinstance(stored, StoredFile)
    assert STORAGE_NAME_RE.match(stored.storage_name), stored.storage_name
    assert stored.storage_name.endswith(".jpg")  # from the content, not from ".php"
    assert "IMG_0001" not in stored.storage_name
    assert (stored.kind, stored.content_type) == ("image", "image/jpeg")
    assert stored.original_name == "IMG_0001.php.jpg"

    path = open_stored(stored.storage_name)
    assert path == (upload_dir / stored.storage_name).resolve()
    assert path.is_relative_to(upload_dir.resolve())
    assert not path.resolve().is_relative_to(Path(app.static_folder).resolve())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(upload_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    content = path.read_bytes()
    assert stored.size == len(content)
    assert content != data and b"PhoneMaker" not in content  # the cleaned version
    assert re.fullmatch(r"\d{4}-\d{2}", path.parent.name)


def test_each_store_gets_a_new_name(upload_dir):
    names = {store(file_storage(PDF, "same.pdf")).storage_name for _ in range(3)}
    assert len(names) == 3


def test_gif_is_stored_as_png(upload_dir):
    stored = store(file_storage(image_bytes("GIF", mode="P", color=2), "anim.gif"))
    assert stored.storage_name.endswith(".png")
    assert (stored.content_type, stored.original_name) == ("image/png", "anim.png")


def test_upload_folder_inside_static_is_refused(upload_dir, app, monkeypatch):
    inside = Path(app.static_folder) / "uploads-test-should-not-exist"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(inside))
    with pytest.raises(RuntimeError):
        store(file_storage(PDF, "a.pdf"))
    assert not inside.exists()


@pytest.mark.parametrize(
    ("name", "ext", "expected"),
    [
        ("../../etc/passwd", "png", "passwd.png"),
        ("..\\..\\windows\\system32\\evil.pdf", "pdf", "evil.pdf"),
        ("C:\\Users\\Li\\照片.JPEG", "jpg", "照片.JPEG"),
        ("report\x00.pdf", "pdf", "report.pdf"),
        ("invoice\u202efdp.exe", "pdf", "invoicefdp.exe.pdf"),  # right-to-left override
        ("line\r\nbreak\t.docx", "docx", "linebreak.docx"),
        ("scan.jpeg", "png", "scan.png"),
        ("page.html", "pdf", "page.html.pdf"),
        ('a<b>:"c"|d?*.pdf', "pdf", "abcd.pdf"),
        (".htaccess", "pdf", "htaccess.pdf"),
        ("", "pdf", "attachment.pdf"),
        (None, "xlsx", "attachment.xlsx"),
        ("../..", "doc", "attachment.doc"),
        ("\x00\x01\x02", "png", "attachment.png"),
    ],
)
def test_original_names_are_sanitised(name, ext, expected):
    assert uploads.sanitize_filename(name, ext) == expected


def test_long_original_names_are_cut_to_120_characters():
    name = uploads.sanitize_filename("长" * 300 + ".pdf", "pdf")
    assert len(name) == 120
    assert name == "长" * 116 + ".pdf"


def test_stored_original_name_is_sanitised(upload_dir):
    stored = store(file_storage(PDF, "../../etc/pass\x00wd"))
    assert stored.original_name == "passwd.pdf"
    assert "/" not in stored.storage_name.split("/", 1)[1]


# --- several files -------------------------------------------------------------------


def test_validate_many_limits_the_count(upload_dir):
    files = [file_storage(PDF, f"f{i}.pdf") for i in range(6)]
    errors = validate_many(files)
    assert [e.code for e in errors] == [uploads.TOO_MANY]
    with force_locale("en"):
        assert str(errors[0].message) == "At most 5 files can be attached."
    assert validate_many(files[:5]) == []


def test_validate_many_ignores_empty_file_inputs(upload_dir):
    blanks = [FileStorage(stream=io.BytesIO(b""), filename="") for _ in range(4)]
    files = [file_storage(PDF, f"f{i}.pdf") for i in range(5)]
    assert validate_many(blanks + files) == []
    assert uploads.attached(blanks + files) == files
    # A named but empty file is not an empty input: it is refused.
    errors = validate_many([file_storage(b"", "empty.pdf")])
    assert [(e.code, e.filename) for e in errors] == [(uploads.EMPTY, "empty.pdf")]


def test_validate_many_reports_each_bad_file_and_rewinds_the_good_ones(upload_dir):
    good = file_storage(image_bytes("PNG"), "ok.png")
    files = [good, file_storage(b"MZ" + bytes(200), "setup.exe"),
             file_storage(ooxml("docx", extra={"word/vbaProject.bin": b"x"}), "m.docm")]
    errors = validate_many(files)
    assert [(e.code, e.filename) for e in errors] == [(uploads.TYPE, "setup.exe"), (uploads.MACROS, "m.docm")]
    stored = store(good)  # the stream was rewound: the whole file is read again
    assert stored.kind == "image" and stored.size > 0


# --- reading back and deleting -------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["../x", "../../etc/passwd", "/etc/passwd", "2025-01/../../x", "2025-01/" + "a" * 32 + ".exe",
     "2025-01/" + "A" * 32 + ".pdf", "2025-01\\" + "a" * 32 + ".pdf", "", "./2025-01/" + "a" * 32 + ".pdf"],
)
def test_open_stored_refuses_names_store_cannot_make(upload_dir, name):
    # Make every one of those names point at a real file, so that only the name
    # check can refuse it.
    (upload_dir / "2025-01").mkdir(parents=True)
    (upload_dir.parent / "x").write_text("secret")
    for planted in ("a" * 32 + ".exe", "A" * 32 + ".pdf", "a" * 32 + ".pdf"):
        (upload_dir / "2025-01" / planted).write_bytes(PDF)
    (upload_dir / ("2025-01\\" + "a" * 32 + ".pdf")).write_bytes(PDF)
    if name.startswith(("2025", "./")):
        assert (upload_dir / name).exists()
    with pytest.raises(FileNotFoundError):
        open_stored(name)
    with pytest.raises(FileNotFoundError):
        delete_stored(name)
    assert (upload_dir.parent / "x").read_text() == "secret"


def test_open_stored_refuses_a_well_formed_but_missing_name(upload_dir):
    with pytest.raises(FileNotFoundError):
        open_stored("2025-01/" + "0" * 32 + ".pdf")


def test_open_stored_refuses_a_symlink_out_of_the_folder(upload_dir, tmp_path):
    upload_dir.mkdir(parents=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / ("b" * 32 + ".pdf")).write_bytes(PDF)
    (upload_dir / "2025-02").symlink_to(outside)
    with pytest.raises(FileNotFoundError):
        open_stored("2025-02/" + "b" * 32 + ".pdf")


def test_delete_stored_removes_the_file(upload_dir):
    stored = store(file_storage(PDF, "a.pdf"))
    path = open_stored(stored.storage_name)
    delete_stored(stored.storage_name)
    assert not path.exists()
    delete_stored(stored.storage_name)  # already gone: no error
    with pytest.raises(FileNotFoundError):
        open_stored(stored.storage_name)


# --- messages ------------------------------------------------------------------------


def test_messages_are_the_english_msgids(upload_dir):
    expected = {
        uploads.TYPE: "This type of file is not accepted. Please attach an image (JPEG, PNG, GIF, "
                      "WebP), a PDF or an Office document.",
        uploads.EMPTY: "The file is empty.",
        uploads.DAMAGED: "The file appears to be damaged and cannot be read.",
        uploads.IMAGE_TOO_LARGE: "The image is too large to process.",
        uploads.DOCUMENT_TOO_LARGE: "The document is too large to process.",
        uploads.MACROS: "Office documents with macros are not accepted.",
    }
    with force_locale("en"):
        assert {code: str(UploadError(code).message) for code in expected} == expected
        assert str(uploads._too_big(5 * MiB).message) == "The file is larger than 5 MB."


def test_format_size():
    assert [uploads.format_size(n) for n in (5 * MiB, 1536, 1024, 999, int(2.5 * MiB))] == [
        "5 MB", "1.5 KB", "1 KB", "999 B", "2.5 MB"]
