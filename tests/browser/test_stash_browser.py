"""Issue 17, item 2 in a real browser with JavaScript on: a person attaches a photo,
sends the form with an error, sees the photo listed as uploaded (no need to choose it
again), removes a second one in place (htmx), fixes the error and files; the status page
(unlocked by the filing) shows the attachment."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import mark_document, same_document, tr
from tests.browser.test_intake_browser import BUILDING, SERVICE, fill_form, read_receipt, service  # noqa: F401
from tests.test_uploads import image_bytes

pytestmark = pytest.mark.browser


def submit_form(pg, expect_status: int = 200):
    with pg.expect_navigation() as navigation:
        pg.locator("#request-form .actions button[type=submit]").click()
    assert navigation.value.status == expect_status, (navigation.value.status, pg.url)


def test_a_photo_is_kept_across_an_error_and_filed(app, page, service, tmp_path):  # noqa: F811
    photo = tmp_path / "elevator.jpg"
    photo.write_bytes(image_bytes("JPEG", size=(640, 480)))
    other = tmp_path / "stairs.jpg"
    other.write_bytes(image_bytes("JPEG", size=(320, 240)))
    page.goto(f"/zh/requests/new?service={SERVICE}&building={BUILDING}")
    fill_form(page)
    page.locator("#contact_name").fill("")  # the error
    page.locator("#attachments").set_input_files([str(photo), str(other)])
    submit_form(page, expect_status=422)
    listed = page.locator("#stashed-files")
    uploaded, remove = tr(app, "zh", "uploaded"), tr(app, "zh", "Remove")
    expect(listed).to_contain_text(f"elevator.jpg {uploaded} · {remove}")
    expect(listed).to_contain_text(f"stairs.jpg {uploaded} · {remove}")
    expect(page.locator("#field-attachments")).not_to_contain_text("请重新选择文件")
    # Remove the second one in place (htmx: the page stays).
    mark_document(page)
    listed.locator("li", has_text="stairs.jpg").get_by_role("button").click()
    expect(listed).not_to_contain_text("stairs.jpg")
    expect(listed).to_contain_text(tr(app, "zh", "The file was removed."))
    assert same_document(page), "removing a kept file reloaded the page"
    # Fix the error and send with Enter in a field: the form is sent, nothing is removed.
    page.locator("#contact_name").fill("王磊")
    with page.expect_navigation():
        page.locator("#contact_name").press("Enter")
    number, _code = read_receipt(page, app)
    page.goto(f"/zh/requests/{number}")
    timeline = page.locator("#timeline")
    expect(timeline.get_by_role("link", name="elevator.jpg")).to_have_count(1)
    expect(timeline).not_to_contain_text("stairs.jpg")
    page.set_viewport_size({"width": 390, "height": 900})
    page.problems.assert_clean(expected_statuses=(422,))
