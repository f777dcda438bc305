"""Tensor descriptions (aclTensorDesc) on the emulator: what they hold, and every bad argument refused with
ACL_ERROR_INVALID_PARAM (or the documented NULL/0/-1 value) and a message naming the function."""

from __future__ import annotations

from typing import Any, List

import pytest

from conftest import expect_error, ffi, lib, recent_message, requires_emulator

pytestmark = requires_emulator

FLOAT, FLOAT16, INT32, UINT8 = lib.ACL_FLOAT, lib.ACL_FLOAT16, lib.ACL_INT32, lib.ACL_UINT8
NCHW, NHWC, ND = lib.ACL_FORMAT_NCHW, lib.ACL_FORMAT_NHWC, lib.ACL_FORMAT_ND


def dims(values: List[int]) -> Any:
    return ffi.new("int64_t[]", values) if values else ffi.NULL


@pytest.fixture
def made(acl: Any) -> Any:
    created: List[Any] = []

    def make(dtype: int, shape: List[int], fmt: int) -> Any:
        d = lib.aclCreateTensorDesc(dtype, len(shape), dims(shape), fmt)
        assert d != ffi.NULL, recent_message()
        created.append(d)
        return d

    yield make
    for d in created:
        lib.aclDestroyTensorDesc(d)


def test_a_description_holds_what_it_was_made_with(made: Any) -> None:
    d = made(FLOAT16, [2, 3, 4, 5], NCHW)
    assert lib.aclGetTensorDescType(d) == FLOAT16
    assert lib.aclGetTensorDescFormat(d) == NCHW
    assert lib.aclGetTensorDescNumDims(d) == 4
    assert lib.aclGetTensorDescElementCount(d) == 120
    assert lib.aclGetTensorDescSize(d) == 240
    cell = ffi.new("int64_t *")
    assert [lib.aclGetTensorDescDimV2(d, i, cell) == 0 and cell[0] for i in range(4)] == [2, 3, 4, 5]
    assert lib.aclGetTensorDescDim(d, 3) == 5
    assert ffi.string(lib.aclGetTensorDescName(d)) == b""
    lib.aclSetTensorDescName(d, b"input_0")
    assert ffi.string(lib.aclGetTensorDescName(d)) == b"input_0"
    assert lib.aclGetTensorDescByIndex(d, 0) == d
    assert lib.aclGetTensorDescAddress(d) == ffi.NULL


def test_a_scalar_and_dynamic_and_unknown_rank(made: Any) -> None:
    scalar = made(INT32, [], ND)
    assert (lib.aclGetTensorDescNumDims(scalar), lib.aclGetTensorDescElementCount(scalar),
            lib.aclGetTensorDescSize(scalar)) == (0, 1, 4)
    dynamic = made(FLOAT, [-1, 3], ND)
    assert lib.aclGetTensorDescNumDims(dynamic) == 2
    assert lib.aclGetTensorDescSize(dynamic) == 0 and "dynamic" in recent_message()
    unknown = made(FLOAT, [-2], ND)
    assert lib.aclGetTensorDescNumDims(unknown) == lib.ACL_UNKNOWN_RANK == 0xFFFFFFFFFFFFFFFE


def test_sizes_past_2_64_are_not_wrapped(made: Any) -> None:
    huge = made(lib.ACL_DOUBLE, [2 ** 61 + 1], ND)
    assert lib.aclGetTensorDescElementCount(huge) == 2 ** 61 + 1
    assert lib.aclGetTensorDescSize(huge) == 0  # 8 * (2^61 + 1) bytes does not fit a size_t
    assert "past 2^64" in recent_message()
    wide = made(UINT8, [2 ** 32, 2 ** 32], ND)
    assert lib.aclGetTensorDescElementCount(wide) == 0 and "2^63" in recent_message()


def test_shape_ranges_and_dim_ranges(made: Any) -> None:
    d = made(FLOAT, [-1, 3], ND)
    r = ffi.new("int64_t[2]")
    assert lib.aclGetTensorDescDimRange(d, 1, 2, r) == 0 and list(r) == [3, 3]  # a static dim is its own range
    assert lib.aclGetTensorDescDimRange(d, 0, 2, r) == 0 and list(r) == [1, -1]  # unbounded until set
    ranges = ffi.new("int64_t[2][2]", [[1, 16], [3, 3]])
    assert lib.aclSetTensorShapeRange(d, 2, ranges) == 0
    assert lib.aclGetTensorDescDimRange(d, 0, 2, r) == 0 and list(r) == [1, 16]
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "dimsCount is 1 but the tensor has 2 dims",
                 lib.aclSetTensorShapeRange, d, 1, ranges)
    bad = ffi.new("int64_t[2][2]", [[5, 4], [3, 3]])
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "range 0 is [5, 4]", lib.aclSetTensorShapeRange, d, 2, bad)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "a range needs 2 values", lib.aclGetTensorDescDimRange, d, 0, 1, r)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "index 2 is out of range", lib.aclGetTensorDescDimRange, d, 2, 2, r)


def test_a_constant_is_copied(made: Any) -> None:
    d = made(INT32, [3], ND)
    data = ffi.new("int32_t[3]", [7, 8, 9])
    assert lib.aclSetTensorConst(d, data, 12) == 0
    data[0] = 100  # the description keeps its own copy
    address = lib.aclGetTensorDescAddress(d)
    assert address != ffi.NULL and address != data
    assert list(ffi.cast("int32_t *", address)[0:3]) == [7, 8, 9]
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "a constant needs its data", lib.aclSetTensorConst, d, ffi.NULL, 12)


def test_a_constant_in_device_memory_is_refused(made: Any) -> None:
    d = made(INT32, [3], ND)
    cell = ffi.new("void **")
    assert lib.aclrtMalloc(cell, 64, 0) == 0
    try:
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "is device memory", lib.aclSetTensorConst, d, cell[0], 12)
    finally:
        lib.aclrtFree(cell[0])


def test_formats_shapes_and_placement_can_change(made: Any) -> None:
    d = made(FLOAT, [1, 3, 8, 8], NCHW)
    assert lib.aclSetTensorFormat(d, NHWC) == 0 and lib.aclGetTensorDescFormat(d) == NHWC
    assert lib.aclSetTensorShape(d, 2, dims([6, 7])) == 0
    assert lib.aclGetTensorDescNumDims(d) == 2 and lib.aclGetTensorDescElementCount(d) == 42
    assert lib.aclSetTensorOriginFormat(d, NCHW) == 0 and lib.aclSetTensorStorageFormat(d, ND) == 0
    assert lib.aclSetTensorOriginShape(d, 1, dims([42])) == 0 and lib.aclSetTensorStorageShape(d, 1, dims([42])) == 0
    assert lib.aclSetTensorPlaceMent(d, lib.ACL_MEMTYPE_HOST) == 0
    assert lib.aclSetTensorDynamicInput(d, b"x") == 0
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "format 9999 is not an aclFormat", lib.aclSetTensorFormat, d, 9999)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "memType 7 is not an aclMemType", lib.aclSetTensorPlaceMent, d, 7)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "dims[0] is -3", lib.aclSetTensorShape, d, 1, dims([-3]))


def test_trans_format_permutes_nchw_and_nhwc(made: Any) -> None:
    d = made(FLOAT, [1, 3, 8, 10], NCHW)
    lib.aclSetTensorDescName(d, b"img")
    out = ffi.new("aclTensorDesc **")
    assert lib.aclTransTensorDescFormat(d, NHWC, out) == 0
    try:
        cell = ffi.new("int64_t *")
        got = [lib.aclGetTensorDescDimV2(out[0], i, cell) == 0 and cell[0] for i in range(4)]
        assert got == [1, 8, 10, 3] and lib.aclGetTensorDescFormat(out[0]) == NHWC
        assert ffi.string(lib.aclGetTensorDescName(out[0])) == b"img"
        assert lib.aclGetTensorDescFormat(d) == NCHW  # the source is unchanged
    finally:
        lib.aclDestroyTensorDesc(out[0])
    expect_error(lib.ACL_ERROR_API_NOT_SUPPORT, "converts only between NCHW, NHWC and ND",
                 lib.aclTransTensorDescFormat, d, lib.ACL_FORMAT_NC1HWC0, out)


@pytest.mark.parametrize("dtype, shape, fmt, fragment", [
    (FLOAT, None, ND, "dims is NULL but numDims is 2"),
    (FLOAT, [-3, 1], ND, "dims[0] is -3"),
    (FLOAT, [-2, -2], ND, "dims[0] is -2"),  # -2 only alone
    (5, [1], ND, "dataType 5 is not an aclDataType"),  # 5 is a gap in aclDataType
    (FLOAT, [1], 5, "format 5 is not an aclFormat"),
])
def test_creation_refuses_bad_arguments(acl: Any, dtype: int, shape: Any, fmt: int, fragment: str) -> None:
    n = 2 if shape is None else len(shape)
    d = lib.aclCreateTensorDesc(dtype, n, dims(shape) if shape else ffi.NULL, fmt)
    assert d == ffi.NULL
    assert "aclCreateTensorDesc" in recent_message() and fragment in recent_message()


def test_negative_and_too_many_dims_are_refused(acl: Any) -> None:
    assert lib.aclCreateTensorDesc(FLOAT, -1, ffi.NULL, ND) == ffi.NULL
    assert "numDims is -1" in recent_message()
    assert lib.aclCreateTensorDesc(FLOAT, 129, dims([1] * 129), ND) == ffi.NULL
    assert "numDims is 129 (expected 0 to 128)" in recent_message()


def test_stale_and_null_descriptions(acl: Any) -> None:
    d = lib.aclCreateTensorDesc(FLOAT, 1, dims([4]), ND)
    lib.aclDestroyTensorDesc(d)
    assert lib.aclGetTensorDescType(d) == lib.ACL_DT_UNDEFINED and "not a live tensor description" in recent_message()
    assert lib.aclGetTensorDescFormat(ffi.NULL) == lib.ACL_FORMAT_UNDEFINED and "desc is NULL" in recent_message()
    assert lib.aclGetTensorDescSize(d) == 0 and lib.aclGetTensorDescElementCount(d) == 0
    assert lib.aclGetTensorDescNumDims(d) == 0 and lib.aclGetTensorDescDim(d, 0) == -1
    assert ffi.string(lib.aclGetTensorDescName(d)) == b""
    lib.aclDestroyTensorDesc(d)
    assert "aclDestroyTensorDesc" in recent_message() and "destroyed already" in recent_message()
    live = lib.aclCreateTensorDesc(FLOAT, 1, dims([4]), ND)
    try:
        assert lib.aclGetTensorDescByIndex(live, 1) == ffi.NULL and "index 1 is out of range" in recent_message()
        cell = ffi.new("int64_t *")
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "index 1 is out of range", lib.aclGetTensorDescDimV2, live, 1, cell)
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "dimSize is NULL", lib.aclGetTensorDescDimV2, live, 0, ffi.NULL)
    finally:
        lib.aclDestroyTensorDesc(live)


@pytest.mark.leaks_ok
def test_finalize_releases_and_counts_what_is_left(uninitialized: Any) -> None:
    import acllite

    assert lib.aclInit(ffi.NULL) == 0
    for _ in range(3):
        assert lib.aclCreateTensorDesc(FLOAT, 1, dims([2]), ND) != ffi.NULL
    assert acllite.emulator_live_counts()["tensorDescs"] == 3
    assert lib.aclFinalize() == 0
    assert acllite.emulator_leak_report()["tensorDescs"] == 3
    assert acllite.emulator_live_counts()["tensorDescs"] == 0
