/* SPDX-License-Identifier: MIT */
/*
 * The node's identity and the org signing key (both Ed25519 key pairs in
 * upstream's file format), the WireGuard key derived from the identity, and
 * the mesh addresses and org domain derived by BLAKE3 (upstream §3, §4).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "blake3.h"
#include "fsutil.h"
#include "internal.h"
#include "keytext.h"

/* Where a key pair lives, relative to the config directory. */
struct keypair_files {
	const char *subdir; /* NULL or "org" */
	const char *key;    /* "identity.key" */
	const char *pub;    /* "identity.pub" */
	const char *what;   /* "identity" */
	const char *create; /* the command that creates it */
};

static const struct keypair_files IDENTITY_FILES = {
	NULL, "identity.key", "identity.pub", "identity", "meshguard keygen",
};
static const struct keypair_files ORG_FILES = {
	"org", "org/org.key", "org/org.pub", "org key", "meshguard org-keygen",
};

void trust_identity_wipe(struct trust_identity *id)
{
	sodium_memzero(id, sizeof(*id));
}

void trust_identity_from_seed(const uint8_t seed[TRUST_KEY_LEN], struct trust_identity *out)
{
	crypto_sign_seed_keypair(out->public_key, out->secret, seed);
}

void trust_identity_generate(struct trust_identity *out)
{
	crypto_sign_keypair(out->public_key, out->secret);
}

void trust_identity_wg_keypair(const struct trust_identity *id, uint8_t wg_private[TRUST_KEY_LEN],
			       uint8_t wg_public[TRUST_KEY_LEN])
{
	/* The Ed25519 secret scalar (clamped SHA-512 of the seed) is the X25519
	 * private key, and the birational map of A is its public key (§3.2). */
	crypto_sign_ed25519_sk_to_curve25519(wg_private, id->secret);
	crypto_scalarmult_curve25519_base(wg_public, wg_private);
}

int trust_wg_public_from_identity(const uint8_t identity[TRUST_KEY_LEN],
				  uint8_t wg_public[TRUST_KEY_LEN])
{
	if (trust_key_check(identity) != TRUST_KEY_OK)
		return -1;
	return crypto_sign_ed25519_pk_to_curve25519(wg_public, identity) == 0 ? 0 : -1;
}

/* §4.1: 10.99.h0.h1, with the host part kept off .0 and .255. */
void trust_mesh_ipv4(const uint8_t identity[TRUST_KEY_LEN], uint8_t out[4])
{
	uint8_t h[BLAKE3_OUT_LEN];

	blake3_hash(identity, TRUST_KEY_LEN, h);
	out[0] = 10;
	out[1] = 99;
	out[2] = h[0] == 0 ? 1 : h[0];
	out[3] = h[1] == 0 ? 1 : h[1] == 255 ? 254 : h[1];
}

/* §4.2: fd99:6d67::/64 and the first 8 hash bytes, never an all-zero IID. */
void trust_mesh_ipv6(const uint8_t identity[TRUST_KEY_LEN], uint8_t out[16])
{
	static const uint8_t prefix[8] = { 0xfd, 0x99, 0x6d, 0x67, 0, 0, 0, 0 };
	uint8_t h[BLAKE3_OUT_LEN];

	blake3_hash(identity, TRUST_KEY_LEN, h);
	memcpy(out, prefix, 8);
	memcpy(out + 8, h, 8);
	if (trust_is_zero(out + 8, 8))
		out[15] = 1;
}

void trust_mesh_ipv4_str(const uint8_t identity[TRUST_KEY_LEN], char out[TRUST_ADDR_STR_LEN])
{
	uint8_t a[4];

	trust_mesh_ipv4(identity, a);
	inet_ntop(AF_INET, a, out, TRUST_ADDR_STR_LEN);
}

void trust_mesh_ipv6_str(const uint8_t identity[TRUST_KEY_LEN], char out[TRUST_ADDR_STR_LEN])
{
	uint8_t a[16];

	trust_mesh_ipv6(identity, a);
	inet_ntop(AF_INET6, a, out, TRUST_ADDR_STR_LEN);
}

void trust_org_domain(const uint8_t org[TRUST_KEY_LEN], char out[TRUST_DOMAIN_LEN + 1])
{
	uint8_t h[BLAKE3_OUT_LEN];

	blake3_hash(org, TRUST_KEY_LEN, h);
	mg_hex_encode(out, h, TRUST_DOMAIN_LEN / 2);
}

/* ---- key pair files ----------------------------------------------------- */

static int path_in(char *out, const char *dir, const char *rel, char *err, size_t errlen)
{
	if (mg_path_join(out, PATH_MAX, dir, rel) < 0)
		return trust_err(-ENAMETOOLONG, err, errlen, "%s/%s: path too long", dir, rel);
	return 0;
}

/*
 * Read a secret key file: the mode is checked on the opened file itself
 * (fstat: no window between check and read) and before any secret byte is
 * read. A file that group or others may access is refused, with the fix.
 * Every error but -ENOENT comes with its message.
 */
static int read_secret_file(const char *path, char *buf, size_t cap, size_t *len, char *err,
			    size_t errlen)
{
	struct stat st;
	size_t got = 0;
	int fd, ret = 0;

	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT
			   ? -ENOENT
			   : trust_err(-errno, err, errlen, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0)
		ret = trust_err(-errno, err, errlen, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		ret = trust_err(S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL, err, errlen,
				"%s: not a regular file", path);
	else if (st.st_mode & 077)
		ret = trust_err(-EPERM, err, errlen,
				"%s is accessible by other users (mode %04o); refusing to use "
				"a secret key others can read. Fix: chmod 600 %s",
				path, (unsigned)(st.st_mode & 07777), path);
	while (!ret) {
		ssize_t n = read(fd, buf + got, cap - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ret = trust_err(-errno, err, errlen, "%s: %s", path, strerror(errno));
		else if (n == 0)
			break;
		else if ((got += (size_t)n) == cap)
			ret = trust_err(-EFBIG, err, errlen, "%s: corrupt key file (too large)",
					path);
	}
	close(fd);
	*len = got;
	return ret;
}

/* base64(seed || pk) with optional trailing whitespace; the pk half must be
 * the seed's (a torn or edited file is caught here, not at first use). */
static int parse_secret(const char *path, char *text, size_t len, struct trust_identity *out,
			char *err, size_t errlen)
{
	uint8_t raw[TRUST_SECRET_LEN];
	int ret, same;

	len = mg_rtrim_len(text, len);
	if (len != TRUST_SECRET_TEXT_LEN)
		return trust_err(-EINVAL, err, errlen,
				 "%s: corrupt key file (%zu characters, expected %d base64 "
				 "characters and a newline)",
				 path, len, TRUST_SECRET_TEXT_LEN);
	ret = mg_b64_decode_exact(raw, TRUST_SECRET_LEN, text, len);
	if (ret != MG_KEYTEXT_OK)
		return trust_err(-EINVAL, err, errlen, "%s: corrupt key file (%s)", path,
				 mg_keytext_strerror(ret));
	trust_identity_from_seed(raw, out);
	same = sodium_memcmp(raw + TRUST_KEY_LEN, out->public_key, TRUST_KEY_LEN) == 0;
	sodium_memzero(raw, sizeof(raw));
	if (!same) {
		trust_identity_wipe(out);
		return trust_err(-EINVAL, err, errlen,
				 "%s: corrupt key file (its public half does not match its seed)",
				 path);
	}
	return 0;
}

static int keypair_load(const char *dir, const struct keypair_files *f, struct trust_identity *out,
			char *err, size_t errlen)
{
	char path[PATH_MAX], text[512];
	uint8_t pub[TRUST_KEY_LEN];
	size_t len = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	if ((ret = path_in(path, dir, f->key, err, errlen)))
		return ret;
	ret = read_secret_file(path, text, sizeof(text), &len, err, errlen);
	if (ret == -ENOENT && mg_path_exists(path))
		ret = trust_err(ret, err, errlen, "%s: a symbolic link to a missing file", path);
	else if (ret == -ENOENT)
		ret = trust_err(ret, err, errlen, "no %s found in %s (create one with '%s')",
				f->what, dir, f->create);
	if (!ret)
		ret = parse_secret(path, text, len, out, err, errlen);
	sodium_memzero(text, sizeof(text));
	if (ret)
		return ret;
	/* The .pub file is a copy for people and for readers without access to
	 * the secret; when present it must agree. */
	if ((ret = path_in(path, dir, f->pub, err, errlen)))
		goto fail;
	if (!mg_path_exists(path))
		return 0;
	ret = trust_keyfile_read(path, false, pub, err, errlen);
	if (ret)
		goto fail;
	if (memcmp(pub, out->public_key, TRUST_KEY_LEN) != 0) {
		ret = trust_err(-EINVAL, err, errlen,
				"%s does not match %s (restore the matching pair, or remove "
				"the .pub file to re-create it from the key)",
				path, f->key);
		goto fail;
	}
	return 0;
fail:
	trust_identity_wipe(out);
	return ret;
}

static int keypair_load_public(const char *dir, const struct keypair_files *f,
			       uint8_t pk[TRUST_KEY_LEN], char *err, size_t errlen)
{
	char path[PATH_MAX];
	int ret;

	if ((ret = path_in(path, dir, f->pub, err, errlen)))
		return ret;
	if (!mg_path_exists(path))
		return trust_err(-ENOENT, err, errlen, "no %s found in %s (create one with '%s')",
				 f->what, dir, f->create);
	return trust_keyfile_read(path, false, pk, err, errlen);
}

static int write_err(int ret, const char *path, char *err, size_t errlen)
{
	return trust_err(ret, err, errlen, "cannot write %s: %s", path, strerror(-ret));
}

/*
 * Replace: remove the old .pub first, then the key, then the new .pub. A
 * crash at any point leaves a loadable pair (the .pub is optional), never a
 * key next to someone else's .pub. Exclusive: the key is created with
 * link(), so an existing key is never clobbered, and removed again if the
 * .pub cannot be written.
 */
static int keypair_save(const char *dir, const struct keypair_files *f,
			const struct trust_identity *kp, bool replace, char *err, size_t errlen)
{
	char keypath[PATH_MAX], pubpath[PATH_MAX], sub[PATH_MAX];
	char text[TRUST_SECRET_TEXT_LEN + 2], pub[TRUST_KEY_TEXT_LEN + 2];
	enum mg_write_mode mode = replace ? MG_WRITE_REPLACE : MG_WRITE_EXCL;
	int ret;

	if ((ret = path_in(keypath, dir, f->key, err, errlen)) ||
	    (ret = path_in(pubpath, dir, f->pub, err, errlen)))
		return ret;
	if (!replace && (mg_path_exists(keypath) || mg_path_exists(pubpath)))
		return trust_err(-EEXIST, err, errlen, "%s already exists", f->what);
	snprintf(sub, sizeof(sub), "%s%s%s", dir, f->subdir ? "/" : "", f->subdir ? f->subdir : "");
	ret = mg_mkdir_p(sub, 0700);
	if (ret)
		return trust_err(ret, err, errlen, "cannot create %s: %s", sub, strerror(-ret));
	if (replace && unlink(pubpath) < 0 && errno != ENOENT)
		return trust_err(-errno, err, errlen, "cannot replace %s: %s", pubpath,
				 strerror(errno));
	mg_b64_encode(text, kp->secret, TRUST_SECRET_LEN);
	strcat(text, "\n");
	ret = mg_write_file_atomic(keypath, text, strlen(text), 0600, mode);
	sodium_memzero(text, sizeof(text));
	if (ret)
		return write_err(ret, keypath, err, errlen);
	mg_b64_encode(pub, kp->public_key, TRUST_KEY_LEN);
	strcat(pub, "\n");
	ret = mg_write_file_atomic(pubpath, pub, strlen(pub), 0644, mode);
	if (ret) {
		if (!replace)
			unlink(keypath);
		return write_err(ret, pubpath, err, errlen);
	}
	return 0;
}

int trust_identity_load(const char *config_dir, struct trust_identity *out, char *err,
			size_t errlen)
{
	return keypair_load(config_dir, &IDENTITY_FILES, out, err, errlen);
}

int trust_identity_load_public(const char *config_dir, uint8_t pk[TRUST_KEY_LEN], char *err,
			       size_t errlen)
{
	return keypair_load_public(config_dir, &IDENTITY_FILES, pk, err, errlen);
}

int trust_identity_save(const char *config_dir, const struct trust_identity *id, bool replace,
			char *err, size_t errlen)
{
	return keypair_save(config_dir, &IDENTITY_FILES, id, replace, err, errlen);
}

int trust_org_key_load(const char *config_dir, struct trust_identity *out, char *err,
		       size_t errlen)
{
	return keypair_load(config_dir, &ORG_FILES, out, err, errlen);
}

int trust_org_key_load_public(const char *config_dir, uint8_t pk[TRUST_KEY_LEN], char *err,
			      size_t errlen)
{
	return keypair_load_public(config_dir, &ORG_FILES, pk, err, errlen);
}

int trust_org_key_save(const char *config_dir, const struct trust_identity *key, bool replace,
		       char *err, size_t errlen)
{
	return keypair_save(config_dir, &ORG_FILES, key, replace, err, errlen);
}
