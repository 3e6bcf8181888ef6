"""Issue 15, uploads: a progress photo is stored re-encoded (no EXIF GPS or camera serial,
nothing appended, size bounded, the declared type matching the content); what does not
decode is refused in the user's language; report PDFs are downloads, not pages."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from extensions import db
from projects.models import ProgressPhoto
from tests.factories import csrf_token, login
from tests.projects.factories import add_candidates, unit_user

POLYGLOT_HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
SERIAL = "SN-4711-0815"


def jpeg_with_gps(size=(64, 48)) -> bytes:
    """A camera's JPEG: EXIF with a GPS position, the camera's serial number and make."""
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "ACME Camera"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (31.0, 14.0, 7.5), "E", (121.0, 28.0, 3.25)
    exif.get_ifd(0x8769)[0xA431] = SERIAL  # BodySerialNumber
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def png(size=(8, 8), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def reporter(cycle_app, units):
    """A lead unit's browser on its elected project's report page."""
    project = add_candidates(units, ["农村公路提升"])[0]
    project.status = "elected"
    db.session.commit()
    unit_user("jiaotong", units[0])
    client = cycle_app.test_client()
    login(client, "jiaotong")
    return client, f"/projects/p/{project.id}/report"


def report(client, url, photo: bytes, name: str, content_type: str | None = None):
    file = (io.BytesIO(photo), name, content_type) if content_type else (io.BytesIO(photo), name)
    data = {
        "reported_on": "2027-03-31",
        "percent": "30",
        "narrative": "进展顺利。",
        "photos": file,
        "csrf_token": csrf_token(client, url),
    }
    return client.post(url, data=data, content_type="multipart/form-data")


def stored_photo(cycle_app) -> tuple[ProgressPhoto, bytes]:
    photo = db.session.scalar(select(ProgressPhoto).order_by(ProgressPhoto.id.desc()))
    from pathlib import Path

    return photo, (Path(cycle_app.config["YISHI_UPLOAD_DIR"]) / "projects" / photo.stored_name).read_bytes()


def photos_stored() -> int:
    return db.session.scalar(select(func.count()).select_from(ProgressPhoto))


def test_a_photo_loses_its_gps_position_and_camera_serial(cycle_app, reporter):
    """The attack: photos were served byte for byte, EXIF GPS and serials included."""
    client, url = reporter
    original = jpeg_with_gps()
    assert SERIAL.encode() in original and Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    assert report(client, url, original, "site.jpg").status_code == 302
    photo, data = stored_photo(cycle_app)
    assert photo.content_type == "image/jpeg" and data.startswith(b"\xff\xd8\xff")
    assert SERIAL.encode() not in data and b"ACME" not in data and b"Exif" not in data
    again = Image.open(io.BytesIO(data))
    assert not again.getexif() and again.size == (64, 48)
    served = client.get(f"/projects/photos/{photo.stored_name}")
    assert served.data == data and served.headers["X-Content-Type-Options"] == "nosniff"


def test_a_jpeg_html_polyglot_is_stored_without_the_html(cycle_app, reporter):
    """The attack: a valid JPEG with an HTML page in a comment and after its end was
    accepted and served as it came. The stored file is the picture alone."""
    client, url = reporter
    image = Image.new("RGB", (16, 16), (10, 20, 30))
    out = io.BytesIO()
    image.save(out, "JPEG", comment=POLYGLOT_HTML)
    polyglot = out.getvalue() + POLYGLOT_HTML
    assert Image.open(io.BytesIO(polyglot)).format == "JPEG" and POLYGLOT_HTML in polyglot
    assert report(client, url, polyglot, "x.jpg").status_code == 302
    _photo, data = stored_photo(cycle_app)
    assert b"<script" not in data and b"<html" not in data


@pytest.mark.parametrize(
    ("body", "name", "declared"),
    [
        (POLYGLOT_HTML, "page.jpg", None),  # HTML named as a photo
        (b"\xff\xd8\xff\xe0" + b"\0" * 64, "cut.jpg", None),  # a JPEG's first bytes, no image
        (b"GIF89a" + b"\0" * 32, "anim.gif", None),  # another format
        (b"%PDF-1.4\n%%EOF\n", "doc.jpg", None),
    ],
    ids=["html", "truncated-jpeg", "gif", "pdf"],
)
def test_what_does_not_decode_is_refused_with_a_message(cycle_app, reporter, body, name, declared):
    client, url = reporter
    response = report(client, url, body, name, declared)
    assert response.status_code == 422
    assert "不是 JPEG、PNG 或 WebP 图片" in response.get_data(as_text=True)
    assert photos_stored() == 0


def test_refusals_in_english(cycle_app, reporter):
    client, url = reporter
    client.get("/lang/en")
    response = report(client, url, b"not an image", "x.png")
    assert response.status_code == 422
    assert "is not a JPEG, PNG or WebP image" in response.get_data(as_text=True)
    response = report(client, url, png(), "x.png", "image/jpeg")
    assert response.status_code == 422
    assert "does not match the declared type image/jpeg" in response.get_data(as_text=True)


def test_the_declared_type_must_match_the_decoded_image(cycle_app, reporter):
    client, url = reporter
    response = report(client, url, png(), "site.jpg", "image/jpeg")
    assert response.status_code == 422 and "与上传时声明的类型 image/jpeg 不符" in response.get_data(as_text=True)
    assert photos_stored() == 0
    assert report(client, url, png(), "site.png", "image/png").status_code == 302
    assert stored_photo(cycle_app)[0].content_type == "image/png"


def test_photo_size_is_bounded_in_pixels_and_scaled_down(cycle_app, reporter):
    client, url = reporter
    cycle_app.config["YISHI_MAX_PHOTO_PIXELS"] = 100 * 100
    response = report(client, url, png((101, 100)), "wide.png")
    assert response.status_code == 413 and "像素超过 0.01 百万像素的上限" in response.get_data(as_text=True)
    cycle_app.config["YISHI_PHOTO_MAX_EDGE"] = 50
    assert report(client, url, png((100, 80)), "ok.png").status_code == 302
    assert Image.open(io.BytesIO(stored_photo(cycle_app)[1])).size == (50, 40)


def test_a_decompression_bomb_is_refused(cycle_app, reporter):
    """A small file that decodes to a huge image: refused from its header, never decoded."""
    client, url = reporter
    bomb = png((20000, 20000), mode="1")  # 400 million pixels, a few kB
    assert len(bomb) < cycle_app.config["YISHI_MAX_PHOTO_BYTES"]
    response = report(client, url, bomb, "bomb.png")
    assert response.status_code == 413
    assert photos_stored() == 0


def test_an_animation_keeps_its_first_frame(cycle_app, reporter):
    client, url = reporter
    frames = [Image.new("RGB", (8, 8), color) for color in ((255, 0, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    assert report(client, url, out.getvalue(), "anim.webp").status_code == 302
    photo, data = stored_photo(cycle_app)
    stored = Image.open(io.BytesIO(data))
    assert photo.content_type == "image/webp" and getattr(stored, "n_frames", 1) == 1
    red, green, blue = stored.convert("RGB").getpixel((4, 4))  # lossy: nearly the first frame's red
    assert red > 240 and green < 16 and blue < 16


def test_report_pdfs_are_served_as_downloads(app, staff_client):
    """A PDF is never shown as a page of the site: attachment and nosniff."""
    from tests.assessments.factories import PDF

    token = csrf_token(staff_client, "/assessments/staff")
    staff_client.post(
        "/assessments/staff",
        data={
            "title": "测评",
            "year": "2027",
            "raters": "public",
            "session_id": "0",
            "grade_base": "electorate",
            "csrf_token": token,
        },
    )
    from assessments.models import Assessment, AssessmentSubject

    assessment = db.session.scalar(select(Assessment))
    response = staff_client.post(
        f"/assessments/staff/{assessment.id}/subjects",
        data={
            "kind": "work_report",
            "title": "县人民法院工作报告",
            "body_type": "court",
            "body_name": "县人民法院",
            "suggestion_id": "0",
            "project_id": "0",
            "csrf_token": token,
            "document": (io.BytesIO(PDF + POLYGLOT_HTML), "report.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    subject = db.session.scalar(select(AssessmentSubject))
    document = staff_client.get(f"/assessments/subjects/{subject.id}/document")
    assert document.status_code == 200 and document.mimetype == "application/pdf"
    assert document.headers["Content-Disposition"].startswith("attachment")
    assert document.headers["X-Content-Type-Options"] == "nosniff"
