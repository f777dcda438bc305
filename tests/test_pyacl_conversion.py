"""Issue 13 item 8 and item 11, reproduced first: pyACL's argument conversion never truncates.

* ``acl.util.ptr_to_bytes(2**64, 4)`` passed the NULL check and read address 0: now OverflowError;
* ``acl.rt.free(p + 0.5)`` freed ``p``: now TypeError, and ``p`` is still allocated;
* bools were accepted as handles: now TypeError (a one-byte flag still takes True/False);
* ``ptr_to_bytes(p, -1)`` returned one byte: now OverflowError;
* a path with a NUL byte was cut short there: now ValueError;
* ``acl.media.dvpp_create_batch_pic_desc(2**32)`` never returned: now OverflowError at once, and any size above
  the 256 pictures a batch call takes gives 0 at once.

The class is closed by one set of conversions (acllite/pyacl/_common.py) that every function uses; the fuzz
target tests/fuzz/fuzz_pyacl.py drives it with random values and types over the whole catalog.
"""

from __future__ import annotations

import enum
import time
from typing import Any

import numpy as np
import pytest

import acllite.pyacl as acl
from acllite import binding
from conftest import requires_emulator


def test_ptr_to_bytes_of_a_pointer_past_2_64_is_refused() -> None:
    with pytest.raises(OverflowError, match="not a pointer value"):
        acl.util.ptr_to_bytes(2 ** 64, 4)
    with pytest.raises(OverflowError):
        acl.util.ptr_to_bytes(2 ** 64 + 4096, 4)
    with pytest.raises(OverflowError):
        acl.util.ptr_to_numpy(-1, (4,), 2)


def test_ptr_to_bytes_with_a_negative_size_is_refused() -> None:
    data = bytes(range(16))
    p = acl.util.bytes_to_ptr(data)
    with pytest.raises(OverflowError, match="size -1"):
        acl.util.ptr_to_bytes(p, -1)
    with pytest.raises(TypeError):
        acl.util.ptr_to_bytes(p, 4.0)
    with pytest.raises(TypeError):
        acl.util.ptr_to_bytes(p, True)
    assert acl.util.ptr_to_bytes(p, 16) == data and acl.util.ptr_to_bytes(p, np.int64(4)) == data[:4]
    with pytest.raises(ValueError, match="negative dimension"):
        acl.util.ptr_to_numpy(p, (-1,), 2)
    with pytest.raises(OverflowError):
        acl.util.ptr_to_numpy(p, (2 ** 62, 16), 12)


@requires_emulator
def test_free_of_a_float_pointer_is_refused_and_frees_nothing(acl_session: Any) -> None:
    p, ret = acl.rt.malloc(64, 0)
    assert ret == 0
    with pytest.raises(TypeError, match="acl.rt.free: dev_ptr: a pointer or handle must be an int, not float"):
        acl.rt.free(p + 0.5)
    with pytest.raises(TypeError):
        acl.rt.free(float(p))  # integral: it would equal a cached pointer
    assert acl.rt.memset(p, 64, 1, 64) == 0  # still allocated
    assert acl.rt.free(p) == 0


@requires_emulator
def test_bools_are_not_handles(acl_session: Any) -> None:
    stream, ret = acl.rt.create_stream()
    assert ret == 0
    for fn, args in ((acl.rt.synchronize_stream, (True,)), (acl.rt.free, (False,)),
                     (acl.mdl.get_num_inputs, (True,)), (acl.rt.memcpy, (True, 4, 0, 4, 1)),
                     (acl.mdl.get_input_dims, (True, 0)), (acl.media.dvpp_get_pic_desc_width, (True,))):
        with pytest.raises(TypeError, match="must be an int, not bool"):
            fn(*args)
    for fn, args in ((acl.rt.malloc, (True, 0)), (acl.rt.set_device, (False,)), (acl.data_type_size, (True,))):
        with pytest.raises(TypeError, match="an integer is required, not bool"):
            fn(*args)
    # A one-byte C flag takes True/False (uint8_t eos, int8_t switches): pyACL programs pass bools there.
    sd = acl.media.dvpp_create_stream_desc()
    ret = acl.media.dvpp_set_stream_desc_eos(sd, True)
    assert type(ret) is int
    acl.media.dvpp_destroy_stream_desc(sd)
    assert acl.rt.destroy_stream(stream) == 0


def test_path_with_a_nul_byte_is_refused(tmp_path: Any) -> None:
    for fn, args in ((acl.mdl.load_from_file, ("model.om\0.evil",)), (acl.init, ("a\0b.json",)),
                     (acl.mdl.query_size, (b"x\0y",)), (acl.mdl.get_input_index_by_name, (0, "in\0put")),
                     (acl.op.set_model_dir, ("dir\0x",)), (acl.prof.init, ("p\0",))):
        with pytest.raises(ValueError, match="embedded null character"):
            fn(*args)
    for fn, args in ((acl.mdl.load_from_file, (5,)), (acl.mdl.get_input_index_by_name, (0, 5)),
                     (acl.mdl.load_from_file, (None,))):
        with pytest.raises(TypeError, match="a str is required"):
            fn(*args)
    assert acl.mdl.load_from_file(tmp_path / "missing.om")[1] != 0  # a path-like is a path


def test_integers_are_range_checked_for_their_c_type() -> None:
    with pytest.raises(OverflowError):
        acl.rt.malloc(2 ** 64, 0)  # size_t
    with pytest.raises(OverflowError):
        acl.rt.malloc(-1, 0)
    with pytest.raises(OverflowError):
        acl.rt.set_device(2 ** 31)  # int32_t
    with pytest.raises(OverflowError):
        acl.media.dvpp_set_pic_desc_width(0, 2 ** 32)  # uint32_t
    with pytest.raises(OverflowError):
        acl.media.dvpp_set_pic_desc_width(0, -1)
    with pytest.raises(TypeError, match="an integer is required"):
        acl.rt.malloc("64", 0)
    with pytest.raises(TypeError, match="not float"):
        acl.rt.malloc(64.0, 0)
    with pytest.raises(OverflowError):
        acl.mdl.set_config_opt(0, binding.lib.ACL_MDL_PRIORITY_INT32, 2 ** 31)  # packed by hand: checked too


def test_numpy_integers_and_int_subclasses_are_ints() -> None:
    """NumPy integers pass for sizes and ids (pyACL's ``I``/``i`` formats take them); IntEnum members for ids and
    handles (an int subclass)."""

    class Kind(enum.IntEnum):
        D2H = 2

    assert acl.data_type_size(np.int32(1)) == 2  # ACL_FLOAT16
    assert acl.data_type_size(Kind.D2H) == 1  # ACL_INT8
    assert acl.rt.get_mem_info(np.uint8(0))[2] != 200001


@requires_emulator
def test_batch_pic_desc_of_2_32_pictures_returns_at_once(acl_session: Any, caplog: Any) -> None:
    t0 = time.perf_counter()
    with pytest.raises(OverflowError, match="does not fit a uint32_t"):
        acl.media.dvpp_create_batch_pic_desc(2 ** 32)
    with caplog.at_level("ERROR", logger="acllite.pyacl"):
        assert acl.media.dvpp_create_batch_pic_desc(2 ** 32 - 1) == 0
        assert acl.media.dvpp_create_batch_pic_desc(257) == 0
        assert acl.media.dvpp_create_batch_pic_desc(0) == 0
    assert time.perf_counter() - t0 < 1.0
    assert sum("not in 1..256" in r.getMessage() for r in caplog.records) == 3


@requires_emulator
def test_batch_pic_desc_limit_in_c(acl_session: Any) -> None:
    """The emulator refuses a batch of more than 256 pictures itself (the pyACL layer never asks it), with the
    message a program reads through aclGetRecentErrMsg; a batch of 1..256 pictures is made at once."""
    lib = binding.lib
    t0 = time.perf_counter()
    assert lib.acldvppCreateBatchPicDesc(2 ** 32 - 1) == binding.ffi.NULL
    msg = acl.get_recent_err_msg()
    assert msg is not None and "acldvppCreateBatchPicDesc" in msg
    if "not emulated" in msg:
        pytest.skip("the emulator does not emulate acldvppCreateBatchPicDesc")
    assert "1..256" in msg
    assert lib.acldvppCreateBatchPicDesc(0) == binding.ffi.NULL
    assert time.perf_counter() - t0 < 1.0
    batch = acl.media.dvpp_create_batch_pic_desc(256)
    assert batch != 0
    pics = [acl.media.dvpp_get_pic_desc(batch, i) for i in range(256)]
    assert all(pics) and len(set(pics)) == 256
    assert acl.media.dvpp_set_pic_desc_width(pics[255], 64) == 0
    assert acl.media.dvpp_get_pic_desc_width(pics[255]) == 64
    assert acl.media.dvpp_get_pic_desc(batch, 256) == 0
    assert "index 256 is past the batch's 256 pictures" in acl.get_recent_err_msg()
    assert acl.media.dvpp_destroy_pic_desc(pics[3]) == binding.lib.ACL_ERROR_INVALID_PARAM  # the batch owns it
    assert "belongs to batch" in acl.get_recent_err_msg()
    assert acl.media.dvpp_destroy_batch_pic_desc(batch) == 0
    assert acl.media.dvpp_destroy_batch_pic_desc(batch) != 0  # stale: a code
    assert acl.media.dvpp_get_pic_desc_width(pics[0]) == 0  # its pictures went with it


@requires_emulator
def test_a_batch_left_alive_is_released_and_reported_at_finalize(uninitialized: None) -> None:
    from conftest import leak_report

    assert acl.init() == 0
    batch = acl.media.dvpp_create_batch_pic_desc(3)
    assert batch != 0
    assert acl.finalize() == 0
    if binding.lib.acldvppGetPicDesc(binding.ffi.cast("void *", batch), 0) != binding.ffi.NULL:
        raise AssertionError("a batch survived aclFinalize")
    assert leak_report()["dvppDescs"] == 4  # the batch and its 3 pictures


@pytest.fixture
def acl_session(acl: Any) -> Any:
    """The conftest ``acl`` fixture (aclInit + device 0, leak-checked), for pyACL calls."""
    return acl


