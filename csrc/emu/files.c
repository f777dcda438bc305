/* Reading the files AscendCL is given (models, acl.json): whole, bounded, and only regular files. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu.h"

const char *emu_file_kind(mode_t mode) {
    return S_ISREG(mode) ? "a regular file" : S_ISDIR(mode) ? "a directory" : S_ISFIFO(mode) ? "a FIFO"
           : S_ISCHR(mode) ? "a character device" : S_ISBLK(mode) ? "a block device" : S_ISSOCK(mode) ? "a socket"
                                                                                          : "not a regular file";
}

aclError emu_read_file(const char *path, size_t max, void **data, size_t *size, const char *func, const char *what) {
    /* O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below, like every non-regular file:
     * a directory, FIFO or device has no size, or an endless one). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return emu_fail(ACL_ERROR_INVALID_FILE, func, "cannot open %s %s: %s", what, path, strerror(errno));
    struct stat st;
    aclError err = ACL_SUCCESS;
    if (fstat(fd, &st) != 0) {
        err = emu_fail(ACL_ERROR_INVALID_FILE, func, "cannot read %s %s: %s", what, path, strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        err = emu_fail(ACL_ERROR_INVALID_FILE, func, "%s %s is %s, not a regular file", what, path,
                       emu_file_kind(st.st_mode));
    } else if (st.st_size < 0 || (uint64_t)st.st_size > max) {
        err = emu_fail(ACL_ERROR_INVALID_FILE_SIZE, func, "%s %s holds %lld bytes, more than the %zu accepted", what,
                       path, (long long)st.st_size, max);
    }
    if (err) {
        close(fd);
        return err;
    }
    size_t len = (size_t)st.st_size, got = 0;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        close(fd);
        return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory for %s %s (%zu bytes)", what, path, len);
    }
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fd);
    if (got != len) {
        free(buf);
        return emu_fail(ACL_ERROR_INVALID_FILE, func, "cannot read %s %s: %zu of its %zu bytes were read (did it "
                        "change meanwhile?)", what, path, got, len);
    }
    *data = buf;
    *size = len;
    return ACL_SUCCESS;
}
