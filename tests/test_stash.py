"""Issue 17, item 2: an attached file survives a form sent back with an error (HTTP 422).

The files of a form that fails on another field are kept in a private, short-lived stash
bound to the form's submission key AND the sending session (app/intake/stash.py), listed
back with a "Remove" button (no JS: a submit button; htmx: a small request), counted
against the per-form caps, moved to the request when it is filed, and removed by
``purge-personal-data`` once expired."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.timeutil import utcnow
from app.extensions import db
from app.intake.models import RequestAttachment, ServiceRequest, StashedUpload
from tests.conftest import csrf_from, text_of
from tests.test_intake import count_requests, form_values, guide  # noqa: F401  (fixture)
from tests.test_uploads import image_bytes

CHOOSE_AGAIN = "请重新选择文件"


@pytest.fixture
def folder(app, tmp_path, monkeypatch):
    path = tmp_path / "private" / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(path))
    return path


def _photo(name="电梯.jpg", size=(320, 240)):
    return (io.BytesIO(image_bytes("JPEG", size=size)), name)


def _stash_rows(app) -> list[StashedUpload]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(StashedUpload).order_by(StashedUpload.id)))
        db.session.expunge_all()
        return rows


def _stash_files(folder) -> list:
    stash = folder / "stash"
    return sorted(p.name for p in stash.iterdir()) if stash.is_dir() else []


def _send_with_error(client, values, **files):
    """The form with the name left empty (a required field) and ``files``."""
    data = dict(values, contact_name="", **files)
    return client.post("/zh/requests/new", data=data)


def test_a_photo_survives_a_422_and_is_filed_with_the_request(app, client, guide, folder):  # noqa: F811
    values = form_values(client)
    response = _send_with_error(client, values, attachments=[_photo()])
    assert response.status_code == 422
    text = text_of(response)
    assert "请填写您的姓名" in text or "姓名" in text
    assert "电梯.jpg 已上传 · 删除" in text  # listed back, with its remove button
    assert CHOOSE_AGAIN not in text  # nothing was refused: no "choose them again"
    assert len(_stash_files(folder)) == 1 and len(_stash_rows(app)) == 1
    assert count_requests(app) == 0
    # The same form, the name filled in, no file chosen again.
    response = client.post("/zh/requests/new", data=dict(values))
    assert response.status_code == 303, text_of(response)[:400]
    with app.app_context():
        req = db.session.scalar(sa.select(ServiceRequest))
        names = [(a.original_name, a.content_type) for a in req.attachments]
        storage = [a.storage_name for a in req.attachments]
    assert names == [("电梯.jpg", "image/jpeg")]
    assert re.match(r"\d{4}-\d{2}/[0-9a-f]{32}\.jpg$", storage[0]) and (folder / storage[0]).is_file()
    assert _stash_rows(app) == [] and _stash_files(folder) == []  # moved, and the stash is gone
    # The requester's page lists it.
    number = req.tracking_no
    page = text_of(client.get(f"/zh/requests/{number}"))
    assert "电梯.jpg" in page


def test_english_wording_and_a_second_photo_added_after_the_error(app, client, guide, folder):  # noqa: F811
    values = form_values(client, "en")
    values["reply_lang"] = "en"
    response = client.post("/en/requests/new", data=dict(values, contact_name="", attachments=[_photo("elevator.jpg")]))
    assert response.status_code == 422
    assert "elevator.jpg uploaded · Remove" in text_of(response)
    # Still wrong (no phone), with one more photo: both are listed.
    response = client.post("/en/requests/new", data=dict(values, phone="", attachments=[_photo("stairs.jpg")]))
    assert response.status_code == 422
    text = text_of(response)
    assert "elevator.jpg uploaded · Remove" in text and "stairs.jpg uploaded · Remove" in text
    assert "2 files are attached already" in text
    response = client.post("/en/requests/new", data=values)
    assert response.status_code == 303
    with app.app_context():
        assert sorted(db.session.scalars(sa.select(RequestAttachment.original_name))) == ["elevator.jpg", "stairs.jpg"]


def test_remove_without_js_re_renders_and_the_file_is_not_filed(app, client, guide, folder):  # noqa: F811
    values = form_values(client)
    _send_with_error(client, values, attachments=[_photo("电梯.jpg"), _photo("楼道.jpg")])
    first, second = _stash_rows(app)
    # The "删除" button is a submit button of the same form: the whole form comes back.
    response = client.post("/zh/requests/new", data=dict(values, remove_stashed=str(first.id)))
    assert response.status_code == 200
    text = text_of(response)
    assert "电梯.jpg 已上传" not in text and "楼道.jpg 已上传 · 删除" in text
    assert "王小明" in response.get_data(as_text=True)  # what was typed is kept
    assert count_requests(app) == 0  # a remove never files
    assert [r.id for r in _stash_rows(app)] == [second.id] and len(_stash_files(folder)) == 1
    assert client.post("/zh/requests/new", data=values).status_code == 303
    with app.app_context():
        assert list(db.session.scalars(sa.select(RequestAttachment.original_name))) == ["楼道.jpg"]


def test_remove_with_htmx_answers_the_list_only(app, client, guide, folder):  # noqa: F811
    values = form_values(client)
    page = _send_with_error(client, values, attachments=[_photo()]).get_data(as_text=True)
    assert 'data-hx-post="/zh/requests/new/stashed"' in page and 'name="remove_stashed"' in page
    (row,) = _stash_rows(app)
    response = client.post("/zh/requests/new/stashed", headers={"HX-Request": "true"}, data={
        "csrf_token": values["csrf_token"], "submission_key": values["submission_key"], "remove_stashed": str(row.id)})
    assert response.status_code == 200
    text = text_of(response)
    assert "文件已删除" in text and "电梯.jpg" not in text and "<form" not in response.get_data(as_text=True)
    assert _stash_rows(app) == [] and _stash_files(folder) == []


def test_another_session_with_the_same_key_cannot_see_remove_or_file_the_stash(app, guide, folder):  # noqa: F811
    owner, other = app.test_client(), app.test_client()
    values = form_values(owner)
    _send_with_error(owner, values, attachments=[_photo()])
    (row,) = _stash_rows(app)
    # Someone else who learnt the key (it is in the page's HTML) sends it with their own session.
    theirs = dict(form_values(other), submission_key=values["submission_key"])
    response = other.post("/zh/requests/new", data=dict(theirs, contact_name=""))
    assert response.status_code == 422 and "电梯.jpg" not in text_of(response)
    response = other.post("/zh/requests/new/stashed", headers={"HX-Request": "true"}, data={
        "csrf_token": theirs["csrf_token"], "submission_key": values["submission_key"], "remove_stashed": str(row.id)})
    assert "电梯.jpg" not in text_of(response)
    response = other.post("/zh/requests/new", data=dict(theirs, remove_stashed=str(row.id)))
    assert "电梯.jpg" not in text_of(response)
    assert [r.id for r in _stash_rows(app)] == [row.id]  # still there
    # Filing with the key: a request, but without the owner's photo.
    assert other.post("/zh/requests/new", data=theirs).status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RequestAttachment)) == 0
    assert len(_stash_files(folder)) == 1


def test_kept_files_count_towards_the_file_and_pixel_caps(app, client, guide, folder, monkeypatch):  # noqa: F811
    monkeypatch.setitem(app.config, "UPLOAD_MAX_FILES", 2)
    values = form_values(client)
    _send_with_error(client, values, attachments=[_photo("一.jpg"), _photo("二.jpg")])
    response = _send_with_error(client, values, attachments=[_photo("三.jpg")])
    text = text_of(response)
    assert response.status_code == 422 and "最多可上传 2 个附件" in text
    assert "已列为“已上传”的文件会保留" in text and CHOOSE_AGAIN not in text
    assert "一.jpg 已上传" in text and "三.jpg 已上传" not in text
    # Pixels: 320×240 each are kept; the cap now leaves room for less than one more.
    monkeypatch.setitem(app.config, "UPLOAD_MAX_FILES", 5)
    monkeypatch.setitem(app.config, "UPLOAD_MAX_PIXELS_PER_REQUEST", 3 * 320 * 240 - 1)
    response = _send_with_error(client, values, attachments=[_photo("三.jpg")])
    assert response.status_code == 422 and "百万像素" in text_of(response)
    assert len(_stash_rows(app)) == 2


def test_refused_files_still_say_choose_again(app, client, guide, folder):  # noqa: F811
    values = form_values(client)
    response = _send_with_error(client, values, attachments=[(io.BytesIO(b"MZ\x90\x00 not a picture"), "virus.exe")])
    assert response.status_code == 422 and CHOOSE_AGAIN in text_of(response)
    assert _stash_rows(app) == [] and _stash_files(folder) == []


def test_expired_stashes_are_removed_by_the_retention_command(app, client, guide, folder, runner):  # noqa: F811
    values = form_values(client)
    _send_with_error(client, values, attachments=[_photo()])
    fresh = app.test_client()
    _send_with_error(fresh, form_values(fresh), attachments=[_photo("新.jpg")])
    old, new = _stash_rows(app)
    with app.app_context():
        db.session.execute(sa.update(StashedUpload).where(StashedUpload.id == old.id).values(created_at=utcnow() - timedelta(hours=25)))
        db.session.commit()
    # An expired stash is no longer offered, even before the command runs.
    response = client.post("/zh/requests/new", data=dict(values, phone=""))
    assert "电梯.jpg" not in text_of(response)
    result = runner.invoke(args=["purge-personal-data", "--older-than", "365"])
    assert result.exit_code == 0, result.output
    assert "Kept upload(s) of unfinished forms removed: 1 older than 24 hour(s)." in result.output
    assert [r.id for r in _stash_rows(app)] == [new.id]
    assert _stash_files(folder) == [new.stash_name.split("/")[1]]


def test_the_stash_lives_under_the_upload_folder_and_is_private(app, client, guide, folder):  # noqa: F811
    values = form_values(client)
    _send_with_error(client, values, attachments=[_photo()])
    (row,) = _stash_rows(app)
    path = folder / row.stash_name
    assert path.is_file() and oct(path.stat().st_mode & 0o777) == "0o600"
    assert not str(path.resolve()).startswith(str(app.static_folder))
    assert client.get(f"/static/{row.stash_name}").status_code == 404


def _info_values(client, number) -> dict:
    page = client.get(f"/zh/requests/{number}").get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page).group(1)
    return {"csrf_token": csrf_from(page), "submission_key": key, "body": "补充一张现场照片。"}


def test_the_add_information_form_keeps_its_photo_too(app, client, guide, folder):  # noqa: F811
    from tests.test_intake import file_request

    number, code, _text = file_request(client)
    values = _info_values(client, number)
    response = client.post(f"/zh/requests/{number}/info", data=dict(values, body="", attachments=[_photo("现场.jpg")]))
    assert response.status_code == 422
    text = text_of(response)
    assert "现场.jpg 已上传 · 删除" in text and CHOOSE_AGAIN not in text
    html = response.get_data(as_text=True)
    assert f'data-hx-post="/zh/requests/{number}/info/stashed"' in html
    # Another browser that has the access code too, with the same form key: nothing of it.
    other = app.test_client()
    other.post("/zh/track", data={"csrf_token": csrf_from(other.get("/zh/track").get_data(as_text=True)),
                                  "tracking_no": number, "code": code})
    theirs = dict(_info_values(other, number), submission_key=values["submission_key"])
    response = other.post(f"/zh/requests/{number}/info", data=dict(theirs, body=""))
    assert response.status_code == 422 and "现场.jpg" not in text_of(response)
    # The request form's stash never shows here, nor this one there: the scopes differ.
    response = client.post(f"/zh/requests/{number}/info", data=values)
    assert response.status_code == 303
    with app.app_context():
        req = db.session.scalar(sa.select(ServiceRequest).where(ServiceRequest.tracking_no == number))
        assert [(a.original_name, a.event_id is not None) for a in req.attachments] == [("现场.jpg", True)]
    assert _stash_rows(app) == [] and _stash_files(folder) == []
    assert "现场.jpg" in text_of(client.get(f"/zh/requests/{number}"))


def test_the_add_information_form_remove_with_htmx(app, client, guide, folder):  # noqa: F811
    from tests.test_intake import file_request

    number, _code, _text = file_request(client)
    values = _info_values(client, number)
    client.post(f"/zh/requests/{number}/info", data=dict(values, body="", attachments=[_photo("现场.jpg")]))
    (row,) = _stash_rows(app)
    response = client.post(f"/zh/requests/{number}/info/stashed", headers={"HX-Request": "true"},
                           data=dict(values, remove_stashed=str(row.id)))
    assert "文件已删除" in text_of(response) and _stash_rows(app) == []
