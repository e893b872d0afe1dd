/* SPDX-License-Identifier: MIT */
/*
 * Text forms of keys: standard base64 with padding (RFC 4648 §4) and
 * lowercase hex. Decoders are strict: exact length, no whitespace, and a
 * canonical encoding (zero trailing bits), so that one key has one spelling.
 */
#ifndef MG_KEYTEXT_H
#define MG_KEYTEXT_H

#include <stddef.h>
#include <stdint.h>

/* Base64 length of n bytes, without terminator. 32 -> 44, 64 -> 88. */
#define MG_B64_LEN(n) ((((n) + 2) / 3) * 4)

enum mg_keytext_err {
	MG_KEYTEXT_OK = 0,
	MG_KEYTEXT_BAD_LENGTH = -1,    /* text has the wrong number of characters */
	MG_KEYTEXT_BAD_CHARS = -2,     /* not base64 / hex (or bad padding) */
	MG_KEYTEXT_NONCANONICAL = -3,  /* decodes, but not the canonical spelling */
};

/* Encode `len` bytes; `out` must hold MG_B64_LEN(len)+1 bytes. */
void mg_b64_encode(char *out, const uint8_t *in, size_t len);
/* Decode exactly `outlen` bytes from exactly MG_B64_LEN(outlen) characters. */
int mg_b64_decode_exact(uint8_t *out, size_t outlen, const char *text, size_t textlen);

/* Encode to lowercase hex; `out` holds 2*len+1 bytes. */
void mg_hex_encode(char *out, const uint8_t *in, size_t len);
/* Decode exactly `outlen` bytes from exactly 2*outlen hex digits (any case). */
int mg_hex_decode_exact(uint8_t *out, size_t outlen, const char *text, size_t textlen);

const char *mg_keytext_strerror(int err);

/* Length of `s[0..len)` without trailing '\n', '\r', ' ', '\t'. */
size_t mg_rtrim_len(const char *s, size_t len);

#endif
