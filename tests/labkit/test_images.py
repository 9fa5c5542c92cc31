"""labkit.images: real JPEG files, and a truncated one whose header reads and whose pixels do not."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from labkit.images import photo, size_of, truncated


def test_photo_is_a_real_image_of_the_size_asked():
    data = photo(800, 600)
    assert data[:3] == b"\xff\xd8\xff" and size_of(data) == (800, 600)
    assert size_of(photo(40, 30, kind="PNG")) == (40, 30)


def test_truncated_jpeg_opens_and_fails_when_decoded():
    broken = truncated(photo(800, 600))
    assert size_of(broken) == (800, 600)
    with Image.open(io.BytesIO(broken)) as picture, pytest.raises(OSError, match="truncated"):
        picture.thumbnail((128, 128))
