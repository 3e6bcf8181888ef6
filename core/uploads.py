"""Uploaded images, decoded and drawn again before they are stored (issue 15).

Nothing of the uploaded file is kept but its pixels: the image is decoded with Pillow
(JPEG, PNG or WebP only), turned upright by its EXIF orientation, scaled down to a
bounded size and encoded anew. EXIF (GPS position, camera serial numbers, times), XMP,
ICC profiles, comments, text chunks and anything appended to the file (an HTML page in a
JPEG/HTML polyglot) are dropped. An animated image keeps its first frame.
"""

from __future__ import annotations

import io
import warnings

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# What a browser may declare for each (image/jpg and image/pjpeg are old spellings).
DECLARED = {
    "image/jpeg": "image/jpeg",
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/png": "image/png",
    "image/x-png": "image/png",
    "image/webp": "image/webp",
}
JPEG_QUALITY = 88


class ImageRefused(ValueError):
    """The upload is not an image the site takes; ``str(exc)`` says why, in the user's
    language; ``status`` is the HTTP status to answer (422, or 413 when too large)."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


def reencode_image(data: bytes, *, name: str, declared: str | None = None) -> tuple[bytes, str]:
    """The image of ``data`` encoded anew, and its type: ``(bytes, "image/…")``.

    Refused (``ImageRefused``): anything Pillow cannot decode as JPEG, PNG or WebP; more
    than ``YISHI_MAX_PHOTO_PIXELS`` pixels; a declared type (the browser's
    Content-Type, when it names an image type) other than the decoded one. Larger than
    ``YISHI_PHOTO_MAX_EDGE`` on its long side, it is scaled down.
    """
    max_pixels = current_app.config["YISHI_MAX_PHOTO_PIXELS"]
    max_edge = current_app.config["YISHI_PHOTO_MAX_EDGE"]
    too_large = ImageRefused(
        _("照片“%(name)s”的像素超过 %(mp)s 百万像素的上限。", name=name, mp=f"{max_pixels / 1e6:g}"), 413
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
            width, height = image.size
            if width * height > max_pixels:  # known from the header: nothing decoded yet
                raise too_large
            image.seek(0)  # an animation: its first frame
            image.load()
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_large from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Warning) as exc:
        raise ImageRefused(_("“%(name)s”不是 JPEG、PNG 或 WebP 图片。", name=name)) from exc
    content_type = FORMATS[image.format]
    claimed = DECLARED.get((declared or "").split(";")[0].strip().lower())
    if claimed is not None and claimed != content_type:
        raise ImageRefused(
            _(
                "“%(name)s”的内容是 %(real)s 图片，与上传时声明的类型 %(claimed)s 不符。",
                name=name,
                real=image.format,
                claimed=claimed,
            )
        )
    return _encode(image, image.format, max_edge), content_type


def _encode(image: Image.Image, fmt: str, max_edge: int) -> bytes:
    try:
        image = ImageOps.exif_transpose(image)
    except Exception:  # a broken orientation tag: keep the pixels as they are
        pass
    if max(image.size) > max_edge:
        image.thumbnail((max_edge, max_edge), Image.Resampling.LANCZOS)
    # No metadata goes on: the encoders copy some of ``info`` (PNG its ICC profile).
    image.info = {k: v for k, v in image.info.items() if k == "transparency"}
    out = io.BytesIO()
    if fmt == "JPEG":
        image = image.convert("RGB") if image.mode not in ("RGB", "L") else image
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif fmt == "PNG":
        if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
            image = image.convert("RGBA")
        image.save(out, "PNG", optimize=True)
    else:
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        image.save(out, "WEBP", quality=JPEG_QUALITY)
    return out.getvalue()
