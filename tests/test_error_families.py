"""Every status code the declaration knows: its symbolic name, its exception family and the builtin that family
derives from (issue 18, survivor 3: moving ACL_ERROR_INVALID_MODEL_ID out of the ValueError families went unnoticed).

The table below is written out on purpose (generated once from acllite/errors.py, then reviewed code by code): a
test that reads the family table of acllite/errors.py would agree with any mistake in it. Codes the declaration
gains must be added here by hand, with the family that fits (AclError itself for internal errors and hardware
faults that no family describes); ``test_every_declared_code_is_in_the_table`` fails until they are.
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple, Type

import pytest

from acllite import errors
from acllite.binding import lib
from acllite.errors import (AclContextError, AclDeviceError, AclError, AclFileError, AclInvalidHandleError,
                            AclInvalidParamError, AclMemoryError, AclModelError, AclNotInitializedError,
                            AclNotSupportedError, AclStateError, AclTimeoutError)

SUCCESS_NAMES = {"ACL_SUCCESS", "ACL_ERROR_NONE", "ACL_RT_SUCCESS"}

#: name: (code, exception class, builtin base or None). Grouped by the header's ranges: 1000xx/1480xx ACL
#: parameter checks, 2000xx resources, 3/5000xx internal, 107xxx/207xxx/507xxx runtime, 145xxx/245xxx/
#: 345xxx/545xxx graph engine.
CODES: Dict[str, Tuple[int, Type[AclError], Optional[type]]] = {
    "ACL_ERROR_INVALID_PARAM":                         (100000, AclInvalidParamError, ValueError),
    "ACL_ERROR_UNINITIALIZE":                          (100001, AclNotInitializedError, RuntimeError),
    "ACL_ERROR_REPEAT_INITIALIZE":                     (100002, AclStateError, RuntimeError),
    "ACL_ERROR_INVALID_FILE":                          (100003, AclFileError, None),
    "ACL_ERROR_WRITE_FILE":                            (100004, AclFileError, None),
    "ACL_ERROR_INVALID_FILE_SIZE":                     (100005, AclFileError, None),
    "ACL_ERROR_PARSE_FILE":                            (100006, AclFileError, None),
    "ACL_ERROR_FILE_MISSING_ATTR":                     (100007, AclFileError, None),
    "ACL_ERROR_FILE_ATTR_INVALID":                     (100008, AclFileError, None),
    "ACL_ERROR_INVALID_DUMP_CONFIG":                   (100009, AclInvalidParamError, ValueError),
    "ACL_ERROR_INVALID_PROFILING_CONFIG":              (100010, AclInvalidParamError, ValueError),
    "ACL_ERROR_INVALID_MODEL_ID":                      (100011, AclInvalidHandleError, ValueError),
    "ACL_ERROR_DESERIALIZE_MODEL":                     (100012, AclModelError, None),
    "ACL_ERROR_PARSE_MODEL":                           (100013, AclModelError, None),
    "ACL_ERROR_READ_MODEL_FAILURE":                    (100014, AclModelError, None),
    "ACL_ERROR_MODEL_SIZE_INVALID":                    (100015, AclModelError, None),
    "ACL_ERROR_MODEL_MISSING_ATTR":                    (100016, AclModelError, None),
    "ACL_ERROR_MODEL_INPUT_NOT_MATCH":                 (100017, AclInvalidParamError, ValueError),
    "ACL_ERROR_MODEL_OUTPUT_NOT_MATCH":                (100018, AclInvalidParamError, ValueError),
    "ACL_ERROR_MODEL_NOT_DYNAMIC":                     (100019, AclModelError, None),
    "ACL_ERROR_OP_TYPE_NOT_MATCH":                     (100020, AclInvalidParamError, ValueError),
    "ACL_ERROR_OP_INPUT_NOT_MATCH":                    (100021, AclInvalidParamError, ValueError),
    "ACL_ERROR_OP_OUTPUT_NOT_MATCH":                   (100022, AclInvalidParamError, ValueError),
    "ACL_ERROR_OP_ATTR_NOT_MATCH":                     (100023, AclInvalidParamError, ValueError),
    "ACL_ERROR_OP_NOT_FOUND":                          (100024, AclModelError, None),
    "ACL_ERROR_OP_LOAD_FAILED":                        (100025, AclModelError, None),
    "ACL_ERROR_UNSUPPORTED_DATA_TYPE":                 (100026, AclNotSupportedError, NotImplementedError),
    "ACL_ERROR_FORMAT_NOT_MATCH":                      (100027, AclInvalidParamError, ValueError),
    "ACL_ERROR_BIN_SELECTOR_NOT_REGISTERED":           (100028, AclStateError, RuntimeError),
    "ACL_ERROR_KERNEL_NOT_FOUND":                      (100029, AclModelError, None),
    "ACL_ERROR_BIN_SELECTOR_ALREADY_REGISTERED":       (100030, AclStateError, RuntimeError),
    "ACL_ERROR_KERNEL_ALREADY_REGISTERED":             (100031, AclStateError, RuntimeError),
    "ACL_ERROR_INVALID_QUEUE_ID":                      (100032, AclInvalidHandleError, ValueError),
    "ACL_ERROR_REPEAT_SUBSCRIBE":                      (100033, AclStateError, RuntimeError),
    "ACL_ERROR_STREAM_NOT_SUBSCRIBE":                  (100034, AclStateError, RuntimeError),
    "ACL_ERROR_THREAD_NOT_SUBSCRIBE":                  (100035, AclStateError, RuntimeError),
    "ACL_ERROR_WAIT_CALLBACK_TIMEOUT":                 (100036, AclTimeoutError, TimeoutError),
    "ACL_ERROR_REPEAT_FINALIZE":                       (100037, AclStateError, RuntimeError),
    "ACL_ERROR_NOT_STATIC_AIPP":                       (100038, AclModelError, None),
    "ACL_ERROR_COMPILING_STUB_MODE":                   (100039, AclNotSupportedError, NotImplementedError),
    "ACL_ERROR_GROUP_NOT_SET":                         (100040, AclStateError, RuntimeError),
    "ACL_ERROR_GROUP_NOT_CREATE":                      (100041, AclStateError, RuntimeError),
    "ACL_ERROR_PROF_ALREADY_RUN":                      (100042, AclStateError, RuntimeError),
    "ACL_ERROR_PROF_NOT_RUN":                          (100043, AclStateError, RuntimeError),
    "ACL_ERROR_DUMP_ALREADY_RUN":                      (100044, AclStateError, RuntimeError),
    "ACL_ERROR_DUMP_NOT_RUN":                          (100045, AclStateError, RuntimeError),
    "ACL_ERROR_RT_PARAM_INVALID":                      (107000, AclInvalidParamError, ValueError),
    "ACL_ERROR_RT_INVALID_DEVICEID":                   (107001, AclDeviceError, ValueError),
    "ACL_ERROR_RT_CONTEXT_NULL":                       (107002, AclContextError, RuntimeError),
    "ACL_ERROR_RT_STREAM_CONTEXT":                     (107003, AclContextError, RuntimeError),
    "ACL_ERROR_RT_MODEL_CONTEXT":                      (107004, AclContextError, RuntimeError),
    "ACL_ERROR_RT_STREAM_MODEL":                       (107005, AclInvalidParamError, ValueError),
    "ACL_ERROR_RT_EVENT_TIMESTAMP_INVALID":            (107006, AclStateError, RuntimeError),
    "ACL_ERROR_RT_EVENT_TIMESTAMP_REVERSAL":           (107007, AclStateError, RuntimeError),
    "ACL_ERROR_RT_ADDR_UNALIGNED":                     (107008, AclInvalidParamError, ValueError),
    "ACL_ERROR_RT_FILE_OPEN":                          (107009, AclFileError, None),
    "ACL_ERROR_RT_FILE_WRITE":                         (107010, AclFileError, None),
    "ACL_ERROR_RT_STREAM_SUBSCRIBE":                   (107011, AclStateError, RuntimeError),
    "ACL_ERROR_RT_THREAD_SUBSCRIBE":                   (107012, AclStateError, RuntimeError),
    "ACL_ERROR_RT_GROUP_NOT_SET":                      (107013, AclStateError, RuntimeError),
    "ACL_ERROR_RT_GROUP_NOT_CREATE":                   (107014, AclStateError, RuntimeError),
    "ACL_ERROR_RT_STREAM_NO_CB_REG":                   (107015, AclStateError, RuntimeError),
    "ACL_ERROR_RT_INVALID_MEMORY_TYPE":                (107016, AclInvalidParamError, ValueError),
    "ACL_ERROR_RT_INVALID_HANDLE":                     (107017, AclInvalidHandleError, ValueError),
    "ACL_ERROR_RT_INVALID_MALLOC_TYPE":                (107018, AclInvalidParamError, ValueError),
    "ACL_ERROR_RT_WAIT_TIMEOUT":                       (107019, AclTimeoutError, TimeoutError),
    "ACL_ERROR_RT_TASK_TIMEOUT":                       (107020, AclTimeoutError, TimeoutError),
    "ACL_ERROR_RT_SYSPARAMOPT_NOT_SET":                (107021, AclStateError, RuntimeError),
    "ACL_ERROR_RT_DEVICE_TASK_ABORT":                  (107022, AclError, None),
    "ACL_ERROR_RT_STREAM_ABORT":                       (107023, AclError, None),
    "ACL_ERROR_RT_CAPTURE_DEPENDENCY":                 (107024, AclStateError, RuntimeError),
    "ACL_ERROR_RT_STREAM_UNJOINED":                    (107025, AclStateError, RuntimeError),
    "ACL_ERROR_RT_MODEL_CAPTURED":                     (107026, AclStateError, RuntimeError),
    "ACL_ERROR_RT_STREAM_CAPTURED":                    (107027, AclStateError, RuntimeError),
    "ACL_ERROR_RT_EVENT_CAPTURED":                     (107028, AclStateError, RuntimeError),
    "ACL_ERROR_RT_STREAM_NOT_CAPTURED":                (107029, AclStateError, RuntimeError),
    "ACL_ERROR_RT_CAPTURE_MODE_NOT_SUPPORT":           (107030, AclNotSupportedError, NotImplementedError),
    "ACL_ERROR_RT_STREAM_CAPTURE_IMPLICIT":            (107031, AclStateError, RuntimeError),
    "ACL_ERROR_STREAM_CAPTURE_CONFLICT":               (107032, AclStateError, RuntimeError),
    "ACL_ERROR_STREAM_TASK_GROUP_STATUS":              (107033, AclError, None),
    "ACL_ERROR_STREAM_TASK_GROUP_INTR":                (107034, AclError, None),
    "ACL_ERROR_RT_TASK_ABORT_STOP":                    (107035, AclError, None),
    "ACL_ERROR_RT_STREAM_CAPTURE_UNMATCHED":           (107036, AclStateError, RuntimeError),
    "ACL_ERROR_RT_MODEL_RUNNING":                      (107037, AclStateError, RuntimeError),
    "ACL_ERROR_RT_STREAM_CAPTURE_WRONG_THREAD":        (107038, AclStateError, RuntimeError),
    "ACL_ERROR_RT_INSUFFICIENT_INPUT_ARRAY":           (107039, AclInvalidParamError, ValueError),
    "ACL_ERROR_RT_MODEL_UPDATE_FAILED":                (107040, AclModelError, None),
    "ACL_ERROR_RT_CAPTURE_MODE_BLOCK_ASYNC":           (107041, AclStateError, RuntimeError),
    "ACL_ERROR_RT_SYMBOL_NOT_FOUND":                   (107042, AclInvalidParamError, ValueError),
    "ACL_ERROR_RT_INVALID_SYMBOL":                     (107043, AclInvalidParamError, ValueError),
    "ACL_ERROR_RT_INVALID_DEVICE_FUNCTION":            (107044, AclInvalidParamError, ValueError),
    "ACL_ERROR_RT_STREAM_NOT_SUPPORT_OPERA":           (107045, AclNotSupportedError, NotImplementedError),
    "ACL_ERROR_RT_SUB_ACLGRAPH_IS_CAPTURING":          (107046, AclStateError, RuntimeError),
    "ACL_ERROR_GE_PARAM_INVALID":                      (145000, AclInvalidParamError, ValueError),
    "ACL_ERROR_GE_EXEC_NOT_INIT":                      (145001, AclNotInitializedError, RuntimeError),
    "ACL_ERROR_GE_EXEC_MODEL_PATH_INVALID":            (145002, AclModelError, None),
    "ACL_ERROR_GE_EXEC_MODEL_ID_INVALID":              (145003, AclInvalidHandleError, ValueError),
    "ACL_ERROR_GE_EXEC_MODEL_DATA_SIZE_INVALID":       (145006, AclModelError, None),
    "ACL_ERROR_GE_EXEC_MODEL_ADDR_INVALID":            (145007, AclModelError, None),
    "ACL_ERROR_GE_EXEC_MODEL_QUEUE_ID_INVALID":        (145008, AclInvalidHandleError, ValueError),
    "ACL_ERROR_GE_EXEC_LOAD_MODEL_REPEATED":           (145009, AclStateError, RuntimeError),
    "ACL_ERROR_GE_DYNAMIC_INPUT_ADDR_INVALID":         (145011, AclInvalidParamError, ValueError),
    "ACL_ERROR_GE_DYNAMIC_INPUT_LENGTH_INVALID":       (145012, AclInvalidParamError, ValueError),
    "ACL_ERROR_GE_DYNAMIC_BATCH_SIZE_INVALID":         (145013, AclInvalidParamError, ValueError),
    "ACL_ERROR_GE_AIPP_BATCH_EMPTY":                   (145014, AclInvalidParamError, ValueError),
    "ACL_ERROR_GE_AIPP_NOT_EXIST":                     (145015, AclModelError, None),
    "ACL_ERROR_GE_AIPP_MODE_INVALID":                  (145016, AclInvalidParamError, ValueError),
    "ACL_ERROR_GE_OP_TASK_TYPE_INVALID":               (145017, AclModelError, None),
    "ACL_ERROR_GE_OP_KERNEL_TYPE_INVALID":             (145018, AclModelError, None),
    "ACL_ERROR_GE_PLGMGR_PATH_INVALID":                (145019, AclFileError, None),
    "ACL_ERROR_GE_FORMAT_INVALID":                     (145020, AclInvalidParamError, ValueError),
    "ACL_ERROR_GE_SHAPE_INVALID":                      (145021, AclInvalidParamError, ValueError),
    "ACL_ERROR_GE_DATATYPE_INVALID":                   (145022, AclInvalidParamError, ValueError),
    "ACL_ERROR_PROF_REPEAT_SUBSCRIBE":                 (148046, AclStateError, RuntimeError),
    "ACL_ERROR_PROF_API_CONFLICT":                     (148047, AclStateError, RuntimeError),
    "ACL_ERROR_INVALID_MAX_OPQUEUE_NUM_CONFIG":        (148048, AclInvalidParamError, ValueError),
    "ACL_ERROR_INVALID_OPP_PATH":                      (148049, AclFileError, None),
    "ACL_ERROR_OP_UNSUPPORTED_DYNAMIC":                (148050, AclNotSupportedError, NotImplementedError),
    "ACL_ERROR_RELATIVE_RESOURCE_NOT_CLEARED":         (148051, AclStateError, RuntimeError),
    "ACL_ERROR_UNSUPPORTED_JPEG":                      (148052, AclInvalidParamError, ValueError),
    "ACL_ERROR_INVALID_BUNDLE_MODEL_ID":               (148053, AclInvalidHandleError, ValueError),
    "ACL_ERROR_BAD_ALLOC":                             (200000, AclMemoryError, MemoryError),
    "ACL_ERROR_API_NOT_SUPPORT":                       (200001, AclNotSupportedError, NotImplementedError),
    "ACL_ERROR_INVALID_DEVICE":                        (200002, AclDeviceError, ValueError),
    "ACL_ERROR_MEMORY_ADDRESS_UNALIGNED":              (200003, AclInvalidParamError, ValueError),
    "ACL_ERROR_RESOURCE_NOT_MATCH":                    (200004, AclInvalidParamError, ValueError),
    "ACL_ERROR_INVALID_RESOURCE_HANDLE":               (200005, AclInvalidHandleError, ValueError),
    "ACL_ERROR_FEATURE_UNSUPPORTED":                   (200006, AclNotSupportedError, NotImplementedError),
    "ACL_ERROR_PROF_MODULES_UNSUPPORTED":              (200007, AclNotSupportedError, NotImplementedError),
    "ACL_ERROR_RT_FEATURE_NOT_SUPPORT":                (207000, AclNotSupportedError, NotImplementedError),
    "ACL_ERROR_RT_MEMORY_ALLOCATION":                  (207001, AclMemoryError, MemoryError),
    "ACL_ERROR_RT_MEMORY_FREE":                        (207002, AclError, None),
    "ACL_ERROR_RT_AICORE_OVER_FLOW":                   (207003, AclError, None),
    "ACL_ERROR_RT_NO_DEVICE":                          (207004, AclDeviceError, ValueError),
    "ACL_ERROR_RT_RESOURCE_ALLOC_FAIL":                (207005, AclMemoryError, MemoryError),
    "ACL_ERROR_RT_NO_PERMISSION":                      (207006, AclError, None),
    "ACL_ERROR_RT_NO_EVENT_RESOURCE":                  (207007, AclMemoryError, MemoryError),
    "ACL_ERROR_RT_NO_STREAM_RESOURCE":                 (207008, AclMemoryError, MemoryError),
    "ACL_ERROR_RT_NO_NOTIFY_RESOURCE":                 (207009, AclMemoryError, MemoryError),
    "ACL_ERROR_RT_NO_MODEL_RESOURCE":                  (207010, AclMemoryError, MemoryError),
    "ACL_ERROR_RT_NO_CDQ_RESOURCE":                    (207011, AclMemoryError, MemoryError),
    "ACL_ERROR_RT_OVER_LIMIT":                         (207012, AclMemoryError, MemoryError),
    "ACL_ERROR_RT_QUEUE_EMPTY":                        (207013, AclError, None),
    "ACL_ERROR_RT_QUEUE_FULL":                         (207014, AclError, None),
    "ACL_ERROR_RT_REPEATED_INIT":                      (207015, AclStateError, RuntimeError),
    "ACL_ERROR_RT_AIVEC_OVER_FLOW":                    (207016, AclError, None),
    "ACL_ERROR_RT_OVER_FLOW":                          (207017, AclError, None),
    "ACL_ERROR_RT_DEVICE_OOM":                         (207018, AclMemoryError, MemoryError),
    "ACL_ERROR_RT_FEATURE_NOT_SUPPORT_UPDATE_OP":      (207019, AclNotSupportedError, NotImplementedError),
    "ACL_ERROR_RT_TIMEOUT":                            (207020, AclTimeoutError, TimeoutError),
    "ACL_ERROR_GE_MEMORY_ALLOCATION":                  (245000, AclMemoryError, MemoryError),
    "ACL_ERROR_GE_MEMORY_OPERATE_FAILED":              (245001, AclError, None),
    "ACL_ERROR_GE_DEVICE_MEMORY_OPERATE_FAILED":       (245002, AclError, None),
    "ACL_ERROR_STORAGE_OVER_LIMIT":                    (300000, AclMemoryError, MemoryError),
    "ACL_ERROR_GE_SUBHEALTHY":                         (345102, AclError, None),
    "ACL_ERROR_GE_USER_RAISE_EXCEPTION":               (345103, AclError, None),
    "ACL_ERROR_GE_DATA_NOT_ALIGNED":                   (345104, AclError, None),
    "ACL_ERROR_INTERNAL_ERROR":                        (500000, AclError, None),
    "ACL_ERROR_FAILURE":                               (500001, AclError, None),
    "ACL_ERROR_GE_FAILURE":                            (500002, AclError, None),
    "ACL_ERROR_RT_FAILURE":                            (500003, AclError, None),
    "ACL_ERROR_DRV_FAILURE":                           (500004, AclError, None),
    "ACL_ERROR_PROFILING_FAILURE":                     (500005, AclError, None),
    "ACL_ERROR_RT_INTERNAL_ERROR":                     (507000, AclError, None),
    "ACL_ERROR_RT_TS_ERROR":                           (507001, AclError, None),
    "ACL_ERROR_RT_STREAM_TASK_FULL":                   (507002, AclError, None),
    "ACL_ERROR_RT_STREAM_TASK_EMPTY":                  (507003, AclError, None),
    "ACL_ERROR_RT_STREAM_NOT_COMPLETE":                (507004, AclStateError, RuntimeError),
    "ACL_ERROR_RT_END_OF_SEQUENCE":                    (507005, AclError, None),
    "ACL_ERROR_RT_EVENT_NOT_COMPLETE":                 (507006, AclStateError, RuntimeError),
    "ACL_ERROR_RT_CONTEXT_RELEASE_ERROR":              (507007, AclError, None),
    "ACL_ERROR_RT_SOC_VERSION":                        (507008, AclNotSupportedError, NotImplementedError),
    "ACL_ERROR_RT_TASK_TYPE_NOT_SUPPORT":              (507009, AclNotSupportedError, NotImplementedError),
    "ACL_ERROR_RT_LOST_HEARTBEAT":                     (507010, AclError, None),
    "ACL_ERROR_RT_MODEL_EXECUTE":                      (507011, AclModelError, None),
    "ACL_ERROR_RT_REPORT_TIMEOUT":                     (507012, AclTimeoutError, TimeoutError),
    "ACL_ERROR_RT_SYS_DMA":                            (507013, AclError, None),
    "ACL_ERROR_RT_AICORE_TIMEOUT":                     (507014, AclTimeoutError, TimeoutError),
    "ACL_ERROR_RT_AICORE_EXCEPTION":                   (507015, AclError, None),
    "ACL_ERROR_RT_AICORE_TRAP_EXCEPTION":              (507016, AclError, None),
    "ACL_ERROR_RT_AICPU_TIMEOUT":                      (507017, AclTimeoutError, TimeoutError),
    "ACL_ERROR_RT_AICPU_EXCEPTION":                    (507018, AclError, None),
    "ACL_ERROR_RT_AICPU_DATADUMP_RSP_ERR":             (507019, AclError, None),
    "ACL_ERROR_RT_AICPU_MODEL_RSP_ERR":                (507020, AclError, None),
    "ACL_ERROR_RT_PROFILING_ERROR":                    (507021, AclError, None),
    "ACL_ERROR_RT_IPC_ERROR":                          (507022, AclError, None),
    "ACL_ERROR_RT_MODEL_ABORT_NORMAL":                 (507023, AclError, None),
    "ACL_ERROR_RT_KERNEL_UNREGISTERING":               (507024, AclError, None),
    "ACL_ERROR_RT_RINGBUFFER_NOT_INIT":                (507025, AclStateError, RuntimeError),
    "ACL_ERROR_RT_RINGBUFFER_NO_DATA":                 (507026, AclError, None),
    "ACL_ERROR_RT_KERNEL_LOOKUP":                      (507027, AclError, None),
    "ACL_ERROR_RT_KERNEL_DUPLICATE":                   (507028, AclError, None),
    "ACL_ERROR_RT_DEBUG_REGISTER_FAIL":                (507029, AclError, None),
    "ACL_ERROR_RT_DEBUG_UNREGISTER_FAIL":              (507030, AclError, None),
    "ACL_ERROR_RT_LABEL_CONTEXT":                      (507031, AclError, None),
    "ACL_ERROR_RT_PROGRAM_USE_OUT":                    (507032, AclError, None),
    "ACL_ERROR_RT_DEV_SETUP_ERROR":                    (507033, AclError, None),
    "ACL_ERROR_RT_VECTOR_CORE_TIMEOUT":                (507034, AclTimeoutError, TimeoutError),
    "ACL_ERROR_RT_VECTOR_CORE_EXCEPTION":              (507035, AclError, None),
    "ACL_ERROR_RT_VECTOR_CORE_TRAP_EXCEPTION":         (507036, AclError, None),
    "ACL_ERROR_RT_CDQ_BATCH_ABNORMAL":                 (507037, AclError, None),
    "ACL_ERROR_RT_DIE_MODE_CHANGE_ERROR":              (507038, AclError, None),
    "ACL_ERROR_RT_DIE_SET_ERROR":                      (507039, AclError, None),
    "ACL_ERROR_RT_INVALID_DIEID":                      (507040, AclInvalidParamError, ValueError),
    "ACL_ERROR_RT_DIE_MODE_NOT_SET":                   (507041, AclStateError, RuntimeError),
    "ACL_ERROR_RT_AICORE_TRAP_READ_OVERFLOW":          (507042, AclError, None),
    "ACL_ERROR_RT_AICORE_TRAP_WRITE_OVERFLOW":         (507043, AclError, None),
    "ACL_ERROR_RT_VECTOR_CORE_TRAP_READ_OVERFLOW":     (507044, AclError, None),
    "ACL_ERROR_RT_VECTOR_CORE_TRAP_WRITE_OVERFLOW":    (507045, AclError, None),
    "ACL_ERROR_RT_STREAM_SYNC_TIMEOUT":                (507046, AclTimeoutError, TimeoutError),
    "ACL_ERROR_RT_EVENT_SYNC_TIMEOUT":                 (507047, AclTimeoutError, TimeoutError),
    "ACL_ERROR_RT_FFTS_PLUS_TIMEOUT":                  (507048, AclTimeoutError, TimeoutError),
    "ACL_ERROR_RT_FFTS_PLUS_EXCEPTION":                (507049, AclError, None),
    "ACL_ERROR_RT_FFTS_PLUS_TRAP_EXCEPTION":           (507050, AclError, None),
    "ACL_ERROR_RT_SEND_MSG":                           (507051, AclError, None),
    "ACL_ERROR_RT_COPY_DATA":                          (507052, AclError, None),
    "ACL_ERROR_RT_DEVICE_MEM_ERROR":                   (507053, AclError, None),
    "ACL_ERROR_RT_HBM_MULTI_BIT_ECC_ERROR":            (507054, AclError, None),
    "ACL_ERROR_RT_SUSPECT_DEVICE_MEM_ERROR":           (507055, AclError, None),
    "ACL_ERROR_RT_LINK_ERROR":                         (507056, AclError, None),
    "ACL_ERROR_RT_SUSPECT_REMOTE_ERROR":               (507057, AclError, None),
    "ACL_ERROR_RT_DRV_INTERNAL_ERROR":                 (507899, AclError, None),
    "ACL_ERROR_RT_AICPU_INTERNAL_ERROR":               (507900, AclError, None),
    "ACL_ERROR_RT_SOCKET_CLOSE":                       (507901, AclError, None),
    "ACL_ERROR_RT_AICPU_INFO_LOAD_RSP_ERR":            (507902, AclError, None),
    "ACL_ERROR_RT_STREAM_CAPTURE_INVALIDATED":         (507903, AclStateError, RuntimeError),
    "ACL_ERROR_RT_COMM_OP_RETRY_FAIL":                 (507904, AclError, None),
    "ACL_ERROR_SNAPSHOT_LOCK_TIMEOUT":                 (507905, AclTimeoutError, TimeoutError),
    "ACL_ERROR_SNAPSHOT_LOCK_FAILED":                  (507906, AclError, None),
    "ACL_ERROR_SNAPSHOT_UNLOCK_FAILED":                (507907, AclError, None),
    "ACL_ERROR_SNAPSHOT_BACKUP_FAILED":                (507908, AclError, None),
    "ACL_ERROR_SNAPSHOT_RESTORE_FAILED":               (507909, AclError, None),
    "ACL_ERROR_HOST_MEMORY_ALREADY_REGISTERED":        (507910, AclStateError, RuntimeError),
    "ACL_ERROR_HOST_MEMORY_NOT_REGISTERED":            (507911, AclStateError, RuntimeError),
    "ACL_ERROR_SNAPSHOT_CALLBACK_FAILED":              (507912, AclError, None),
    "ACL_ERROR_SNAPSHOT_REGISTER_CALLBACK_FAILED":     (507913, AclError, None),
    "ACL_ERROR_RT_L3_PORT_ERROR":                      (507914, AclError, None),
    "ACL_ERROR_RT_CCU_TIMEOUT":                        (507915, AclTimeoutError, TimeoutError),
    "ACL_ERROR_RT_CCU_EXCEPTION":                      (507916, AclError, None),
    "ACL_ERROR_GE_INTERNAL_ERROR":                     (545000, AclError, None),
    "ACL_ERROR_GE_LOAD_MODEL":                         (545001, AclModelError, None),
    "ACL_ERROR_GE_EXEC_LOAD_MODEL_PARTITION_FAILED":   (545002, AclModelError, None),
    "ACL_ERROR_GE_EXEC_LOAD_WEIGHT_PARTITION_FAILED":  (545003, AclModelError, None),
    "ACL_ERROR_GE_EXEC_LOAD_TASK_PARTITION_FAILED":    (545004, AclModelError, None),
    "ACL_ERROR_GE_EXEC_LOAD_KERNEL_PARTITION_FAILED":  (545005, AclModelError, None),
    "ACL_ERROR_GE_EXEC_RELEASE_MODEL_DATA":            (545006, AclModelError, None),
    "ACL_ERROR_GE_COMMAND_HANDLE":                     (545007, AclError, None),
    "ACL_ERROR_GE_GET_TENSOR_INFO":                    (545008, AclModelError, None),
    "ACL_ERROR_GE_UNLOAD_MODEL":                       (545009, AclModelError, None),
    "ACL_ERROR_GE_MODEL_EXECUTE_TIMEOUT":              (545601, AclTimeoutError, TimeoutError),
    "ACL_ERROR_GE_REDEPLOYING":                        (545602, AclError, None),
}

_BUILTINS = (ValueError, RuntimeError, MemoryError, TimeoutError, NotImplementedError)


def _declared() -> Dict[str, int]:
    return {name: getattr(lib, name) for name in dir(lib)
            if name.startswith("ACL_ERROR_") or name in SUCCESS_NAMES}


def test_every_declared_code_is_in_the_table() -> None:
    declared = {name: code for name, code in _declared().items() if name not in SUCCESS_NAMES}
    missing = sorted(set(declared) - set(CODES), key=lambda n: declared[n])
    assert not missing, (
        "%d status code(s) declared in csrc/api/*.h are missing from tests/test_error_families.py's CODES table: "
        "add each with the exception family it belongs to (and put it in that family in acllite/errors.py):\n%s"
        % (len(missing), "\n".join("    %s = %d" % (n, declared[n]) for n in missing)))
    stale = sorted(set(CODES) - set(declared))
    assert not stale, "CODES lists codes the declaration does not have: %s" % stale


def test_success_codes() -> None:
    declared = _declared()
    assert [declared[n] for n in sorted(SUCCESS_NAMES & set(declared))] == [0] * len(SUCCESS_NAMES & set(declared))
    assert "ACL_SUCCESS" in declared and "ACL_ERROR_NONE" in declared
    assert errors.error_name(0) == "ACL_SUCCESS"
    assert errors.check(0, "aclNothing") is None


def test_table_codes_are_distinct() -> None:
    codes = [code for code, _, _ in CODES.values()]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize("name", sorted(CODES, key=lambda n: CODES[n][0]))
def test_code_family(name: str) -> None:
    code, family, builtin = CODES[name]
    assert getattr(lib, name) == code, "%s is %d in the declaration, %d in the table" % (name, getattr(lib, name), code)
    assert errors.error_name(code) == name
    with pytest.raises(AclError) as info:
        errors.check(code, "aclSomething")
    exc = info.value
    assert type(exc) is family, "%s (%d) raised %s, expected %s" % (name, code, type(exc).__name__, family.__name__)
    assert (exc.code, exc.name, exc.function) == (code, name, "aclSomething")
    assert str(exc).startswith("aclSomething failed: %s (%d)" % (name, code))
    inherited = [b for b in _BUILTINS if isinstance(exc, b)]
    inherited = [b for b in inherited if not any(o is not b and issubclass(o, b) for o in inherited)]  # most derived
    assert inherited == ([builtin] if builtin else []), "%s: %s derives from %s, expected %s" % (
        name, family.__name__, [b.__name__ for b in inherited], builtin and builtin.__name__)


def test_unknown_code() -> None:
    assert errors.error_name(999999) == "code 999999"
    with pytest.raises(AclError) as info:
        errors.check(999999, "aclSomething")
    assert type(info.value) is AclError and info.value.code == 999999
