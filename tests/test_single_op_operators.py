"""Each single operator the emulator computes, against numpy: several types, shapes and attributes, through the
pyACL module (aclopLoad of the model acllite atc --singleop writes, aclopExecuteV2 on device buffers)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from acllite import pyacl
from conftest import requires_emulator
from singleop_helpers import run

pytestmark = requires_emulator
RNG = np.random.default_rng(7)


def rand(shape: Any, dtype: Any = np.float32, lo: float = -4, hi: float = 4) -> np.ndarray:
    if np.issubdtype(dtype, np.integer):
        return RNG.integers(int(lo), int(hi), size=shape).astype(dtype)
    return RNG.uniform(lo, hi, size=shape).astype(dtype)


def tol(dtype: Any) -> Any:
    return dict(rtol=2e-3, atol=2e-3) if np.dtype(dtype) == np.float16 else dict(rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("src,dst", [(np.float32, np.float16), (np.float16, np.float32), (np.float32, np.int32),
                                     (np.int32, np.float32), (np.uint8, np.float32), (np.float32, np.int64)])
def test_cast(acl: Any, src: Any, dst: Any) -> None:
    x = rand((3, 5), src, 0 if src == np.uint8 else -100, 100)
    dst_type = {np.float16: 1, np.float32: 0, np.int32: 3, np.int64: 9}[dst]
    (y,) = run(pyacl, "Cast", [x], [(dst, x.shape)], {"dst_type": ("int", dst_type)})
    np.testing.assert_array_equal(y, x.astype(dst))


def test_cast_keeps_its_truncate_attribute_and_acl_op_cast_sends_it(acl: Any) -> None:
    """A Cast model described with truncate makes aclopCast send truncate too (as AscendCL does)."""
    x = np.array([1.7, -2.5, 3.9], np.float32)
    (y,) = run(pyacl, "Cast", [x], [(np.int32, (3,))], {"dst_type": ("int", 3), "truncate": ("bool", False)})
    np.testing.assert_array_equal(y, np.array([1, -2, 3], np.int32))  # toward zero, as C


@pytest.mark.parametrize("op,fn", [("Add", np.add), ("Sub", np.subtract), ("Mul", np.multiply),
                                   ("RealDiv", np.divide), ("Div", np.divide), ("Maximum", np.maximum),
                                   ("Minimum", np.minimum)])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_binary(acl: Any, op: str, fn: Any, dtype: Any) -> None:
    a, b = rand((2, 3, 4), dtype), rand((2, 3, 4), dtype, 0.5, 4)
    (y,) = run(pyacl, op, [a, b], [(dtype, a.shape)])
    np.testing.assert_allclose(y.astype(np.float32), fn(a, b).astype(np.float32), **tol(dtype))


@pytest.mark.parametrize("op,fn", [("Add", np.add), ("Mul", np.multiply), ("Sub", np.subtract)])
def test_binary_int32_and_broadcast(acl: Any, op: str, fn: Any) -> None:
    a, b = rand((4, 3), np.int32, -50, 50), rand((3,), np.int32, -50, 50)
    (y,) = run(pyacl, op, [a, b], [(np.int32, (4, 3))])
    np.testing.assert_array_equal(y, fn(a, b))


@pytest.mark.parametrize("op,fn", [("Relu", lambda x: np.maximum(x, 0)), ("Sigmoid", lambda x: 1 / (1 + np.exp(-x))),
                                   ("Exp", np.exp), ("Tanh", np.tanh), ("Abs", np.abs), ("Neg", np.negative),
                                   ("Sqrt", lambda x: np.sqrt(np.abs(x))), ("Reciprocal", lambda x: 1 / x)])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_unary(acl: Any, op: str, fn: Any, dtype: Any) -> None:
    x = rand((5, 7), dtype, 0.25 if op in ("Sqrt", "Reciprocal") else -3, 3)
    (y,) = run(pyacl, op, [x], [(dtype, x.shape)])
    np.testing.assert_allclose(y.astype(np.float32), fn(x.astype(np.float32)), **tol(dtype))


def test_exp_and_log_with_base_scale_shift(acl: Any) -> None:
    x = rand((6,), np.float32, 0.5, 3)
    (y,) = run(pyacl, "Exp", [x], [(np.float32, (6,))],
               {"base": ("float", 2.0), "scale": ("float", 0.5), "shift": ("float", 1.0)})
    np.testing.assert_allclose(y, 2.0 ** (0.5 * x + 1.0), rtol=1e-5)
    (y,) = run(pyacl, "Log", [x], [(np.float32, (6,))], {"base": ("float", 10.0), "scale": ("float", 2.0)})
    np.testing.assert_allclose(y, np.log10(2.0 * x), rtol=1e-5)


@pytest.mark.parametrize("t1,t2", [(False, False), (True, False), (False, True), (True, True)])
def test_matmul_transposes(acl: Any, t1: bool, t2: bool) -> None:
    a, b = rand((3, 4)), rand((4, 5))
    a_in, b_in = (a.T.copy() if t1 else a), (b.T.copy() if t2 else b)
    (y,) = run(pyacl, "MatMul", [a_in, b_in], [(np.float32, (3, 5))],
               {"transpose_x1": ("bool", t1), "transpose_x2": ("bool", t2)})
    np.testing.assert_allclose(y, a @ b, rtol=1e-5, atol=1e-5)


def test_matmul_with_bias_and_v2(acl: Any) -> None:
    a, b, bias = rand((2, 8), np.float16), rand((8, 3), np.float16), rand((3,), np.float16)
    (y,) = run(pyacl, "MatMulV2", [a, b, bias], [(np.float16, (2, 3))])
    ref = a.astype(np.float32) @ b.astype(np.float32) + bias.astype(np.float32)
    np.testing.assert_allclose(y.astype(np.float32), ref, rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("adj1,adj2", [(False, False), (True, True), (False, True)])
def test_batch_matmul(acl: Any, adj1: bool, adj2: bool) -> None:
    a, b = rand((2, 3, 4)), rand((2, 4, 6))
    a_in = np.swapaxes(a, -1, -2).copy() if adj1 else a
    b_in = np.swapaxes(b, -1, -2).copy() if adj2 else b
    (y,) = run(pyacl, "BatchMatMul", [a_in, b_in], [(np.float32, (2, 3, 6))],
               {"adj_x1": ("bool", adj1), "adj_x2": ("bool", adj2)})
    np.testing.assert_allclose(y, a @ b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("perm", [[1, 0, 2], [2, 0, 1], [0, 2, 1]])
def test_transpose_with_perm_tensor_and_attr(acl: Any, perm: Any) -> None:
    x = rand((2, 3, 4))
    shape = tuple(x.shape[p] for p in perm)
    (y,) = run(pyacl, "Transpose", [x, np.array(perm, np.int32)], [(np.float32, shape)])
    np.testing.assert_array_equal(y, np.transpose(x, perm))
    (y,) = run(pyacl, "TransposeD", [x], [(np.float32, shape)], {"perm": ("list_int", perm)})
    np.testing.assert_array_equal(y, np.transpose(x, perm))


def test_transpose_perm_as_a_constant_input(acl: Any) -> None:
    x = rand((3, 5), np.int32, 0, 9)
    (y,) = run(pyacl, "Transpose", [x, np.array([1, 0], np.int64)], [(np.int32, (5, 3))], const=(1,))
    np.testing.assert_array_equal(y, x.T)


@pytest.mark.parametrize("shape,new", [((2, 6), (3, 4)), ((24,), (2, 3, 4)), ((4, 6), (-1, 3))])
def test_reshape(acl: Any, shape: Any, new: Any) -> None:
    x = rand(shape)
    out = np.reshape(x, new).shape
    (y,) = run(pyacl, "Reshape", [x, np.array(new, np.int32)], [(np.float32, out)])
    np.testing.assert_array_equal(y, x.reshape(new))


@pytest.mark.parametrize("dimension", [0, 1, -1])
@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_argmaxd(acl: Any, dimension: int, dtype: Any) -> None:
    x = rand((4, 7), dtype)
    ref = np.argmax(x, axis=dimension).astype(np.int32)
    (y,) = run(pyacl, "ArgMaxD", [x], [(np.int32, ref.shape)], {"dimension": ("int", dimension)})
    np.testing.assert_array_equal(y, ref)


def test_argmaxd_of_the_sample_scalar_result_in_a_one_element_output(acl: Any) -> None:
    """vpc_resnet50's ArgMaxD: float16 [1000] -> int32 [1]."""
    x = rand((1000,), np.float16)
    (y,) = run(pyacl, "ArgMaxD", [x], [(np.int32, (1,))], {"dimension": ("int", 0)})
    assert y.tolist() == [int(np.argmax(x))]


def test_argmaxv2_dimension_tensor(acl: Any) -> None:
    x = rand((3, 5, 2))
    (y,) = run(pyacl, "ArgMaxV2", [x, np.array([1], np.int32)], [(np.int64, (3, 2))], {"dtype": ("data_type", 9)})
    np.testing.assert_array_equal(y, np.argmax(x, axis=1))


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("op", ["SoftmaxV2", "Softmax"])
@pytest.mark.parametrize("axes", [None, [0], [1], [-1]])
def test_softmax(acl: Any, op: str, axes: Any) -> None:
    x = rand((3, 8))
    attrs = None if axes is None else {"axes": ("list_int", axes)}
    (y,) = run(pyacl, op, [x], [(np.float32, x.shape)], attrs)
    np.testing.assert_allclose(y, _softmax(x, -1 if axes is None else axes[0]), rtol=1e-5, atol=1e-6)


def test_softmax_float16(acl: Any) -> None:
    x = rand((8, 16), np.float16)
    (y,) = run(pyacl, "SoftmaxV2", [x], [(np.float16, x.shape)])
    np.testing.assert_allclose(y.astype(np.float32), _softmax(x.astype(np.float32), -1), atol=2e-3)


@pytest.mark.parametrize("offsets,size", [([0, 0], [600, 3000]), ([10, 100], [5, -1]), ([599, 2999], [1, 1])])
def test_slice_as_the_sample_calls_it(acl: Any, offsets: Any, size: Any) -> None:
    x = rand((600, 3000), np.float16)
    ends = [x.shape[k] if s == -1 else o + s for k, (o, s) in enumerate(zip(offsets, size))]
    ref = x[offsets[0]:ends[0], offsets[1]:ends[1]]
    (y,) = run(pyacl, "Slice", [x, np.array(offsets, np.int32), np.array(size, np.int32)],
               [(np.float16, ref.shape)])
    np.testing.assert_array_equal(y, ref)
    (y,) = run(pyacl, "SliceD", [x], [(np.float16, ref.shape)],
               {"offsets": ("list_int", offsets), "size": ("list_int", size)})
    np.testing.assert_array_equal(y, ref)


@pytest.mark.parametrize("begin,end,strides,masks,ref", [
    ([1, 0], [3, 4], [1, 2], {}, lambda x: x[1:3, 0:4:2]),
    ([0, 1], [0, 5], [1, 1], {"begin_mask": 1, "end_mask": 1}, lambda x: x[:, 1:5]),
    ([2, 0], [3, 6], [1, 1], {"shrink_axis_mask": 1}, lambda x: x[2, 0:6]),
    ([3, 5], [0, 0], [-1, -2], {"end_mask": 3}, lambda x: x[3::-1, 5::-2]),
])
def test_strided_slice(acl: Any, begin: Any, end: Any, strides: Any, masks: Any, ref: Any) -> None:
    x = rand((4, 6))
    want = ref(x)
    attrs = {k: ("int", v) for k, v in masks.items()} or None
    (y,) = run(pyacl, "StridedSlice", [x, np.array(begin, np.int32), np.array(end, np.int32),
                                       np.array(strides, np.int32)], [(np.float32, want.shape)], attrs)
    np.testing.assert_array_equal(y, want)
    d_attrs = dict(attrs or {}, begin=("list_int", begin), end=("list_int", end), strides=("list_int", strides))
    (y,) = run(pyacl, "StridedSliceD", [x], [(np.float32, want.shape)], d_attrs)
    np.testing.assert_array_equal(y, want)


@pytest.mark.parametrize("op,fn", [("ReduceSum", np.sum), ("ReduceMean", np.mean), ("ReduceMax", np.max)])
@pytest.mark.parametrize("axes,keep", [([1], False), ([0, 2], True), ([-1], True)])
def test_reduce(acl: Any, op: str, fn: Any, axes: Any, keep: bool) -> None:
    x = rand((3, 4, 5))
    ref = fn(x, axis=tuple(axes), keepdims=keep)
    (y,) = run(pyacl, op, [x, np.array(axes, np.int32)], [(np.float32, ref.shape)], {"keep_dims": ("bool", keep)})
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
    (y,) = run(pyacl, op + "D", [x], [(np.float32, ref.shape)],
               {"axes": ("list_int", axes), "keep_dims": ("bool", keep)})
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)


def test_nchw_tensors_compute_as_nd(acl: Any) -> None:
    a, b = rand((1, 3, 4, 4)), rand((1, 3, 4, 4))
    (y,) = run(pyacl, "Add", [a, b], [(np.float32, a.shape)], fmt="NCHW")
    np.testing.assert_allclose(y, a + b, rtol=1e-6)
