"""The OM container: the 256-byte header (v1 and v2 layouts) and the partition tables (tiny and 64-bit).

Layout (little-endian), as GE's ModelFileHeader and OmFileLoadHelper define it::

    0 magic "IMOD" (0x444F4D49)   4 headsize   8 version   12 checksum[64]   76 length u32
    80 is_encrypt, is_checksum, modeltype, genmode (u8 each)   84 name[32]   116 ops   120 userdefineinfo[32]
    152 om_ir_version
    v2 (0x20000000): 156 model_num  160 platform_version[20]  180 platform_type  184 model_length u64
                     192 need_check_os_cpu_info  193 is_unknow_model
    v1 (0x10000000): 156 platform_version[20]  176 platform_type  (no model_num, no model_length)

The body (everything after the header) is ``model_length`` bytes, or ``length`` when that is 0. It holds
``model_num`` blocks (one unless a v2 header says more), each a partition table followed by its partitions.
The table is "tiny" (u32 num, then {u32 type, u32 offset, u32 size}) when model_length is 0 and the model is not
a flow model, "64-bit" (u32 num, 4 bytes padding, then {u32 type, pad, u64 offset, u64 size}) otherwise.
"""

from __future__ import annotations

import logging
import struct
from typing import List, Tuple

from ._desc import (ACL_ERROR_API_NOT_SUPPORT, ACL_ERROR_GE_EXEC_MODEL_DATA_SIZE_INVALID, ACL_ERROR_GE_PARAM_INVALID,
                    OmError, OmHeader, OmPartition)
from ._types import PARTITION_NAMES

__all__ = ["HEADER_SIZE", "MAGIC", "VERSION_V1", "VERSION_V2", "read_header", "read_blocks", "Block"]

logger = logging.getLogger("acllite.om")

HEADER_SIZE = 256
MAGIC = 0x444F4D49
VERSION_V1 = 0x10000000
VERSION_V2 = 0x20000000
MODEL_TYPE_FLOW = 3
MAX_FLOW_PARTITIONS = 4096  # GE's limit for flow models
MAX_PARTITIONS = 64  # a sanity bound for the others (GE accepts 1 to 6 today)

Block = Tuple[Tuple[OmPartition, ...], List[memoryview]]  # one sub-model: its partitions and their bytes


def _text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def read_header(data: memoryview, source: str) -> OmHeader:
    """The header, checked the way GE's loader checks it (magic, body length), and refusing encrypted files."""
    if len(data) < HEADER_SIZE:
        raise OmError(ACL_ERROR_GE_PARAM_INVALID, "%s is not an OM file: %d bytes is shorter than the %d-byte header"
                      % (source, len(data), HEADER_SIZE))
    magic, header_size, version = struct.unpack_from("<III", data, 0)
    if magic != MAGIC:
        raise OmError(ACL_ERROR_GE_PARAM_INVALID, "%s is not an OM file: it starts with %r, not b'IMOD' (magic "
                      "0x%08X)" % (source, bytes(data[:4]), MAGIC))
    if version == VERSION_V1:
        layout = "v1"
    elif version >= VERSION_V2:
        layout = "v2"
        if version != VERSION_V2:
            logger.warning("%s: header version 0x%08X is newer than 0x%08X; reading it with the v2 layout", source,
                           version, VERSION_V2)
    else:
        raise OmError(ACL_ERROR_GE_PARAM_INVALID, "%s: unknown OM header version 0x%08X (known: 0x%08X, 0x%08X)"
                      % (source, version, VERSION_V1, VERSION_V2))
    length, = struct.unpack_from("<I", data, 76)
    is_encrypt, is_checksum, model_type, gen_mode = struct.unpack_from("<4B", data, 80)
    ops, = struct.unpack_from("<I", data, 116)
    om_ir_version, = struct.unpack_from("<I", data, 152)
    if layout == "v2":
        model_num, = struct.unpack_from("<I", data, 156)
        platform_version = _text(bytes(data[160:180]))
        platform_type = data[180]
        model_length, = struct.unpack_from("<Q", data, 184)
        need_check, unknown = data[192], data[193]
    else:
        model_num, platform_version, platform_type = 1, _text(bytes(data[156:176])), data[176]
        model_length = need_check = unknown = 0
    header = OmHeader(magic, header_size, version, layout, length, is_encrypt, is_checksum, model_type, gen_mode,
                      _text(bytes(data[84:116])), ops, _text(bytes(data[120:152])), om_ir_version, model_num,
                      platform_version, platform_type, model_length, need_check, unknown)
    if is_encrypt:
        raise OmError(ACL_ERROR_API_NOT_SUPPORT, "%s is encrypted (is_encrypt=%d): its partitions are ciphertext "
                      "that only CANN's loader can decrypt; convert the model again without encryption"
                      % (source, is_encrypt))
    body = len(data) - HEADER_SIZE
    if header.body_length != body:
        what = "model_length" if model_length else "length"
        state = "truncated" if header.body_length > body else "followed by %d extra bytes" % (body - header.body_length)
        raise OmError(ACL_ERROR_GE_PARAM_INVALID, "%s is damaged: its header gives a %d-byte body (%s) but the file "
                      "holds %d bytes after the header (%s)" % (source, header.body_length, what, body, state))
    return header


def _table(body: memoryview, pos: int, wide: bool, flow: bool, index: int, source: str) -> Tuple[list, int]:
    """The entries (type, offset, size) of the table at pos, and the table's size."""
    head, entry = (8, 24) if wide else (4, 12)
    where = "%s: sub-model %d: the partition table" % (source, index)
    if len(body) - pos < head:
        raise OmError(ACL_ERROR_GE_EXEC_MODEL_DATA_SIZE_INVALID, "%s at body byte %d runs past the end of the %d-byte"
                      " body" % (where, pos, len(body)))
    num, = struct.unpack_from("<I", body, pos)
    limit = MAX_FLOW_PARTITIONS if flow else MAX_PARTITIONS
    if num == 0 or num > limit:
        raise OmError(ACL_ERROR_GE_PARAM_INVALID, "%s counts %d partitions (expected 1 to %d)" % (where, num, limit))
    size = head + entry * num
    if len(body) - pos < size:
        raise OmError(ACL_ERROR_GE_EXEC_MODEL_DATA_SIZE_INVALID, "%s of %d entries needs %d bytes; %d are left"
                      % (where, num, size, len(body) - pos))
    rows = []
    for i in range(num):
        at = pos + head + entry * i
        if wide:
            kind, _pad, offset, length = struct.unpack_from("<IIQQ", body, at)
        else:
            kind, offset, length = struct.unpack_from("<III", body, at)
        rows.append((kind, offset, length))
    return rows, size


def read_blocks(body: memoryview, header: OmHeader, source: str) -> List[Block]:
    """Every sub-model's partitions, walked as GE walks them: back to back after each table. The recorded offsets
    must agree with that walk (GE's saver writes them so); a disagreement means the table is damaged."""
    flow = header.model_type == MODEL_TYPE_FLOW
    wide = flow or header.model_length != 0
    table_kind = "64-bit" if wide else "tiny"
    count = header.model_num if header.layout == "v2" and header.model_num > 1 else 1
    blocks: List[Block] = []
    pos = 0
    for index in range(count):
        rows, table_size = _table(body, pos, wide, flow, index, source)
        pos += table_size
        parts, datas, running = [], [], 0
        for i, (kind, offset, length) in enumerate(rows):
            name = PARTITION_NAMES.get(kind, "TYPE_%d" % kind)
            if offset != running:
                raise OmError(ACL_ERROR_GE_EXEC_MODEL_DATA_SIZE_INVALID, "%s: sub-model %d: partition %d (%s) is "
                              "recorded at offset %d but the partitions before it end at %d: the partition table is "
                              "damaged" % (source, index, i, name, offset, running))
            if length > len(body) - pos:
                raise OmError(ACL_ERROR_GE_EXEC_MODEL_DATA_SIZE_INVALID, "%s: sub-model %d: partition %d (%s) of %d "
                              "bytes runs past the end of the body (%d bytes left)" % (source, index, i, name, length,
                                                                                      len(body) - pos))
            parts.append(OmPartition(kind, offset, length, table_kind))
            datas.append(body[pos:pos + length])
            pos += length
            running += length
        blocks.append((tuple(parts), datas))
    if pos != len(body):
        if count > 1:
            raise OmError(ACL_ERROR_GE_EXEC_MODEL_DATA_SIZE_INVALID, "%s: the %d sub-models end at body byte %d of %d"
                          % (source, count, pos, len(body)))
        logger.warning("%s: %d bytes after the last partition are not part of any partition", source,
                       len(body) - pos)
    return blocks
