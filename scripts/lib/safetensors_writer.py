"""A safetensors writer in plain Python (no numpy), for the data scripts and the test fixtures.

The format: an 8-byte little-endian header length, a JSON header (names sorted, as the Rust and
Python writers sort them) padded with spaces to a multiple of 8, then the tensors' bytes.
"""
import json
import struct


def encode(dtype, values):
    """The bytes of `values` as `dtype` (F32, I64 or U8); bytes pass through as U8."""
    if dtype == "F32":
        return struct.pack("<%df" % len(values), *values)
    if dtype == "I64":
        return struct.pack("<%dq" % len(values), *values)
    if dtype == "U8":
        return bytes(values)
    raise ValueError(f"dtype {dtype}")


def serialize(tensors):
    """`tensors`: name -> (dtype, shape, values or bytes). Returns the file's bytes."""
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        dtype, shape, values = tensors[name]
        data = encode(dtype, values)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)
