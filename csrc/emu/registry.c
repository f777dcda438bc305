/* The handle registry: an open-addressing hash set of live object pointers with their kind and device.
 * Every handle the API receives is looked up here before it is dereferenced, so a stale or foreign handle
 * gives an error code instead of a crash. All functions run under emu_lock. */
#include <stdlib.h>
#include <string.h>

#include "emu.h"

typedef struct {
    const void *key; /* NULL: empty; TOMBSTONE: deleted */
    emu_handle_kind kind;
    int32_t device;
} reg_slot;

static const char tombstone_byte;
#define TOMBSTONE ((const void *)&tombstone_byte)

static reg_slot *slots;
static size_t capacity; /* power of two */
static size_t used;     /* live + tombstones */

static size_t hash_ptr(const void *p) {
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

static bool grow(void) {
    size_t new_cap = 256;
    if (capacity && !emu_mul(capacity, 2, &new_cap)) return false;
    reg_slot *fresh = calloc(new_cap, sizeof *fresh);
    if (!fresh) return false;
    size_t live = 0;
    for (size_t i = 0; i < capacity; i++) {
        if (slots[i].key == NULL || slots[i].key == TOMBSTONE) continue;
        size_t j = hash_ptr(slots[i].key) & (new_cap - 1);
        while (fresh[j].key) j = (j + 1) & (new_cap - 1);
        fresh[j] = slots[i];
        live++;
    }
    free(slots);
    slots = fresh;
    capacity = new_cap;
    used = live;
    return true;
}

static reg_slot *find(const void *p) {
    if (!capacity || p == NULL) return NULL;
    size_t j = hash_ptr(p) & (capacity - 1);
    for (size_t probes = 0; probes < capacity; probes++) {
        if (slots[j].key == NULL) return NULL;
        if (slots[j].key == p) return &slots[j];
        j = (j + 1) & (capacity - 1);
    }
    return NULL;
}

bool emu_reg_add(const void *p, emu_handle_kind kind, int32_t device) {
    if (used + 1 > capacity / 2 && !grow()) return false; /* at most half full */
    size_t j = hash_ptr(p) & (capacity - 1);
    while (slots[j].key != NULL && slots[j].key != TOMBSTONE) j = (j + 1) & (capacity - 1);
    if (slots[j].key == NULL) used++;
    slots[j].key = p;
    slots[j].kind = kind;
    slots[j].device = device;
    return true;
}

bool emu_reg_remove(const void *p, emu_handle_kind kind) {
    reg_slot *s = find(p);
    if (!s || s->kind != kind) return false;
    s->key = TOMBSTONE;
    s->kind = EMU_H_NONE;
    return true;
}

bool emu_reg_has(const void *p, emu_handle_kind kind) {
    reg_slot *s = find(p);
    return s && s->kind == kind;
}

size_t emu_reg_collect(emu_handle_kind kind, int32_t device, void **out, size_t max) {
    size_t n = 0;
    for (size_t i = 0; i < capacity; i++) {
        if (slots[i].key == NULL || slots[i].key == TOMBSTONE || slots[i].kind != kind) continue;
        if (device >= 0 && slots[i].device != device) continue;
        if (n < max) out[n] = (void *)(uintptr_t)slots[i].key;
        n++;
    }
    return n;
}

size_t emu_reg_count(emu_handle_kind kind, int32_t device) { return emu_reg_collect(kind, device, NULL, 0); }

size_t emu_reg_release_all(emu_handle_kind kind, int32_t device, void (*release)(void *)) {
    size_t n = emu_reg_count(kind, device);
    void **list = calloc(n + 1, sizeof *list);
    if (!list) return 0; /* out of memory: they stay registered and alive */
    emu_reg_collect(kind, device, list, n);
    for (size_t i = 0; i < n; i++) {
        emu_reg_remove(list[i], kind);
        release(list[i]);
    }
    free(list);
    return n;
}

void emu_reg_clear(void) {
    free(slots);
    slots = NULL;
    capacity = used = 0;
}
