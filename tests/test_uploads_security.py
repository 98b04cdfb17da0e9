"""Issue 16, item 9: large valid images cannot tie up a worker.

Pixel caps per file and per request are checked from the image headers before anything
is decoded; each accepted image is decoded once (validation and storage share it) and
re-encoded within a bounded size.  No test asserts a duration: "refused before any
decoding" is shown by making Pillow's decoders fail (or counting them) instead."""

from __future__ import annotations

import io
import re

import pytest
from flask_babel import force_locale
from PIL import Image, ImageFile

from app.core import uploads
from app.core.uploads import UploadError, clean, store, validate_many
from tests.conftest import csrf_from, text_of
from tests.test_intake import count_requests, file_request, form_values, guide  # noqa: F401  (fixture)
from tests.test_uploads import bilevel_png, file_storage, gps_jpeg, image_bytes

MiB = 1024 * 1024


@pytest.fixture
def upload_dir(app, tmp_path, monkeypatch):
    folder = tmp_path / "private" / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    with app.test_request_context("/en/"):
        yield folder


@pytest.fixture
def decodes(monkeypatch):
    """How many times Pillow created a decoder (one per full decode of an image)."""
    calls = []
    original = Image._getdecoder

    def counting(*args, **kwargs):
        calls.append(args[:2])
        return original(*args, **kwargs)

    monkeypatch.setattr(Image, "_getdecoder", counting)
    return calls


@pytest.fixture
def no_decoding(monkeypatch, decodes):
    """Any attempt to decode an image's pixels fails the request loudly."""

    def refuse(self, *args, **kwargs):
        raise AssertionError("an image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    return decodes


def _stored_files(folder):
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


# --- per file ------------------------------------------------------------------------


def test_a_6300_px_png_is_refused_from_its_header_with_the_file_and_the_limit(app, client, guide, tmp_path, monkeypatch, no_decoding):  # noqa: F811
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    big = bilevel_png(6300, 6300)  # a valid PNG, 39.7 megapixels once decoded
    data = dict(form_values(client), description="十二楼卫生间漏水，已经三天了，请尽快来看看。",
                attachments=[(io.BytesIO(big), "漏水.png")])
    response = client.post("/zh/requests/new", data=data)
    text = text_of(response)
    assert response.status_code == 422
    assert "照片 漏水.png 太大：6300×6300 像素，上限 25 百万像素。" in text
    assert "请重新选择文件" in text  # the files are the one thing not kept
    assert "十二楼卫生间漏水，已经三天了，请尽快来看看。" in text and "王小明" in response.get_data(as_text=True)
    assert no_decoding == []
    assert count_requests(app) == 0 and _stored_files(tmp_path / "uploads") == []


def test_the_per_file_message_in_english_and_without_a_name(upload_dir, no_decoding):
    errors = validate_many([file_storage(bilevel_png(6300, 6300), "flood.png")])
    with force_locale("en"):
        assert [str(e.message) for e in errors] == [
            "The photo flood.png is too large: 6300×6300 pixels; at most 25 megapixels are accepted."]
        with pytest.raises(UploadError) as info:
            clean(bilevel_png(6300, 6300))
        assert str(info.value.message) == "The photo is too large: 6300×6300 pixels; at most 25 megapixels are accepted."
    assert info.value.code == uploads.IMAGE_TOO_LARGE
    assert no_decoding == []


def test_the_per_file_cap_comes_from_the_config_and_pillow_agrees(upload_dir, app, monkeypatch, no_decoding):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)  # restored afterwards
    monkeypatch.setitem(app.config, "UPLOAD_MAX_PIXELS", 1_000_000)
    errors = validate_many([file_storage(bilevel_png(1001, 1000), "scan.png")])
    assert [e.code for e in errors] == [uploads.IMAGE_TOO_LARGE]
    with force_locale("en"):
        assert "at most 1 megapixels" in str(errors[0].message)
    assert Image.MAX_IMAGE_PIXELS == 1_000_000  # Pillow's own bomb check uses the same cap


def test_store_alone_refuses_from_the_header_too(upload_dir, no_decoding):
    # The wish wall's "fulfilled" photo goes straight to store().
    with pytest.raises(UploadError) as info:
        store(file_storage(bilevel_png(6300, 6300), "done.png"))
    with force_locale("zh"):
        assert str(info.value.message) == "照片 done.png 太大：6300×6300 像素，上限 25 百万像素。"
    assert _stored_files(upload_dir) == []


# --- per request ---------------------------------------------------------------------


def test_five_images_each_allowed_but_too_many_pixels_together_are_refused(app, client, guide, tmp_path, monkeypatch, no_decoding):  # noqa: F811
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    each = bilevel_png(4500, 4000)  # 18 MP: under the 25 MP per-file cap; five are 90 MP
    files = [(io.BytesIO(each), f"图{i}.png") for i in range(1, 6)]
    response = client.post("/zh/requests/new", data=dict(form_values(client), attachments=files))
    text = text_of(response)
    assert response.status_code == 422
    assert "所附照片合计 90 百万像素，一次最多 80 百万像素。请少附几张或改用较小的照片。" in text
    assert "请重新选择文件" in text
    assert no_decoding == []
    assert count_requests(app) == 0 and _stored_files(tmp_path / "uploads") == []


def test_per_request_cap_in_english_and_from_the_config(upload_dir, app, monkeypatch, decodes):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_PIXELS_PER_REQUEST", 2_000_000)
    files = [file_storage(bilevel_png(1000, 1000), f"p{i}.png") for i in range(3)]
    errors = validate_many(files)
    assert [e.code for e in errors] == [uploads.TOO_MANY_PIXELS]
    with force_locale("en"):
        assert str(errors[0].message) == (
            "Together the photos have 3 megapixels; at most 2 megapixels can be sent at once. "
            "Please attach fewer or smaller photos.")
    assert decodes == []  # refused before any image was decoded
    # Two of them fit: nothing is refused, and each is decoded once.
    assert validate_many(files[:2]) == []
    assert len(decodes) == 2


def test_the_add_information_form_has_the_same_caps(app, client, guide, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    number, _code, _ = file_request(client)
    page = client.get(f"/zh/requests/{number}").get_data(as_text=True)

    def refuse(self, *args, **kwargs):
        raise AssertionError("an image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    response = client.post(f"/zh/requests/{number}/info", data={
        "csrf_token": csrf_from(page), "body": "补充两张现场照片。",
        "attachments": [(io.BytesIO(bilevel_png(6300, 6300)), "现场.png")]})
    assert response.status_code == 422
    text = text_of(response)
    assert "照片 现场.png 太大：6300×6300 像素" in text and "请重新选择文件" in text
    assert "补充两张现场照片。" in text


# --- accepted images: decoded once, re-encoded, shown --------------------------------


def _gps_photo(size=(1600, 1200)) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: turn 90° clockwise
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 29.0, 0.0)}
    return image_bytes("JPEG", size=size, exif=exif, comment=b"home address")


def test_a_normal_photo_is_decoded_once_re_encoded_without_exif_and_shown(app, client, guide, tmp_path, monkeypatch, decodes):  # noqa: F811
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    raw = _gps_photo()
    assert b"Exif" in raw
    number, _code, _ = file_request(client, attachments=(io.BytesIO(raw), "门口积水.jpg"))
    assert len(decodes) == 1  # validated and stored from one decode
    html = client.get(f"/zh/requests/{number}").get_data(as_text=True)
    assert "门口积水.jpg" in html
    link = re.search(r'href="(/zh/requests/' + number + r'/files/\d+)(?:\?view=1)?"', html).group(1)
    served = client.get(link)
    assert served.status_code == 200 and served.data[:3] == b"\xff\xd8\xff"
    assert b"Exif" not in served.data and b"home address" not in served.data
    with Image.open(io.BytesIO(served.data)) as img:
        assert img.size == (1200, 1600)  # turned upright, not downscaled


def test_each_image_of_a_form_is_decoded_once(upload_dir, decodes):
    files = [file_storage(image_bytes("PNG", size=(300, 200)), "a.png"),
             file_storage(gps_jpeg(), "b.jpg"),
             file_storage(image_bytes("GIF", size=(50, 40), mode="P", color=3), "c.gif")]
    assert validate_many(files) == []
    stored = [store(f) for f in files]
    assert [s.content_type for s in stored] == ["image/png", "image/jpeg", "image/png"]
    assert len(decodes) == 3


def test_the_add_information_form_decodes_once(app, client, guide, tmp_path, monkeypatch, decodes):  # noqa: F811
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    number, _code, _ = file_request(client)
    page = client.get(f"/zh/requests/{number}").get_data(as_text=True)
    response = client.post(f"/zh/requests/{number}/info", data={
        "csrf_token": csrf_from(page), "body": "补充一张现场照片。",
        "attachments": [(io.BytesIO(image_bytes("PNG", size=(640, 480))), "现场.png")]})
    assert response.status_code == 303
    assert len(decodes) == 1
    assert "现场.png" in client.get(f"/zh/requests/{number}").get_data(as_text=True)


def test_big_images_are_stored_at_most_at_the_stored_pixel_cap_keeping_their_shape(upload_dir, app, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_STORED_PIXELS", 200 * 200)
    tall = store(file_storage(image_bytes("PNG", size=(100, 1600)), "chat.png"))  # a long screenshot
    with Image.open(uploads.open_stored(tall.storage_name)) as img:
        assert img.size[0] * img.size[1] <= 200 * 200
        assert img.size[1] == 16 * img.size[0] or abs(img.size[1] / img.size[0] - 16) < 0.2
        assert img.size[1] > 700  # still tall enough to read: no long-side cap
    small = store(file_storage(image_bytes("PNG", size=(150, 150)), "small.png"))
    with Image.open(uploads.open_stored(small.storage_name)) as img:
        assert img.size == (150, 150)  # under the cap: untouched


def test_a_large_jpeg_is_reduced_while_it_is_decoded(upload_dir, app, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_STORED_PIXELS", 100 * 100)
    decoded_sizes = []
    original = ImageFile.ImageFile.load

    def load(self):
        if self.tile:
            decoded_sizes.append(self.size)
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    stored = store(file_storage(image_bytes("JPEG", size=(800, 800)), "photo.jpg"))
    assert decoded_sizes == [(100, 100)]  # JPEG draft: decoded at 1/8 scale, not at 800×800
    with Image.open(uploads.open_stored(stored.storage_name)) as img:
        assert img.size == (100, 100)
