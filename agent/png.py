"""PNG in and out, fast: every step decodes one capture and encodes the model's image and the kept copy.

Pillow's PNG writer tries four filters on every row and keeps the best, which costs more than the
compression itself. Screenshots are mostly flat UI, which deflate compresses well unfiltered, so this
writer uses no filter: the same pixels (PNG is lossless), in a fraction of the time, and at zlib's default
level smaller files than Pillow's default. The format's facts (signature, IHDR, CRC-framed chunks, one
filter byte per row) are from the PNG specification (W3C, 2003).
"""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_RGB_8BIT = (8, 2, 0, 0, 0)  # bit depth, colour type (truecolour), compression, filter method, no interlace


def decode_png(png: bytes) -> Image.Image:
    """The pixels of a PNG, as RGB, decoded now (not on first use, which may be in another thread)."""
    image = Image.open(io.BytesIO(png))
    image.load()
    return image if image.mode == "RGB" else image.convert("RGB")


def encode_png(image: Image.Image, level: int) -> bytes:
    """An RGB image as PNG, each row unfiltered, deflated at zlib `level` (1 fastest, 9 smallest)."""
    if image.mode != "RGB":
        raise ValueError(f"expected an RGB image, got {image.mode}")
    width, height = image.size
    stride = width * 3
    pixels = memoryview(image.tobytes())
    rows = bytearray((stride + 1) * height)  # each row: filter type 0, then its pixels
    for y in range(height):
        start = y * (stride + 1) + 1
        rows[start : start + stride] = pixels[y * stride : (y + 1) * stride]
    header = struct.pack(">II5B", width, height, *_RGB_8BIT)
    return SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows, level)) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
