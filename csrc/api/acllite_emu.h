/*
 * The emulator's own extension API: not part of AscendCL. The binding reaches these through the same
 * dispatch table as the AscendCL functions; on the CANN backend they are simply absent.
 */
/* acllite-library: emulator */
#ifndef ACLLITE_API_ACLLITE_EMU_H
#define ACLLITE_API_ACLLITE_EMU_H

#include "acl_model.h"

#define ACLLITE_EMU_LOG_DEBUG 0
#define ACLLITE_EMU_LOG_INFO 1
#define ACLLITE_EMU_LOG_WARNING 2
#define ACLLITE_EMU_LOG_ERROR 3

/* Live (or reclaimed) resources of the emulator, by kind. */
typedef struct {
    uint64_t deviceAllocations;
    uint64_t deviceBytes;
    uint64_t hostAllocations;
    uint64_t hostBytes;
    uint64_t dvppAllocations;
    uint64_t dvppBytes;
    uint64_t contexts;
    uint64_t streams;
    uint64_t events;
    uint64_t dataBuffers;
    uint64_t models;
    uint64_t modelDescs;
    uint64_t datasets;
    uint64_t dvppChannels; /* DVPP channel descriptions (acldvppCreateChannelDesc) */
    uint64_t dvppDescs;    /* DVPP picture descriptions and ROI, resize and JPEG-encode configurations */
    uint64_t tensorDescs;  /* aclTensorDesc (an array made by the runtime counts once) */
    uint64_t opAttrs;      /* aclopAttr */
    uint64_t opHandles;    /* aclopHandle */
    uint64_t modelConfigs; /* aclmdlConfigHandle and aclmdlExecConfigHandle */
    uint64_t aippParams;   /* aclmdlAIPP (dynamic AIPP parameter sets) */
} acllite_emu_counts;

typedef void (*acllite_emu_log_fn)(int32_t level, const char *message);

/* Route the emulator's log lines to fn (NULL: back to stderr, filtered by ASCEND_GLOBAL_LOG_LEVEL). */
void acllite_emu_set_log_handler(acllite_emu_log_fn fn);
/* Everything alive now, over all devices. */
aclError acllite_emu_live_counts(acllite_emu_counts *counts);
/* What the most recent aclrtResetDevice/aclFinalize found alive and released (all zero: nothing leaked). */
aclError acllite_emu_last_leak_report(acllite_emu_counts *counts);
/* 1 when kind mismatches are errors (ACLLITE_EMU_STRICT unset or 1), 0 when they are warnings. */
int32_t acllite_emu_strict_mode(void);
const char *acllite_emu_version(void);
/* 1 in *hasRanges when input `index` of the model has shape ranges (ATC --input_shape_range), 0 when its -1
 * dimensions are an ONNX model's own symbolic ones (run at the size its buffers give). aclmdlGetInputDimsRange
 * reads [1, -1] for both an unbounded range and a symbolic dimension; CANN's models have no symbolic dimensions. */
aclError acllite_emu_model_input_has_ranges(const aclmdlDesc *modelDesc, size_t index, int32_t *hasRanges);

/* ---- model engine ----
 * The emulator owns model ids, descriptions, datasets and every check; running the graph is delegated to an
 * engine registered here (acllite registers one on onnxruntime). Tensors cross as pointers: no copies. */
#define ACLLITE_EMU_MAX_DIMS 32

typedef struct {
    char name[128];
    aclDataType dataType;
    aclFormat format;
    size_t dimCount;
    int64_t dims[32]; /* -1: dynamic */
    size_t size;      /* 0: dims x element size; else the bytes the device reports (per batch item when dim 0
                         is dynamic), e.g. W*H*3/2 for a YUV420SP AIPP input described as [N, H, W, 3] */
    size_t rangeCount;     /* inputs of ATC --input_shape_range: dimCount, else 0 */
    int64_t ranges[32][2]; /* [min, max] of each dim (max -1: unbounded); the shape is set per execution with
                              aclmdlSetDatasetTensorDesc */
    size_t dimCountV2;     /* aclmdlGetInputDimsV2 when it differs (an input behind static AIPP: the model's dims
                              after AIPP); 0: the same as dims */
    int64_t dimsV2[32];
} acllite_emu_tensor_desc;

typedef struct {
    void *data;
    size_t size;      /* bytes of the buffer */
    size_t dimCount;  /* inputs: the shape to run at; outputs: written by the engine */
    int64_t dims[32];
} acllite_emu_tensor;

/* AIPP the emulator applies to a model input at each execution (kind): the parameters written into an AippData
 * input (ATC aipp_mode: dynamic), or a static AIPP configuration (aippInfo) applied at the source size of the
 * image-size gear (ATC --dynamic_image_size with a static aipp_op). */
#define ACLLITE_EMU_AIPP_DYNAMIC 1
#define ACLLITE_EMU_AIPP_STATIC_GEARED 2
typedef struct {
    int32_t kind;
    size_t dataIndex;        /* ACLLITE_EMU_AIPP_DYNAMIC: the AippData input (ACL_DYNAMIC_AIPP_NAME) */
    int64_t dims[4];         /* the model input the AIPP output feeds: N, C, H, W (H and W 0: the gear's) */
    int32_t channelsLast;    /* 1: that input is laid out NHWC, 0: NCHW */
    aclDataType dataType;    /* its element type: ACL_FLOAT or ACL_FLOAT16 */
    size_t maxSrcImageSize;  /* ACLLITE_EMU_AIPP_DYNAMIC: the most bytes one source image may have */
} acllite_emu_aipp_input;

typedef struct {
    /* Parse a model; describeOnly: only describe (aclmdlQuerySize), no session. Fills *engineModel, the
     * counts and the bytes of its weights; on failure returns a status code and writes a message. */
    aclError (*load)(const void *data, size_t size, int32_t describeOnly, uint64_t *engineModel, size_t *numInputs,
                     size_t *numOutputs, size_t *weightBytes, char *message, size_t messageLen);
    aclError (*describe)(uint64_t engineModel, int32_t isOutput, size_t index, acllite_emu_tensor_desc *desc);
    /* Run with the inputs' shapes; write the outputs into their buffers and their shapes into dims. */
    aclError (*execute)(uint64_t engineModel, const acllite_emu_tensor *inputs, size_t numInputs,
                        acllite_emu_tensor *outputs, size_t numOutputs, char *message, size_t messageLen);
    void (*unload)(uint64_t engineModel);
    /* Optional (NULL: not offered). Load an offline model file (.om): describe it from the file itself and run
     * it through an ONNX twin; same outputs as load. Without it, X.om is served by X.onnx alone. */
    aclError (*loadOm)(const char *path, uint64_t *engineModel, size_t *numInputs, size_t *numOutputs,
                       size_t *weightBytes, char *message, size_t messageLen);
    /* Optional. Static AIPP of an input: fill info and return ACL_SUCCESS, or ACL_ERROR_GE_AIPP_NOT_EXIST. */
    aclError (*aippInfo)(uint64_t engineModel, size_t index, aclAippInfo *info);
    /* Optional. Dynamic batch gears (ATC --dynamic_batch_size): fill batch (batchCount 0: none) and the index of
     * the extra input that carries the chosen batch (ACL_DYNAMIC_TENSOR_NAME). */
    aclError (*dynamicBatch)(uint64_t engineModel, aclmdlBatch *batch, size_t *dynamicInputIndex);
    /* Optional. Shape gears (ATC --dynamic_image_size: kind ACLLITE_EMU_GEARS_IMAGE_SIZE, --dynamic_dims:
     * ACLLITE_EMU_GEARS_DIMS; ACLLITE_EMU_GEARS_NONE: none): their count, the number of values that name a gear in
     * the extra input (ACL_DYNAMIC_TENSOR_NAME, one uint64 each: height and width, or the dynamic dims in order)
     * and that input's index. */
    aclError (*shapeGears)(uint64_t engineModel, int32_t *kind, size_t *gearCount, size_t *valueCount,
                           size_t *dynamicInputIndex);
    /* Optional, with shapeGears. At gear: the complete shape of input (ACLLITE_EMU_GEAR_INPUT) or output
     * (ACLLITE_EMU_GEAR_OUTPUT) index, or the gear's values (ACLLITE_EMU_GEAR_VALUES, index 0). */
    aclError (*gearShape)(uint64_t engineModel, size_t gear, int32_t role, size_t index, size_t *dimCount,
                          int64_t *dims);
    /* Optional. AIPP the emulator applies to input index at each execution: fill aipp and return ACL_SUCCESS, or
     * return ACL_ERROR_GE_AIPP_NOT_EXIST (none, or static AIPP the engine runs itself). The engine then gets the
     * model input the AIPP produces in place of the source images. */
    aclError (*aippInput)(uint64_t engineModel, size_t index, acllite_emu_aipp_input *aipp);
} acllite_emu_model_engine;

#define ACLLITE_EMU_GEARS_NONE 0
#define ACLLITE_EMU_GEARS_IMAGE_SIZE 1
#define ACLLITE_EMU_GEARS_DIMS 2
#define ACLLITE_EMU_GEAR_INPUT 0
#define ACLLITE_EMU_GEAR_OUTPUT 1
#define ACLLITE_EMU_GEAR_VALUES 2

/* Register the engine (copied). NULL unregisters: model loading then fails with ACL_ERROR_API_NOT_SUPPORT. */
void acllite_emu_set_model_engine(const acllite_emu_model_engine *engine);

/* ---- DVPP and image codecs ----
 * The emulator parses and checks every image, owns every buffer and descriptor and does all the pixel work
 * (layouts, strides, chroma sampling, resizing) in C. Only entropy coding is delegated, to a codec registered
 * here (acllite registers Pillow's libjpeg-turbo and zlib). A decoder hands its decoded rows to
 * acllite_emu_image_put_rows, which converts them straight into the DVPP output buffer: no intermediate image. */
#define ACLLITE_EMU_PIXELS_L 1     /* luma (grey) */
#define ACLLITE_EMU_PIXELS_YCBCR 2 /* Y, Cb, Cr: JFIF full range */
#define ACLLITE_EMU_PIXELS_RGB 3
#define ACLLITE_EMU_PIXELS_RGBA 4

/* Where a decoder delivers its rows; valid only during the decode callback that received it. */
typedef struct acllite_emu_image_sink acllite_emu_image_sink;

typedef struct {
    /* Decode a JPEG the emulator has checked (baseline Huffman, supported sampling and size), turned by the EXIF
     * orientation given (1..8, the TIFF values; 1: as stored), and deliver every row to sink. */
    aclError (*jpeg_decode)(acllite_emu_image_sink *sink, const void *data, size_t size, int32_t orientation,
                            char *message, size_t messageLen);
    /* Decode a PNG the emulator has checked (signature, chunk CRCs, header) and deliver RGB (keepAlpha 0) or RGBA
     * rows to sink. */
    aclError (*png_decode)(acllite_emu_image_sink *sink, const void *data, size_t size, int32_t keepAlpha,
                           char *message, size_t messageLen);
    /* Encode width x height pixels of packed Y, Cb, Cr (3 bytes each, rows rowStride bytes apart) as a baseline
     * JPEG with 4:2:0 sampling at quality 1..100 into out (capacity bytes); *written receives its size. */
    aclError (*jpeg_encode)(const void *pixels, uint32_t width, uint32_t height, size_t rowStride, int32_t quality,
                            void *out, size_t capacity, size_t *written, char *message, size_t messageLen);
} acllite_emu_image_codec;

/* Register the codec (copied). NULL unregisters: decoding and encoding then fail with ACL_ERROR_API_NOT_SUPPORT. */
void acllite_emu_set_image_codec(const acllite_emu_image_codec *codec);
/* For a decoder: rows [firstRow, firstRow + rowCount) of a width-pixel-wide image, pixelBytes bytes per pixel
 * (the layout, ACLLITE_EMU_PIXELS_*, in the first bytes), rowStride bytes apart. Rows come in order; a row count
 * must be even unless it ends the image. */
aclError acllite_emu_image_put_rows(acllite_emu_image_sink *sink, const void *pixels, uint32_t width,
                                    size_t rowStride, int32_t layout, int32_t pixelBytes, uint32_t firstRow,
                                    uint32_t rowCount);

/* ---- single-operator engine ----
 * The emulator owns operator attributes, handles, the registry of single-operator models (aclopSetModelDir,
 * aclopLoad, aclopCompile), matching, every check and the stream tasks; an engine registered here parses model
 * files and runs one operator on the buffers it is given (acllite registers one on onnxruntime).
 * Attributes cross as one canonical text, the same on both sides (docs/OPERATORS.md): entries sorted by name,
 * each "<name length>:<name> <type> <value>\n". */
typedef struct {
    aclDataType dataType;
    aclFormat format;
    size_t dimCount;
    int64_t dims[32];         /* -1: a dynamic dim; a single -2: any rank (a model's description only) */
    size_t rangeCount;        /* 0 or dimCount */
    int64_t ranges[32][2];    /* [min, max] of each dim (max -1: unbounded) */
    int32_t isConst;          /* a constant input: its value is part of the operator (aclSetTensorConst) */
} acllite_emu_op_tensor;

typedef struct {
    /* Parse a single-operator model (the bytes of a file acllite atc --singleop wrote): fill *engineOp, the
     * counts and the operator type; on failure return a status code and write a message. */
    aclError (*load)(const void *data, size_t size, uint64_t *engineOp, size_t *numInputs, size_t *numOutputs,
                     char *opType, size_t opTypeLen, char *message, size_t messageLen);
    aclError (*describe)(uint64_t engineOp, int32_t isOutput, size_t index, acllite_emu_op_tensor *desc);
    /* The canonical text of the model's attributes into text (capacity bytes, NUL-terminated); *needed receives
     * its length plus one, also when it does not fit (then the call fails with ACL_ERROR_STORAGE_OVER_LIMIT). */
    aclError (*attributes)(uint64_t engineOp, char *text, size_t capacity, size_t *needed);
    /* Build an operator from a description (aclopCompile): the same outputs as load. */
    aclError (*compile)(const char *opType, const acllite_emu_op_tensor *inputs, size_t numInputs,
                        const acllite_emu_op_tensor *outputs, size_t numOutputs, const char *attributes,
                        uint64_t *engineOp, char *message, size_t messageLen);
    /* Run at the inputs' shapes (dims set); write the outputs into their buffers, at the shapes given.
     * tensorsId is the same for executions of engineOp with the same tensors (addresses, sizes, shapes) and is
     * never used for other tensors (0: not known), so that an engine may key what it prepared on it. */
    aclError (*execute)(uint64_t engineOp, uint64_t tensorsId, const acllite_emu_tensor *inputs, size_t numInputs,
                        acllite_emu_tensor *outputs, size_t numOutputs, char *message, size_t messageLen);
    void (*unload)(uint64_t engineOp);
} acllite_emu_op_engine;

/* Register the engine (copied). NULL unregisters: loading operators then fails with ACL_ERROR_API_NOT_SUPPORT. */
void acllite_emu_set_op_engine(const acllite_emu_op_engine *engine);

/* ---- video codecs (VDEC, VENC) ----
 * The emulator owns VDEC/VENC channels, descriptions, every documented limit, the frame bookkeeping, the threads
 * and the delivery of callbacks through report threads, and it writes every decoded picture into the caller's
 * DVPP buffer itself (strides, NV12/NV21 interleaving, 10-bit to 8-bit, scaling). Only the bitstream coding is
 * delegated, to a codec registered here (acllite registers PyAV's, i.e. FFmpeg's H.264/H.265 decoders and
 * libx264/libx265). Pictures and packets cross as pointers, delivered to a sink during the call that made them. */
#define ACLLITE_EMU_VIDEO_H264 0
#define ACLLITE_EMU_VIDEO_H265 1
#define ACLLITE_EMU_VIDEO_I420 1    /* planar 4:2:0, 8-bit samples */
#define ACLLITE_EMU_VIDEO_I420_10 2 /* planar 4:2:0, 10-bit samples in 16-bit little-endian words */
#define ACLLITE_EMU_VIDEO_OTHER 3   /* any other layout (4:2:2, 4:4:4, grey, 12-bit...): not decodable by VDEC */
#define ACLLITE_EMU_VIDEO_CORRUPT 1 /* picture flag: the decoder concealed errors in it */
#define ACLLITE_EMU_VIDEO_INTERLACED 2 /* picture flag: an interlaced (field-coded) picture */

/* Where a decoder delivers its pictures or an encoder its packets; valid only during the call that received it. */
typedef struct acllite_emu_video_sink acllite_emu_video_sink;

typedef struct {
    /* A decoder for codec (ACLLITE_EMU_VIDEO_H264/H265); lowDelay 1: output in decoding order. */
    aclError (*decoderOpen)(int32_t codec, int32_t lowDelay, uint64_t *decoder, char *message, size_t messageLen);
    /* Decode one access unit tagged tag; every picture it completes goes to sink (display order) with the tag of
     * the access unit it came from. data NULL: end of stream: deliver every pending picture, then accept a new
     * stream. A non-zero return: the access unit was refused (the channel goes on). */
    aclError (*decode)(uint64_t decoder, const void *data, size_t size, int64_t tag, acllite_emu_video_sink *sink,
                       char *message, size_t messageLen);
    void (*decoderClose)(uint64_t decoder);
    /* An encoder: codec and profile (acldvppStreamFormat), size, key-frame interval, rate control (0 default,
     * 1 VBR, 2 CBR), bit rate in kbit/s (0: the codec's default) and frame rate. */
    aclError (*encoderOpen)(int32_t streamFormat, uint32_t width, uint32_t height, uint32_t keyFrameInterval,
                            uint32_t rcMode, uint32_t bitRate, uint32_t frameRate, uint64_t *encoder, char *message,
                            size_t messageLen);
    /* Encode one NV12 (vFirst 0) or NV21 picture tagged tag; every packet it completes goes to sink. y NULL: end of
     * stream (deliver every pending packet). */
    aclError (*encode)(uint64_t encoder, const void *y, size_t yStride, const void *uv, size_t uvStride,
                       int32_t vFirst, int32_t forceKeyFrame, int64_t tag, acllite_emu_video_sink *sink,
                       char *message, size_t messageLen);
    void (*encoderClose)(uint64_t encoder);
} acllite_emu_video_codec;

/* Register the codec (copied). NULL unregisters: VDEC/VENC channels then fail with ACL_ERROR_API_NOT_SUPPORT. */
void acllite_emu_set_video_codec(const acllite_emu_video_codec *codec);
/* For a decoder: one picture of width x height (layout ACLLITE_EMU_VIDEO_*), planes y, u, v rows *Stride bytes
 * apart, from the access unit tagged tag; profile as the bitstream says (H.264 profile_idc with the constraint
 * flags FFmpeg adds, H.265 general_profile_idc; -99 unknown); flags ACLLITE_EMU_VIDEO_CORRUPT/INTERLACED. */
aclError acllite_emu_video_put_picture(acllite_emu_video_sink *sink, int64_t tag, uint32_t width, uint32_t height,
                                       int32_t layout, int32_t profile, int32_t flags, const void *y, size_t yStride,
                                       const void *u, size_t uStride, const void *v, size_t vStride);
/* For an encoder: one encoded packet (an access unit, Annex-B) of the picture tagged tag. */
aclError acllite_emu_video_put_packet(acllite_emu_video_sink *sink, int64_t tag, const void *data, size_t size,
                                      int32_t keyFrame);

#endif
