/* Peer access between emulated devices: aclrtDeviceCanAccessPeer, aclrtDeviceEnablePeerAccess,
 * aclrtDeviceDisablePeerAccess, aclrtDevicePeerAccessStatus.
 *
 * As AscendCL documents it, enabling is one-directional and device-level: with device 0 current,
 * aclrtDeviceEnablePeerAccess(1, 0) lets device 0 exchange data with device 1 (a copy from device 0's memory to
 * device 1's); device 1 must enable device 0 for the other direction. Every copy between the memory of two devices
 * checks it (memapi.c): without it the copy fails with ACL_ERROR_RT_PARAM_INVALID, the code CANN gives when the
 * driver refuses an address (its "invalid value"). All emulated devices can reach each other. A device's settings
 * go with its last aclrtResetDevice. */
#include "emu.h"

static atomic_bool peer[EMU_MAX_DEVICES][EMU_MAX_DEVICES]; /* [src][dst]: enabled on src for dst */

bool emu_peer_enabled(int32_t src, int32_t dst) {
    if (src < 0 || dst < 0 || src >= EMU_MAX_DEVICES || dst >= EMU_MAX_DEVICES) return false;
    return src == dst || atomic_load(&peer[src][dst]);
}

void emu_peer_reset_device(int32_t device) {
    if (device < 0 || device >= EMU_MAX_DEVICES) return;
    for (int d = 0; d < EMU_MAX_DEVICES; d++) atomic_store(&peer[device][d], false);
}

/* The current device and a peer that is one of this process's devices, other than it. */
static aclError current_and_peer(int32_t peerDeviceId, const char *func, int32_t *device) {
    aclError err = emu_current_device(func, device);
    if (err || (err = emu_check_device(peerDeviceId, func))) return err;
    if (peerDeviceId == *device) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "peerDeviceId %d is the current device", peerDeviceId);
    }
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtDeviceCanAccessPeer(int32_t *canAccessPeer, int32_t deviceId, int32_t peerDeviceId) {
    const char *func = "aclrtDeviceCanAccessPeer";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (deviceId == peerDeviceId) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "deviceId %d cannot be equal to peerDeviceId %d", deviceId,
                        peerDeviceId);
    }
    if ((err = emu_check_device(peerDeviceId, func)) || (err = emu_check_device(deviceId, func))) return err;
    if (!canAccessPeer) return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func, "canAccessPeer is NULL");
    int32_t current = 0;
    if ((err = emu_current_device(func, &current))) return err; /* the runtime asks with a current context */
    *canAccessPeer = 1;
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtDeviceEnablePeerAccess(int32_t peerDeviceId, uint32_t flags) {
    const char *func = "aclrtDeviceEnablePeerAccess";
    aclError err = emu_require_init(func);
    if (err) return err;
    if (flags != 0) {
        return emu_fail(ACL_ERROR_FEATURE_UNSUPPORTED, func, "flags 0x%x: a reserved parameter, must be 0", flags);
    }
    int32_t device = 0;
    if ((err = current_and_peer(peerDeviceId, func, &device))) return err;
    atomic_store(&peer[device][peerDeviceId], true);
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtDeviceDisablePeerAccess(int32_t peerDeviceId) {
    const char *func = "aclrtDeviceDisablePeerAccess";
    int32_t device = 0;
    aclError err = current_and_peer(peerDeviceId, func, &device);
    if (err) return err;
    atomic_store(&peer[device][peerDeviceId], false);
    return ACL_SUCCESS;
}

EMU_EXPORT aclError aclrtDevicePeerAccessStatus(int32_t deviceId, int32_t peerDeviceId, int32_t *status) {
    const char *func = "aclrtDevicePeerAccessStatus";
    aclError err = emu_require_init(func);
    if (err || (err = emu_check_device(deviceId, func)) || (err = emu_check_device(peerDeviceId, func))) return err;
    if (!status) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "status is NULL");
    if (deviceId == peerDeviceId) {
        return emu_fail(ACL_ERROR_INVALID_PARAM, func, "deviceId %d cannot be equal to peerDeviceId %d", deviceId,
                        peerDeviceId);
    }
    *status = atomic_load(&peer[deviceId][peerDeviceId]) ? 1 : 0;
    return ACL_SUCCESS;
}
