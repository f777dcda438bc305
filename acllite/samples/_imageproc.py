"""acllite_imageproc: ``AclLiteImageProc``, the samples' DVPP helper, on acllite's :class:`~acllite.ImageProcessor`.

Same methods and results: ``jpegd(image)`` and ``resize(image, w, h)`` give NV12 AclLiteImages in DVPP memory
(or None, logged, on failure), ``jpege(image)`` a JPEG AclLiteImage in DVPP memory, ``crop_and_paste`` and
``crop_and_paste_get_roi`` the samples' aspect-preserving and plain paste (raising on failure, as the samples'
do). Every picture description and configuration is released after each call (the samples' leak the JPEG
decode's output description and the ROI configurations).
"""

from __future__ import annotations

from typing import Any, Optional

import acllite
from acllite import pyacl as acl
from acllite.dvpp import DvppBuffer, ImageProcessor
from acllite.image import Image, PixelFormat
from acllite.samples import constants as const
from acllite.samples._image import AclLiteImage
from acllite.samples._logger import log_error, log_info
from acllite.samples._resource import current_device, resource_list
from acllite.samples._utils import align_up2, align_up16, yuv420sp_size

__all__ = ["AclLiteImageProc"]

_FAILURES = (acllite.AclError, ValueError, TypeError)


class AclLiteImageProc:
    """DVPP image processing on one channel of the resource's device.

    ``acl_resource``: an initialized AclLiteResource (None: the one initialized last). Each call waits for its
    result, as the samples' do (they synchronize the stream after each call).
    """

    def __init__(self, acl_resource: Any = None):
        if acl_resource is not None and getattr(acl_resource, "_device", None) is not None:
            device = acl_resource._device
            self._stream = acl_resource.stream
            self._run_mode = acl_resource.run_mode
        else:
            device = current_device()
            self._stream = None
            self._run_mode = acllite.run_mode()
        self._device = device
        self._proc: Optional[ImageProcessor] = ImageProcessor(device)
        self._is_destroyed = False
        resource_list.register(self)

    def _processor(self) -> ImageProcessor:
        if self._proc is None:
            raise ValueError("the AclLiteImageProc is destroyed")
        return self._proc

    # -- decode, encode -----------------------------------------------------------------------------------------
    def jpegd(self, image: AclLiteImage) -> Optional[AclLiteImage]:
        """Decode a JPEG AclLiteImage (DVPP or host memory) to an NV12 AclLiteImage in DVPP memory (None on
        failure). ``width``/``height`` are the picture's (odd sizes rounded down to even, as JPEGD does),
        ``align_width``/``align_height`` the decoder's strides, ``size`` the NV12 bytes with those strides."""
        try:
            out = self._processor().decode_jpeg(image._as_acllite(encoded=True), PixelFormat.NV12)
        except _FAILURES as exc:
            log_error("dvpp_jpeg_decode_async failed: %s" % str(exc).splitlines()[0])
            return None
        return AclLiteImage._wrap(out)

    def jpege(self, image: AclLiteImage) -> Optional[AclLiteImage]:
        """Encode an NV12 AclLiteImage to a JPEG AclLiteImage in DVPP memory (quality level 100; None on failure)."""
        try:
            out = self._processor().encode_jpeg(image._as_acllite(encoded=False), level=100)
        except _FAILURES as exc:
            log_error("Jpege failed: %s" % str(exc).splitlines()[0])
            return None
        return AclLiteImage._wrap(out, const.ENCODE_FORMAT_JPEG, image.width, image.height, 0, 0)

    # -- VPC ------------------------------------------------------------------------------------------------------
    def resize(self, image: AclLiteImage, resize_width: int, resize_height: int) -> Optional[AclLiteImage]:
        """Scale an NV12 AclLiteImage to resize_width x resize_height (strides 16 / 2); None on failure."""
        try:
            out = self._processor().resize(image._as_acllite(encoded=False), resize_width, resize_height)
        except _FAILURES as exc:
            log_error("Vpc resize async failed: %s" % str(exc).splitlines()[0])
            return None
        return AclLiteImage._wrap(out)

    def _paste(self, image: AclLiteImage, width: int, height: int, out_width: int, out_height: int,
               paste_right: int, paste_bottom: int) -> DvppBuffer:
        """Crop the whole (even) picture and paste it scaled into (0, 0, paste_right, paste_bottom) (exclusive) of
        a new black out_width x out_height NV12 picture. Returns its buffer."""
        proc = self._processor()
        ws, hs = align_up16(out_width), align_up2(out_height)
        size = yuv420sp_size(ws, hs)
        buf = DvppBuffer(size, self._device)
        try:
            # black: Y 0, UV 128 (full-range BT.601, what the decoders produce)
            for offset, value, count in ((0, 0, ws * hs), (ws * hs, 128, size - ws * hs)):
                acllite.errors.check(acl.rt.memset(buf.ptr + offset, count, value, count), "aclrtMemset")
            dest = Image(buf, PixelFormat.NV12, out_width, out_height, ws, hs, size)
            src = image._as_acllite(encoded=False)
            proc.crop_and_paste(src, (0, 0, width >> 1 << 1, height >> 1 << 1), dest,
                                (0, 0, paste_right, paste_bottom))
        except BaseException:
            buf.close()
            raise
        return buf

    def crop_and_paste(self, image: AclLiteImage, width: int, height: int, crop_and_paste_width: int,
                       crop_and_paste_height: int) -> AclLiteImage:
        """The samples' crop-and-paste: the whole picture, scaled keeping its aspect ratio, pasted at the top
        left of a crop_and_paste_width x crop_and_paste_height picture. As the samples' result, the returned
        image carries the *input's* width/height and the pasted area's size as align_width/align_height.
        Raises on failure."""
        log_info("[AclLiteImageProc] vpc crop and paste stage:")
        rx = float(width) / float(crop_and_paste_width)
        ry = float(height) / float(crop_and_paste_height)
        if rx > ry:
            dx, dy = 0, int((crop_and_paste_height - height / rx) / 2)
        else:
            dx, dy = int((crop_and_paste_width - width / ry) / 2), 0
        right = int(crop_and_paste_width - 2 * dx)
        bottom = int(crop_and_paste_height - 2 * dy)
        right, bottom = right - (right % 2 == 0), bottom - (bottom % 2 == 0)  # inclusive and odd, as DVPP wants
        try:
            buf = self._paste(image, width, height, crop_and_paste_width, crop_and_paste_height, right + 1,
                              bottom + 1)
        except _FAILURES as exc:
            raise Exception("acl.media.dvpp_vpc_crop_and_paste_async failed: %s" % str(exc).splitlines()[0]) from exc
        out = AclLiteImage._of_buffer(buf, image.width, image.height, buf.nbytes, const.MEMORY_DVPP,
                                      const.ENCODE_FORMAT_UNKNOW)
        out.align_width = crop_and_paste_width - 2 * dx
        out.align_height = crop_and_paste_height - 2 * dy
        log_info("[AclLiteImageProc] vpc crop and paste stage success")
        return out

    def crop_and_paste_get_roi(self, image: AclLiteImage, width: int, height: int, crop_and_paste_width: int,
                               crop_and_paste_height: int) -> AclLiteImage:
        """The whole picture scaled into all of a crop_and_paste_width x crop_and_paste_height picture (the
        returned image carries the input's width/height, as the samples'). Raises on failure."""
        try:
            buf = self._paste(image, width, height, crop_and_paste_width, crop_and_paste_height,
                              crop_and_paste_width, crop_and_paste_height)
        except _FAILURES as exc:
            raise Exception("acl.media.dvpp_vpc_crop_and_paste_async failed: %s" % str(exc).splitlines()[0]) from exc
        out = AclLiteImage._of_buffer(buf, image.width, image.height, buf.nbytes, const.MEMORY_DVPP,
                                      const.ENCODE_FORMAT_UNKNOW)
        out.align_width = align_up16(crop_and_paste_width)
        out.align_height = align_up2(crop_and_paste_height)
        return out

    # -- release --------------------------------------------------------------------------------------------------
    def destroy(self) -> None:
        """Destroy the DVPP channel (idempotent)."""
        if self._is_destroyed:
            return
        self._is_destroyed = True
        if self._proc is not None:
            self._proc.close()
            self._proc = None
        resource_list.unregister(self)
        log_info("dvpp resource release success")

    def __del__(self) -> None:
        try:
            self.destroy()
        except Exception:
            pass
