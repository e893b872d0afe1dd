/* SPDX-License-Identifier: MIT */
/*
 * Loading the trust store from a config directory. Configuration is strict
 * (one bad file fails the load, naming the file and line: a half loaded
 * store could silently drop a revocation); learned state is lenient.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "internal.h"
#include "keytext.h"
#include "log.h"
#include "store.h"

struct name_list {
	char **v;
	size_t n, cap;
};

static void names_free(struct name_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_ext(const char *name, const char *ext)
{
	size_t n = strlen(name), e = strlen(ext);
	return n > e && strcmp(name + n - e, ext) == 0;
}

static int names_push(struct name_list *l, const char *name)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		char **v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	if (!(l->v[l->n] = strdup(name)))
		return -ENOMEM;
	l->n++;
	return 0;
}

/* Sorted names in `dir` ending in `ext`, without hidden files (a leading
 * '.' marks the temporary files of atomic writes). No directory: empty. */
static int list_dir(const char *dir, const char *ext, struct name_list *out, char *err,
		    size_t errlen)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return trust_err(-errno, err, errlen, "%s: cannot read directory: %s", dir,
				 strerror(errno));
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (!has_ext(e->d_name, ext)) {
			mg_debug("trust: ignoring %s/%s (not *%s)", dir, e->d_name, ext);
			continue;
		}
		if ((ret = names_push(out, e->d_name)) < 0)
			break;
	}
	closedir(d);
	if (ret) {
		names_free(out);
		return trust_err(ret, err, errlen, "out of memory");
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), cmp_str);
	return 0;
}

/* authorized_keys/<name>.pub or trusted_orgs/<name>.org. */
static int load_keys(const char *root, const char *sub, const char *ext, struct key_set *set,
		     char *err, size_t errlen)
{
	char dir[PATH_MAX], path[PATH_MAX], name[NAME_MAX + 1];
	struct name_list names;
	uint8_t key[TRUST_KEY_LEN];
	const char *bad;
	int ret;

	if (mg_path_join(dir, sizeof(dir), root, sub) < 0)
		return trust_err(-ENAMETOOLONG, err, errlen, "%s/%s: path too long", root, sub);
	if ((ret = list_dir(dir, ext, &names, err, errlen)))
		return ret;
	for (size_t i = 0; i < names.n && !ret; i++) {
		snprintf(name, sizeof(name), "%.*s", (int)(strlen(names.v[i]) - strlen(ext)),
			 names.v[i]);
		if (mg_path_join(path, sizeof(path), dir, names.v[i]) < 0) {
			ret = trust_err(-ENAMETOOLONG, err, errlen, "%s/%s: path too long", dir,
					names.v[i]);
		} else if ((bad = trust_name_check(name))) {
			ret = trust_err(-EINVAL, err, errlen, "%s: bad file name (%s); rename it",
					path, bad);
		} else if (!(ret = trust_keyfile_read(path, false, key, err, errlen))) {
			ret = keyset_add(set, key, name);
			if (ret == -EEXIST) /* the same key twice: the first name wins */
				ret = 0;
			else if (ret)
				trust_err(ret, err, errlen, "out of memory");
		}
	}
	names_free(&names);
	return ret;
}

struct msg_dir {
	const char *sub;  /* under the config dir */
	const char *ext;
	uint8_t type;     /* 0: any */
	bool issued;      /* config (strict) or learned state (lenient) */
};

static const struct msg_dir MSG_DIRS[] = {
	{ "revoked", ".revoke", TRUST_MSG_REVOKE, true },
	{ "vouched", ".vouch", TRUST_MSG_VOUCH, true },
	{ "aliases", ".alias", TRUST_MSG_ALIAS, true },
	{ "state/orgmsg", ".msg", 0, false },
};

static int load_msg_file(const char *path, const struct msg_dir *md, struct store_data *d,
			 char *err, size_t errlen)
{
	uint8_t buf[TRUST_MSG_MAX_LEN];
	enum slot_offer_result res;
	const char *why = NULL;
	struct trust_msg m;
	uint32_t index;
	size_t len;
	int ret;

	ret = trust_read_small(path, buf, sizeof(buf), &len, "org message", err, errlen);
	if (ret)
		return ret;
	/* Only vouched/ may hold upstream's 136-byte form. */
	if ((md->type == TRUST_MSG_VOUCH ? trust_msg_decode_file(buf, len, &m, &why)
					 : trust_msg_decode(buf, len, &m, &why)) != TRUST_R_OK)
		return trust_err(-EINVAL, err, errlen, "%s: %s", path, why);
	if (md->type && m.type != md->type)
		return trust_err(-EINVAL, err, errlen, "%s: wrong message type 0x%02x for %s/",
				 path, m.type, md->sub);
	if (trust_msg_verify(&m, &why) != TRUST_R_OK)
		return trust_err(-EINVAL, err, errlen, "%s: %s", path, why);
	if (slots_offer(&d->slots, &m, md->issued, &res, &index) < 0)
		return trust_err(-ENOMEM, err, errlen, "out of memory");
	if (m.lamport > d->max_lamport)
		d->max_lamport = m.lamport;
	return 0;
}

static int load_msgs(const char *root, const struct msg_dir *md, struct store_data *d, char *err,
		     size_t errlen)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct name_list names;
	int ret;

	if (snprintf(dir, sizeof(dir), "%s/%s", root, md->sub) >= (int)sizeof(dir))
		return trust_err(-ENAMETOOLONG, err, errlen, "%s/%s: path too long", root, md->sub);
	if ((ret = list_dir(dir, md->ext, &names, err, errlen)))
		return ret;
	for (size_t i = 0; i < names.n && !ret; i++) {
		if (mg_path_join(path, sizeof(path), dir, names.v[i]) < 0) {
			ret = trust_err(-ENAMETOOLONG, err, errlen, "%s/%s: path too long", dir,
					names.v[i]);
			break;
		}
		ret = load_msg_file(path, md, d, err, errlen);
		if (ret && !md->issued && ret != -ENOMEM) {
			/* Learned state is a cache of the gossip: skip, say so. */
			mg_warn("trust: skipping learned message %s", err);
			ret = 0;
		}
	}
	names_free(&names);
	return ret;
}

/* state/lamport: one decimal number and a newline. */
static int load_lamport(const char *root, uint64_t *out, char *err, size_t errlen)
{
	char path[PATH_MAX], text[64];
	uint64_t v = 0;
	size_t len;
	int ret;

	*out = 0;
	if (snprintf(path, sizeof(path), "%s/state/lamport", root) >= (int)sizeof(path))
		return trust_err(-ENAMETOOLONG, err, errlen, "%s/state/lamport: path too long", root);
	if (!mg_path_exists(path))
		return 0;
	if ((ret = trust_read_small(path, text, sizeof(text), &len, "Lamport clock", err, errlen)))
		return ret;
	len = mg_rtrim_len(text, len);
	if (len == 0 || len > 19 || strspn(text, "0123456789") < len)
		return trust_err(-EINVAL, err, errlen,
				 "%s:1: not a number (remove the file: the clock restarts above "
				 "the highest stored Lamport value)",
				 path);
	for (size_t i = 0; i < len; i++)
		v = v * 10 + (uint64_t)(text[i] - '0');
	*out = v;
	return 0;
}

int store_load_data(const char *dir, struct store_data *d, uint64_t *lamport, char *err,
		    size_t errlen)
{
	int ret;

	if ((ret = load_keys(dir, "authorized_keys", ".pub", &d->keys, err, errlen)) ||
	    (ret = load_keys(dir, "trusted_orgs", ".org", &d->orgs, err, errlen)))
		return ret;
	for (size_t i = 0; i < sizeof(MSG_DIRS) / sizeof(MSG_DIRS[0]); i++)
		if ((ret = load_msgs(dir, &MSG_DIRS[i], d, err, errlen)))
			return ret;
	if ((ret = load_lamport(dir, lamport, err, errlen)))
		return ret;
	if (d->max_lamport > *lamport)
		*lamport = d->max_lamport;
	return 0;
}
