"""A pyACL program in the manner of Huawei's VDEC documentation: decode a video with acl.media.vdec_*, resize each
frame with VPC, classify it with a model that has AIPP, print the best label per frame.

    acllite pyacl examples/pyacl_video_classify.py VIDEO MODEL.om

The video is demuxed with PyAV (VDEC takes one access unit per call); everything else is pyACL: a callback thread
running acl.rt.process_report, a VDEC channel whose callback hands each decoded picture to the main thread, a
DVPP channel for the resize, the model's dataset over the resized picture, and the release of all of it in order.
"""

import queue
import sys

import av
import numpy as np

import acl

ACL_MEMCPY_HOST_TO_DEVICE, ACL_MEMCPY_DEVICE_TO_HOST = 1, 2
PIXEL_FORMAT_YUV_SEMIPLANAR_420 = 1
H264_HIGH_LEVEL, H265_MAIN_LEVEL = 3, 0


def check(ret, what):
    if ret != 0:
        raise RuntimeError("%s failed: %d (%s)" % (what, ret, acl.get_recent_err_msg()))


def align(value, to):
    return (value + to - 1) // to * to


video_path, model_path = sys.argv[1], sys.argv[2]

check(acl.init(), "acl.init")
check(acl.rt.set_device(0), "acl.rt.set_device")
context, ret = acl.rt.create_context(0)
check(ret, "acl.rt.create_context")
stream, ret = acl.rt.create_stream()
check(ret, "acl.rt.create_stream")

# the model, its description and its buffers
model_id, ret = acl.mdl.load_from_file(model_path)
check(ret, "acl.mdl.load_from_file")
model_desc = acl.mdl.create_desc()
check(acl.mdl.get_desc(model_desc, model_id), "acl.mdl.get_desc")
input_size = acl.mdl.get_input_size_by_index(model_desc, 0)
dims, ret = acl.mdl.get_input_dims(model_desc, 0)
check(ret, "acl.mdl.get_input_dims")
_, model_h, model_w, _ = dims["dims"]
output_size = acl.mdl.get_output_size_by_index(model_desc, 0)
output_dev, ret = acl.rt.malloc(output_size, 0)
check(ret, "acl.rt.malloc")
output_set = acl.mdl.create_dataset()
output_buf = acl.create_data_buffer(output_dev, output_size)
_, ret = acl.mdl.add_dataset_buffer(output_set, output_buf)
check(ret, "acl.mdl.add_dataset_buffer")

# DVPP for the resize: a VPC channel, and the resized picture (the model's input) in DVPP memory
dvpp_channel = acl.media.dvpp_create_channel_desc()
check(acl.media.dvpp_create_channel(dvpp_channel), "acl.media.dvpp_create_channel")
resize_config = acl.media.dvpp_create_resize_config()
resized_ws, resized_hs = align(model_w, 16), align(model_h, 2)
resized_size = resized_ws * resized_hs * 3 // 2
resized_dev, ret = acl.media.dvpp_malloc(resized_size)
check(ret, "acl.media.dvpp_malloc")
resized_desc = acl.media.dvpp_create_pic_desc()
for setter, value in ((acl.media.dvpp_set_pic_desc_data, resized_dev), (acl.media.dvpp_set_pic_desc_size, resized_size),
                      (acl.media.dvpp_set_pic_desc_format, PIXEL_FORMAT_YUV_SEMIPLANAR_420),
                      (acl.media.dvpp_set_pic_desc_width, model_w), (acl.media.dvpp_set_pic_desc_height, model_h),
                      (acl.media.dvpp_set_pic_desc_width_stride, resized_ws),
                      (acl.media.dvpp_set_pic_desc_height_stride, resized_hs)):
    check(setter(resized_desc, value), setter.__name__)
input_set = acl.mdl.create_dataset()
input_buf = acl.create_data_buffer(resized_dev, input_size)
_, ret = acl.mdl.add_dataset_buffer(input_set, input_buf)
check(ret, "acl.mdl.add_dataset_buffer")

# the callback thread: VDEC runs its callbacks inside acl.rt.process_report
running = [True]


def report_loop(args):
    check(acl.rt.set_context(context), "acl.rt.set_context")
    while running[0]:
        acl.rt.process_report(100)


thread_id, ret = acl.util.start_thread(report_loop, [])
check(ret, "acl.util.start_thread")

# VDEC: the callback hands each decoded picture to the main thread
decoded = queue.Queue()


def vdec_callback(input_stream_desc, output_pic_desc, user_data):
    decoded.put((user_data, input_stream_desc, output_pic_desc))


container = av.open(video_path)
video = container.streams.video[0]
codec = video.codec_context.name
width, height = video.codec_context.width, video.codec_context.height
vdec_channel = acl.media.vdec_create_channel_desc()
check(acl.media.vdec_set_channel_desc_channel_id(vdec_channel, 0), "vdec_set_channel_desc_channel_id")
check(acl.media.vdec_set_channel_desc_thread_id(vdec_channel, thread_id), "vdec_set_channel_desc_thread_id")
check(acl.media.vdec_set_channel_desc_callback(vdec_channel, vdec_callback), "vdec_set_channel_desc_callback")
check(acl.media.vdec_set_channel_desc_entype(vdec_channel, H265_MAIN_LEVEL if codec == "hevc" else H264_HIGH_LEVEL),
      "vdec_set_channel_desc_entype")
check(acl.media.vdec_set_channel_desc_out_pic_format(vdec_channel, PIXEL_FORMAT_YUV_SEMIPLANAR_420),
      "vdec_set_channel_desc_out_pic_format")
check(acl.media.vdec_create_channel(vdec_channel), "acl.media.vdec_create_channel")
frame_config = acl.media.vdec_create_frame_config()

out_ws, out_hs = align(width, 16), align(height, 2)
out_size = out_ws * out_hs * 3 // 2


def classify(index, stream_desc, pic_desc):
    """Resize one decoded picture to the model's input, run the model, print the best label; free the frame."""
    if acl.media.dvpp_get_pic_desc_ret_code(pic_desc) == 0:
        check(acl.media.dvpp_vpc_resize_async(dvpp_channel, pic_desc, resized_desc, resize_config, stream),
              "dvpp_vpc_resize_async")
        check(acl.rt.synchronize_stream(stream), "acl.rt.synchronize_stream")
        check(acl.mdl.execute(model_id, input_set, output_set), "acl.mdl.execute")
        logits = np.empty(output_size // 4, np.float32)
        check(acl.rt.memcpy(acl.util.numpy_to_ptr(logits), output_size, output_dev, output_size,
                            ACL_MEMCPY_DEVICE_TO_HOST), "acl.rt.memcpy")
        best = int(np.argmax(logits))
        print("frame %d: label %d, %dx%d" % (index, best, acl.media.dvpp_get_pic_desc_width(pic_desc),
                                              acl.media.dvpp_get_pic_desc_height(pic_desc)))
    else:
        print("frame %d: decoding failed (%#x)" % (index, acl.media.dvpp_get_pic_desc_ret_code(pic_desc)))
    acl.media.dvpp_free(acl.media.dvpp_get_stream_desc_data(stream_desc))
    acl.media.dvpp_destroy_stream_desc(stream_desc)
    acl.media.dvpp_free(acl.media.dvpp_get_pic_desc_data(pic_desc))
    acl.media.dvpp_destroy_pic_desc(pic_desc)


annexb = "h264_mp4toannexb" if codec == "h264" else "hevc_mp4toannexb"
bsf = av.BitStreamFilterContext(annexb, video) if not (video.codec_context.extradata or b"").startswith(b"\0\0") \
    else None
sent = 0
for packet in container.demux(video):
    for unit in (bsf.filter(packet) if bsf is not None else [packet]) if packet.size else []:
        data = bytes(unit)
        in_dev, ret = acl.media.dvpp_malloc(len(data))
        check(ret, "acl.media.dvpp_malloc")
        check(acl.rt.memcpy(in_dev, len(data), acl.util.bytes_to_ptr(data), len(data), ACL_MEMCPY_HOST_TO_DEVICE),
              "acl.rt.memcpy")
        stream_desc = acl.media.dvpp_create_stream_desc()
        check(acl.media.dvpp_set_stream_desc_data(stream_desc, in_dev), "dvpp_set_stream_desc_data")
        check(acl.media.dvpp_set_stream_desc_size(stream_desc, len(data)), "dvpp_set_stream_desc_size")
        out_dev, ret = acl.media.dvpp_malloc(out_size)
        check(ret, "acl.media.dvpp_malloc")
        pic_desc = acl.media.dvpp_create_pic_desc()
        check(acl.media.dvpp_set_pic_desc_data(pic_desc, out_dev), "dvpp_set_pic_desc_data")
        check(acl.media.dvpp_set_pic_desc_size(pic_desc, out_size), "dvpp_set_pic_desc_size")
        check(acl.media.dvpp_set_pic_desc_format(pic_desc, PIXEL_FORMAT_YUV_SEMIPLANAR_420), "dvpp_set_pic_desc_format")
        check(acl.media.vdec_send_frame(vdec_channel, stream_desc, pic_desc, frame_config, sent),
              "acl.media.vdec_send_frame")
        sent += 1
        while not decoded.empty():
            classify(*decoded.get())
container.close()

# end of stream: returns once every frame is decoded and its callback has run
eos = acl.media.dvpp_create_stream_desc()
check(acl.media.dvpp_set_stream_desc_eos(eos, 1), "dvpp_set_stream_desc_eos")
check(acl.media.vdec_send_frame(vdec_channel, eos, 0, frame_config, None), "acl.media.vdec_send_frame (eos)")
while not decoded.empty():
    classify(*decoded.get())
print("%d frames sent" % sent)

# release, in the reverse order of creation
check(acl.media.vdec_destroy_channel(vdec_channel), "acl.media.vdec_destroy_channel")
running[0] = False
check(acl.util.stop_thread(thread_id), "acl.util.stop_thread")
acl.media.vdec_destroy_frame_config(frame_config)
acl.media.vdec_destroy_channel_desc(vdec_channel)
acl.media.dvpp_destroy_stream_desc(eos)
acl.destroy_data_buffer(input_buf)
acl.mdl.destroy_dataset(input_set)
acl.media.dvpp_destroy_pic_desc(resized_desc)
acl.media.dvpp_free(resized_dev)
acl.media.dvpp_destroy_resize_config(resize_config)
check(acl.media.dvpp_destroy_channel(dvpp_channel), "acl.media.dvpp_destroy_channel")
acl.media.dvpp_destroy_channel_desc(dvpp_channel)
acl.destroy_data_buffer(output_buf)
acl.mdl.destroy_dataset(output_set)
acl.rt.free(output_dev)
acl.mdl.destroy_desc(model_desc)
check(acl.mdl.unload(model_id), "acl.mdl.unload")
check(acl.rt.destroy_stream(stream), "acl.rt.destroy_stream")
check(acl.rt.destroy_context(context), "acl.rt.destroy_context")
check(acl.rt.reset_device(0), "acl.rt.reset_device")
check(acl.finalize(), "acl.finalize")
