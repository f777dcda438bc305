"""Channel parameters through the pyACL-compatible module: acl.media.dvpp_/vdec_set_channel_desc_param pass each
parameter with its own size (8 bytes for the _UINT64 and _PTR types, 4 for the others), and the getters read it
back. Only the CSC matrix worked before: every other type was sent with length 0 and refused."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import requires_emulator

pytestmark = requires_emulator


@pytest.fixture
def pyacl(acl: Any) -> Any:
    import acllite.pyacl as module

    return module


def test_vdec_channel_parameters_of_every_width(pyacl: Any) -> None:
    media, lib = pyacl.media, pyacl._common.lib
    desc = media.vdec_create_channel_desc()
    try:
        for kind, value in ((lib.ACL_VDEC_OUT_MODE_UINT32, 1),
                            (lib.ACL_VDEC_CHANNEL_ID_UINT32, 7), (lib.ACL_VDEC_THREAD_ID_UINT64, 2 ** 40 + 3)):
            assert media.vdec_set_channel_desc_param(desc, kind, value) == (desc, 0), kind
            size, got, ret = media.vdec_get_channel_desc_param(desc, kind)
            assert (got, ret) == (value, 0), kind
            assert size == (8 if kind == lib.ACL_VDEC_THREAD_ID_UINT64 else 4), kind
        with pytest.raises(OverflowError):  # a uint32 parameter given 2^32
            media.vdec_set_channel_desc_param(desc, lib.ACL_VDEC_OUT_MODE_UINT32, 2 ** 32)
    finally:
        assert media.vdec_destroy_channel_desc(desc) == 0


def test_dvpp_channel_parameters_of_every_width(pyacl: Any) -> None:
    media, lib = pyacl.media, pyacl._common.lib
    desc = media.dvpp_create_channel_desc()
    try:
        for kind, value in ((lib.ACL_DVPP_CHANNEL_WIDTH_UINT32, 640), (lib.ACL_DVPP_CHANNEL_HEIGHT_UINT32, 480),
                            (lib.ACL_DVPP_JPEGD_PRECISION_MODE_ENUM, 1)):
            assert media.dvpp_set_channel_desc_param(desc, kind, value) == (desc, 0), kind
            assert media.dvpp_get_channel_desc_param(desc, kind) == (4, value, 0), kind
        # the channel id is 8 bytes, read only (given by acldvppCreateChannel)
        assert media.dvpp_get_channel_desc_param(desc, lib.ACL_DVPP_CHANNEL_ID_UINT64) == (8, 0, 0)
        _, ret = media.dvpp_set_channel_desc_param(desc, lib.ACL_DVPP_CHANNEL_ID_UINT64, 1)
        assert ret == 100000
    finally:
        assert media.dvpp_destroy_channel_desc(desc) == 0
