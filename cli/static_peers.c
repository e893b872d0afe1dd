/* SPDX-License-Identifier: MIT */
#include "static_peers.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "fsutil.h"
#include "log.h"

static int is_conf(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".conf") == 0;
}

const char *static_peers_name(const struct static_peers *sp, const uint8_t pub[WG_DEVICE_KEY_LEN])
{
	for (size_t f = 0; f < sp->n_files; f++) {
		const struct wg_conf *c = &sp->files[f].conf;
		for (size_t i = 0; i < c->n_peers; i++) {
			if (!memcmp(c->peers[i].cfg.public_key, pub, WG_DEVICE_KEY_LEN))
				return sp->files[f].name;
		}
	}
	return NULL;
}

/* One key in two files would make the second silently override the first. */
static int check_duplicates(const struct static_peers *sp, size_t f, char *err, size_t errlen)
{
	const struct wg_conf *c = &sp->files[f].conf;

	for (size_t i = 0; i < c->n_peers; i++) {
		for (size_t g = 0; g < f; g++) {
			const struct wg_conf *o = &sp->files[g].conf;
			for (size_t j = 0; j < o->n_peers; j++) {
				if (memcmp(o->peers[j].cfg.public_key, c->peers[i].cfg.public_key,
					   WG_DEVICE_KEY_LEN))
					continue;
				snprintf(err, errlen,
					 "peers/%s.conf:%u: the same PublicKey as peers/%s.conf:%u",
					 sp->files[f].name, c->peers[i].line, sp->files[g].name,
					 o->peers[j].line);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static void warn_if_readable(const char *path, const struct wg_conf *c)
{
	struct stat st;
	bool psk = false;

	for (size_t i = 0; i < c->n_peers; i++)
		psk |= (c->peers[i].cfg.flags & WG_PEER_SET_PSK) != 0;
	if (psk && stat(path, &st) == 0 && (st.st_mode & 077))
		mg_warn("%s holds a PresharedKey but is readable by others (chmod 600 it)", path);
}

int static_peers_load(const char *config_dir, struct static_peers *out, char *err, size_t errlen)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent **names = NULL;
	int n, ret = 0;

	memset(out, 0, sizeof(*out));
	if (mg_path_join(dir, sizeof(dir), config_dir, "peers"))
		return -ENAMETOOLONG;
	n = scandir(dir, &names, is_conf, alphasort);
	if (n < 0) {
		if (errno == ENOENT)
			return 0;
		ret = -errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(-ret));
		return ret;
	}
	out->files = calloc((size_t)n + 1, sizeof(*out->files));
	if (!out->files)
		ret = -ENOMEM;
	for (int i = 0; i < n && !ret; i++) {
		struct static_peer_file *f = &out->files[out->n_files];
		size_t len = strlen(names[i]->d_name) - 5;

		if (len >= sizeof(f->name)) {
			snprintf(err, errlen, "%s/%s: file name too long", dir, names[i]->d_name);
			ret = -ENAMETOOLONG;
			break;
		}
		memcpy(f->name, names[i]->d_name, len);
		f->name[len] = '\0';
		if ((ret = mg_path_join(path, sizeof(path), dir, names[i]->d_name)))
			break;
		ret = wg_conf_load(&f->conf, path, err, errlen);
		if (ret)
			break;
		out->n_files++;
		warn_if_readable(path, &f->conf);
		ret = check_duplicates(out, out->n_files - 1, err, errlen);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (ret)
		static_peers_free(out);
	return ret;
}

void static_peers_free(struct static_peers *sp)
{
	for (size_t i = 0; i < sp->n_files; i++)
		wg_conf_free(&sp->files[i].conf);
	free(sp->files);
	sp->files = NULL;
	sp->n_files = 0;
}
