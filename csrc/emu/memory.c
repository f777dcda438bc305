/* Emulated memory: device, pinned-host and DVPP allocations, each kind carved from its own arena inside one
 * address-space reservation made at the first aclInit. Because every emulated allocation lives in a known
 * range, "where does this pointer live" is one subtraction and a binary search, and a freed or foreign
 * pointer is recognised as such instead of being taken for host memory. Allocation is next-fit, so freed
 * addresses are not handed out again at once (use after free stays detectable for a while); freed pages are
 * returned to the OS. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "emu.h"

#define ARENA_KINDS 3 /* device, host, dvpp: emu_mem_kind - 1 */
#define GIB ((size_t)1 << 30)
#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((size_t)(a) - 1))

typedef struct {
    size_t off;  /* from the arena base */
    size_t size; /* what the caller asked for */
    size_t span; /* what the allocation occupies: the real rule ALIGN_UP(size, 32) + 32 (+ 0 unpadded), then EMU_ALIGN */
} emu_block;

typedef struct {
    pthread_mutex_t lock;
    uint8_t *base;
    size_t limit; /* bytes that may be allocated */
    size_t used;
    size_t cursor;
    emu_block *blocks; /* sorted by off */
    size_t count, cap;
} emu_arena;

static uint8_t *reservation;
static uintptr_t reservation_start, reservation_end;
static size_t arena_span;
static int arena_devices;
static emu_arena arenas[EMU_MAX_DEVICES][ARENA_KINDS];
static size_t page_size;

const char *emu_mem_kind_name(emu_mem_kind kind) {
    switch (kind) {
    case EMU_MEM_DEVICE: return "device memory";
    case EMU_MEM_HOST: return "pinned host memory (aclrtMallocHost)";
    case EMU_MEM_DVPP: return "DVPP memory (acldvppMalloc)";
    default: return "host memory";
    }
}

aclError emu_mem_init(void) {
    if (reservation) return ACL_SUCCESS; /* one reservation per process, reused after aclFinalize */
    page_size = (size_t)sysconf(_SC_PAGESIZE);
    arena_devices = emu_cfg.device_count;
    size_t total = 0;
    /* device_memory is at most 2^46 and the devices at most 64 (init.c): checked all the same */
    size_t rounded = 0; /* arena_span = ALIGN_UP(device_memory, GIB) + GIB */
    if (!emu_add(emu_cfg.device_memory, GIB - 1, &rounded) || !emu_add(rounded & ~(GIB - 1), GIB, &arena_span) ||
        !emu_mul(arena_span, (size_t)ARENA_KINDS * (size_t)arena_devices, &total)) {
        return emu_fail(ACL_ERROR_RT_MEMORY_ALLOCATION, "aclInit", "%zu bytes of memory for %d device(s) do not fit in "
                        "the address space", emu_cfg.device_memory, arena_devices);
    }
    void *p = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        return emu_fail(ACL_ERROR_RT_MEMORY_ALLOCATION, "aclInit",
                        "cannot reserve %zu bytes of address space for %d emulated device(s): %s", total,
                        arena_devices, strerror(errno));
    }
#ifdef MADV_HUGEPAGE
    /* aclrtMalloc's default policy is huge pages first; large copies run at full speed on them. */
    madvise(p, total, MADV_HUGEPAGE);
#endif
    reservation = p;
    reservation_start = (uintptr_t)p;
    reservation_end = reservation_start + total;
    for (int d = 0; d < arena_devices; d++) {
        for (int k = 0; k < ARENA_KINDS; k++) {
            emu_arena *a = &arenas[d][k];
            pthread_mutex_init(&a->lock, NULL);
            a->base = reservation + arena_span * (size_t)(d * ARENA_KINDS + k);
            /* DVPP memory on Ascend310 is a 4 GiB window of device memory. */
            a->limit = (k + 1 == EMU_MEM_DVPP && emu_cfg.device_memory > 4 * GIB) ? 4 * GIB : emu_cfg.device_memory;
        }
    }
    return ACL_SUCCESS;
}

static emu_arena *arena_of(uintptr_t addr, int32_t *device, emu_mem_kind *kind) {
    size_t idx = (addr - reservation_start) / arena_span;
    *device = (int32_t)(idx / ARENA_KINDS);
    *kind = (emu_mem_kind)(idx % ARENA_KINDS + 1);
    return &arenas[*device][idx % ARENA_KINDS];
}

/* Index of the block whose span contains off, or (size_t)-1. Requires the arena lock. */
static size_t find_block(const emu_arena *a, size_t off) {
    size_t lo = 0, hi = a->count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const emu_block *b = &a->blocks[mid];
        if (off < b->off) hi = mid;
        else if (off >= b->off + b->span) lo = mid + 1;
        else return mid;
    }
    return (size_t)-1;
}

aclError emu_mem_locate(const void *p, size_t len, emu_mem_where *where, const char *func, const char *arg) {
    uintptr_t addr = (uintptr_t)p;
    if (addr < reservation_start || addr >= reservation_end) {
        /* Host memory the emulator did not allocate: its extent is the caller's word, but the range must not wrap
         * around the address space, nor run into the emulated memory (where no allocation of its own starts). */
        if (len && addr > UINTPTR_MAX - (len - 1)) {
            return emu_fail(ACL_ERROR_INVALID_PARAM, func, "%s range [%p, +%zu) wraps around the address space", arg,
                            p, len);
        }
        if (len && reservation && addr < reservation_start && addr + (len - 1) >= reservation_start) {
            return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func, "%s range [%p, +%zu) of host memory runs into the "
                            "emulated device memory at %p", arg, p, len, (void *)reservation_start);
        }
        where->kind = EMU_MEM_PAGEABLE;
        where->device = -1;
        where->base = (void *)(uintptr_t)p;
        where->size = len;
        return ACL_SUCCESS;
    }
    emu_mem_kind kind;
    int32_t device;
    emu_arena *a = arena_of(addr, &device, &kind);
    size_t off = addr - (uintptr_t)a->base;
    pthread_mutex_lock(&a->lock);
    size_t i = find_block(a, off);
    if (i == (size_t)-1) {
        pthread_mutex_unlock(&a->lock);
        return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func,
                        "%s %p is in emulated %s of device %d but not in a live allocation (freed, or never "
                        "allocated)", arg, p, emu_mem_kind_name(kind), device);
    }
    emu_block b = a->blocks[i];
    pthread_mutex_unlock(&a->lock);
    size_t into = off - b.off;
    if (into > b.size || len > b.size - into) {
        return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func,
                        "%s range [%p, +%zu) leaves its allocation: %zu bytes of %s at %p, the range starts at "
                        "offset %zu", arg, p, len, b.size, emu_mem_kind_name(kind), (void *)(a->base + b.off), into);
    }
    where->kind = kind;
    where->device = device;
    where->base = a->base + b.off;
    where->size = b.size;
    return ACL_SUCCESS;
}

static bool find_gap(const emu_arena *a, size_t need, size_t from, size_t *off_out, size_t *idx_out) {
    size_t prev_end = 0;
    for (size_t i = 0; i <= a->count; i++) {
        size_t next = i < a->count ? a->blocks[i].off : arena_span;
        size_t start = ALIGN_UP(prev_end > from ? prev_end : from, EMU_ALIGN);
        if (start <= next && next - start >= need) {
            *off_out = start;
            *idx_out = i;
            return true;
        }
        if (i < a->count) prev_end = a->blocks[i].off + a->blocks[i].span;
    }
    return false;
}

aclError emu_mem_alloc(emu_mem_kind kind, int32_t device, size_t size, void **out, const char *func) {
    return emu_mem_alloc_span(kind, device, size, true, out, func);
}

aclError emu_mem_alloc_span(emu_mem_kind kind, int32_t device, size_t size, bool padded, void **out,
                            const char *func) {
    if (size == 0) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "size is 0");
    if (size > emu_cfg.device_memory) {
        return emu_fail(ACL_ERROR_RT_MEMORY_ALLOCATION, func,
                        "cannot allocate %zu bytes of %s: the emulated device has %zu bytes", size,
                        emu_mem_kind_name(kind), emu_cfg.device_memory);
    }
    if (device < 0 || device >= arena_devices) {
        return emu_fail(ACL_ERROR_RT_INVALID_DEVICEID, func, "device %d has no emulated memory", device);
    }
    emu_arena *a = &arenas[device][kind - 1];
    /* size <= device_memory <= 2^46: no wrap */
    size_t need = ALIGN_UP(ALIGN_UP(size, 32) + (padded ? 32 : 0), EMU_ALIGN);
    pthread_mutex_lock(&a->lock);
    size_t off, idx, after;
    if (!emu_add(a->used, need, &after) || after > a->limit ||
        (!find_gap(a, need, a->cursor, &off, &idx) && !find_gap(a, need, 0, &off, &idx))) {
        size_t used = a->used, limit = a->limit;
        pthread_mutex_unlock(&a->lock);
        return emu_fail(ACL_ERROR_RT_MEMORY_ALLOCATION, func,
                        "out of %s on device %d: %zu bytes requested, %zu of %zu in use", emu_mem_kind_name(kind),
                        device, size, used, limit);
    }
    if (a->count == a->cap) {
        size_t cap = 0, bytes = 0;
        emu_block *grown = emu_mul(a->cap ? a->cap : 32, 2, &cap) && emu_mul(cap, sizeof *grown, &bytes)
                               ? realloc(a->blocks, bytes) : NULL;
        if (!grown) {
            pthread_mutex_unlock(&a->lock);
            return emu_fail(ACL_ERROR_BAD_ALLOC, func, "out of host memory for the allocation table");
        }
        a->blocks = grown;
        a->cap = cap;
    }
    memmove(&a->blocks[idx + 1], &a->blocks[idx], (a->count - idx) * sizeof *a->blocks);
    a->blocks[idx] = (emu_block){off, size, need};
    a->count++;
    a->used += need;
    a->cursor = off + need;
    pthread_mutex_unlock(&a->lock);
    *out = a->base + off;
    return ACL_SUCCESS;
}

/* Give the pages of a released span back to the OS so long runs do not grow: the pages of [off, off + span) that
 * block i (just removed) occupied, including those it shared with its neighbours when no live block still uses
 * them (spans are 128-byte aligned, not page aligned: without this every allocation leaves a touched page or two
 * behind). Requires the arena lock: a page must not be discarded while a concurrent allocation already uses it. */
static void discard_freed(emu_arena *a, size_t i, size_t off, size_t span) {
    size_t lo = off & ~(page_size - 1), hi = ALIGN_UP(off + span, page_size);
    if (i > 0 && a->blocks[i - 1].off + a->blocks[i - 1].span > lo) {
        lo = ALIGN_UP(a->blocks[i - 1].off + a->blocks[i - 1].span, page_size);
    }
    if (i < a->count && a->blocks[i].off < hi) hi = a->blocks[i].off & ~(page_size - 1);
    if (hi > lo) madvise(a->base + lo, hi - lo, MADV_DONTNEED);
}

aclError emu_mem_free(emu_mem_kind expected, void *p, const char *func) {
    uintptr_t addr = (uintptr_t)p;
    if (p == NULL) return emu_fail(ACL_ERROR_INVALID_PARAM, func, "pointer is NULL");
    if (addr < reservation_start || addr >= reservation_end) {
        return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func,
                        "%p was not allocated by the emulator (host memory cannot be released here)", p);
    }
    emu_mem_kind kind;
    int32_t device;
    emu_arena *a = arena_of(addr, &device, &kind);
    size_t off = addr - (uintptr_t)a->base;
    if (kind != expected) {
        /* aclrtFree of DVPP memory works on real devices (a published Ascend310 run does it). */
        if (!(expected == EMU_MEM_DEVICE && kind == EMU_MEM_DVPP)) {
            return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func, "%p is %s, not %s", p, emu_mem_kind_name(kind),
                            emu_mem_kind_name(expected));
        }
        emu_log(ACLLITE_EMU_LOG_WARNING, "%s: %p is DVPP memory; acldvppFree is the matching call", func, p);
    }
    pthread_mutex_lock(&a->lock);
    size_t i = find_block(a, off);
    if (i == (size_t)-1 || a->blocks[i].off != off) {
        bool inside = i != (size_t)-1;
        pthread_mutex_unlock(&a->lock);
        return emu_fail(ACL_ERROR_RT_PARAM_INVALID, func, inside ? "%p is inside an allocation, not its start"
                                                                  : "%p is not a live allocation (double free?)", p);
    }
    emu_block b = a->blocks[i];
    memmove(&a->blocks[i], &a->blocks[i + 1], (a->count - i - 1) * sizeof *a->blocks);
    a->count--;
    a->used -= b.span;
    discard_freed(a, i, b.off, b.span);
    pthread_mutex_unlock(&a->lock);
    return ACL_SUCCESS;
}

static void count_arena(emu_arena *a, uint64_t *allocs, uint64_t *bytes) {
    for (size_t i = 0; i < a->count; i++) {
        (*allocs)++;
        *bytes += a->blocks[i].size;
    }
}

void emu_mem_count(int32_t device, acllite_emu_counts *c) {
    for (int d = 0; d < arena_devices; d++) {
        if (device >= 0 && d != device) continue;
        emu_arena *k = arenas[d];
        for (int i = 0; i < ARENA_KINDS; i++) pthread_mutex_lock(&k[i].lock);
        count_arena(&k[0], &c->deviceAllocations, &c->deviceBytes);
        count_arena(&k[1], &c->hostAllocations, &c->hostBytes);
        count_arena(&k[2], &c->dvppAllocations, &c->dvppBytes);
        for (int i = 0; i < ARENA_KINDS; i++) pthread_mutex_unlock(&k[i].lock);
    }
}

void emu_mem_release_device(int32_t device, acllite_emu_counts *leaks) {
    if (device < 0 || device >= arena_devices) return;
    emu_mem_count(device, leaks);
    for (int k = 0; k < ARENA_KINDS; k++) {
        emu_arena *a = &arenas[device][k];
        pthread_mutex_lock(&a->lock);
        if (a->count) { /* nothing stays alive: every page from the first block to the end of the last goes */
            size_t lo = a->blocks[0].off & ~(page_size - 1);
            size_t hi = ALIGN_UP(a->blocks[a->count - 1].off + a->blocks[a->count - 1].span, page_size);
            madvise(a->base + lo, hi - lo, MADV_DONTNEED);
        }
        a->count = 0;
        a->used = 0;
        pthread_mutex_unlock(&a->lock);
    }
}

size_t emu_mem_used(emu_mem_kind kind, int32_t device) {
    if (device < 0 || device >= arena_devices || kind == EMU_MEM_PAGEABLE) return 0;
    emu_arena *a = &arenas[device][kind - 1];
    pthread_mutex_lock(&a->lock);
    size_t used = a->used;
    pthread_mutex_unlock(&a->lock);
    return used;
}
