/* SPDX-License-Identifier: MIT */
#include "oracle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *python, *script;

bool oracle_init(int argc, char **argv)
{
	if (argc < 3)
		return false;
	python = argv[1];
	script = argv[2];
	return true;
}

void oracle_arg_hex(char *args, size_t cap, const char *name, const void *v, size_t len)
{
	size_t n = strlen(args);
	const uint8_t *p = v;

	n += (size_t)snprintf(args + n, cap - n, " %s=", name);
	for (size_t i = 0; i < len && n + 3 < cap; ++i)
		n += (size_t)snprintf(args + n, cap - n, "%02x", p[i]);
}

void oracle_arg_int(char *args, size_t cap, const char *name, unsigned long long v)
{
	size_t n = strlen(args);

	snprintf(args + n, cap - n, " %s=%llu", name, v);
}

static int unhex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool oracle_run(struct oracle_out *out, const char *cmd, const char *args)
{
	char *line = malloc(strlen(args) + 1024);
	char buf[8192];
	FILE *f;

	if (!python || !line)
		return false;
	sprintf(line, "'%s' '%s' %s %s", python, script, cmd, args);
	f = popen(line, "r");
	free(line);
	if (!f)
		return false;
	memset(out, 0, sizeof(*out));
	while (fgets(buf, sizeof(buf), f) && out->n < ORACLE_MAX_FIELDS) {
		char *eq = strchr(buf, '=');
		size_t i = 0;

		if (!eq || eq - buf >= 32)
			continue;
		memcpy(out->name[out->n], buf, (size_t)(eq - buf));
		for (char *h = eq + 1; unhex(h[0]) >= 0 && unhex(h[1]) >= 0 && i < ORACLE_MAX_VALUE;
		     h += 2)
			out->value[out->n][i++] = (uint8_t)(unhex(h[0]) << 4 | unhex(h[1]));
		out->len[out->n++] = i;
	}
	return pclose(f) == 0 && out->n > 0;
}

const uint8_t *oracle_get(const struct oracle_out *out, const char *name, size_t *len)
{
	for (int i = 0; i < out->n; ++i) {
		if (!strcmp(out->name[i], name)) {
			if (len)
				*len = out->len[i];
			return out->value[i];
		}
	}
	fprintf(stderr, "oracle: no field %s\n", name);
	abort();
}
