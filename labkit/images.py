"""Pictures for lab04's image pipeline: real JPEG files made with Pillow, and a broken one.

    photo(800, 600)          # a JPEG of 800x600 pixels (a gradient, so it compresses like a photo)
    truncated(photo(800, 600))   # the same file cut short: its header reads, its pixels do not
    size_of(data)            # (width, height) of an image file
"""
from __future__ import annotations

import io

__all__ = ["photo", "truncated", "size_of"]


def photo(width: int, height: int, *, kind: str = "JPEG") -> bytes:
    """An image file of `width` x `height` pixels in `kind` (JPEG or PNG)."""
    from PIL import Image

    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    out = io.BytesIO()
    image.save(out, kind, quality=85) if kind == "JPEG" else image.save(out, kind)
    return out.getvalue()


def truncated(data: bytes, keep: float = 0.4) -> bytes:
    """`data` cut after `keep` of its bytes, as an upload that broke off: Pillow opens it and reads
    its size, and fails ("image file is truncated") when it decodes the pixels."""
    return data[: max(1, int(len(data) * keep))]


def size_of(data: bytes) -> tuple[int, int]:
    """(width, height) of an image file."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return image.size
