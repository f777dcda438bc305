/* A JSON syntax check for aclInit's configuration file (acl.json): well-formed JSON, an object at the top,
 * at most 10 levels of nesting (the documented limit). Values are not interpreted. */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "json_check.h"

typedef struct {
    const char *p, *end;
    int depth;
    const char *error;
} json_cursor;

static void skip_ws(json_cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

static bool fail(json_cursor *c, const char *why) {
    if (!c->error) c->error = why;
    return false;
}

static bool value(json_cursor *c);

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF),
 * or 0. JSON text is UTF-8 (RFC 8259); CANN's parser refuses anything else. */
static size_t utf8_sequence(const unsigned char *p, const unsigned char *end) {
    unsigned char b = p[0];
    size_t n = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || (size_t)(end - p) < n) return 0;
    uint32_t cp = n == 1 ? b : n == 2 ? b & 0x1Fu : n == 3 ? b & 0x0Fu : b & 0x07u;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (p[i] & 0x3Fu);
    }
    static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

static bool string(json_cursor *c) {
    c->p++; /* opening quote */
    while (c->p < c->end && *c->p != '"') {
        unsigned char ch = (unsigned char)*c->p;
        if (ch < 0x20) return fail(c, "control character in a string");
        if (ch >= 0x80) {
            size_t n = utf8_sequence((const unsigned char *)c->p, (const unsigned char *)c->end);
            if (n == 0) return fail(c, "a string that is not UTF-8 text");
            c->p += n;
            continue;
        }
        if (ch == '\\') {
            c->p++;
            if (c->p >= c->end) break;
            if (*c->p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (c->p + i >= c->end || !isxdigit((unsigned char)c->p[i])) return fail(c, "bad \\u escape");
                c->p += 4;
            } else if (!strchr("\"\\/bfnrt", *c->p)) {
                return fail(c, "bad escape in a string");
            }
        }
        c->p++;
    }
    if (c->p >= c->end) return fail(c, "unterminated string");
    c->p++;
    return true;
}

static bool number(json_cursor *c) {
    const char *start = c->p;
    if (*c->p == '-') c->p++;
    if (c->p >= c->end || !isdigit((unsigned char)*c->p)) return fail(c, "bad number");
    if (*c->p == '0') c->p++;
    else while (c->p < c->end && isdigit((unsigned char)*c->p)) c->p++;
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        if (c->p >= c->end || !isdigit((unsigned char)*c->p)) return fail(c, "bad number");
        while (c->p < c->end && isdigit((unsigned char)*c->p)) c->p++;
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-')) c->p++;
        if (c->p >= c->end || !isdigit((unsigned char)*c->p)) return fail(c, "bad number");
        while (c->p < c->end && isdigit((unsigned char)*c->p)) c->p++;
    }
    return c->p > start;
}

static bool literal(json_cursor *c, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0) return fail(c, "unexpected character");
    c->p += n;
    return true;
}

static bool container(json_cursor *c, char close) {
    if (++c->depth > JSON_MAX_DEPTH) return fail(c, "nested deeper than 10 levels");
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        c->depth--;
        return true;
    }
    for (;;) {
        skip_ws(c);
        if (close == '}') {
            if (c->p >= c->end || *c->p != '"') return fail(c, "expected a member name");
            if (!string(c)) return false;
            skip_ws(c);
            if (c->p >= c->end || *c->p != ':') return fail(c, "expected ':'");
            c->p++;
        }
        if (!value(c)) return false;
        skip_ws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p < c->end && *c->p == close) {
            c->p++;
            c->depth--;
            return true;
        }
        return fail(c, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static bool value(json_cursor *c) {
    skip_ws(c);
    if (c->p >= c->end) return fail(c, "unexpected end of input");
    switch (*c->p) {
    case '{': return container(c, '}');
    case '[': return container(c, ']');
    case '"': return string(c);
    case 't': return literal(c, "true");
    case 'f': return literal(c, "false");
    case 'n': return literal(c, "null");
    default: return number(c);
    }
}

bool json_check(const char *text, size_t len, size_t *error_offset, const char **error) {
    json_cursor c = {text, text + len, 0, NULL};
    skip_ws(&c);
    bool ok = c.p < c.end && *c.p == '{' ? value(&c) : fail(&c, "the top level must be an object");
    if (ok) {
        skip_ws(&c);
        if (c.p != c.end) ok = fail(&c, "text after the top-level object");
    }
    if (!ok) {
        *error_offset = (size_t)(c.p - text);
        *error = c.error;
    }
    return ok;
}
