/* SPDX-License-Identifier: MIT */
/*
 * The trust store: trusted keys and orgs, org message slots with their
 * Lamport ordering, the gossip interface and the Lamport clock.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blake3.h"
#include "fsutil.h"
#include "internal.h"
#include "keytext.h"
#include "log.h"
#include "store.h"

static const uint8_t ZERO_KEY[TRUST_KEY_LEN];

/* ---- key sets ---- */

static void keyset_init(struct key_set *set)
{
	memset(set, 0, sizeof(*set));
	map_init(&set->index);
}

static void keyset_free(struct key_set *set)
{
	free(set->v);
	map_free(&set->index);
	memset(set, 0, sizeof(*set));
}

static int grow_array(void **v, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return 0;
	ncap = *cap ? 2 * *cap : 16;
	if (ncap > UINT32_MAX / 2 || !(nv = realloc(*v, ncap * elem)))
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

int keyset_add(struct key_set *set, const uint8_t key[TRUST_KEY_LEN], const char *name)
{
	uint8_t mk[MAP_KEY_LEN];
	struct named_key *e;

	if (map_find(&set->index, key, NULL) != MAP_NONE)
		return -EEXIST;
	map_key(mk, key, NULL);
	if (grow_array((void **)&set->v, &set->cap, set->n, sizeof(*set->v)) < 0 ||
	    map_put(&set->index, mk, (uint32_t)set->n) < 0)
		return -ENOMEM;
	e = &set->v[set->n++];
	memcpy(e->key, key, TRUST_KEY_LEN);
	snprintf(e->name, sizeof(e->name), "%s", name);
	return 0;
}

const struct named_key *keyset_find(const struct key_set *set, const uint8_t key[TRUST_KEY_LEN])
{
	uint32_t i = map_find(&set->index, key, NULL);

	return i == MAP_NONE ? NULL : &set->v[i];
}

/* ---- message slots ---- */

static const uint8_t *slot_subject(const struct trust_msg *m)
{
	return m->type == TRUST_MSG_ALIAS ? ZERO_KEY : m->subject;
}

static bool is_final(const struct trust_msg *m)
{
	return m->type == TRUST_MSG_REVOKE && m->reason == TRUST_REVOKE_KEY_COMPROMISED;
}

static int sign_of(long long v)
{
	return (v > 0) - (v < 0);
}

/*
 * The total order of messages in one slot; the slot keeps the maximum, so
 * every node converges whatever order messages arrive in:
 * final revocation > Lamport value > revoke over vouch > wire bytes.
 */
static int rank_cmp(const struct trust_msg *a, const uint8_t *aw, size_t alen,
		    const struct slot *b)
{
	int c;

	if (is_final(a) != is_final(&b->msg))
		return is_final(a) ? 1 : -1;
	if (a->lamport != b->msg.lamport)
		return a->lamport > b->msg.lamport ? 1 : -1;
	if (a->type != b->msg.type)
		return a->type == TRUST_MSG_REVOKE ? 1 : -1;
	if (alen != b->wire_len)
		return alen > b->wire_len ? 1 : -1;
	c = memcmp(aw, b->wire, alen);
	return sign_of(c);
}

static void slot_set_init(struct slot_set *set)
{
	memset(set, 0, sizeof(*set));
	map_init(&set->index);
	map_init(&set->by_subject);
}

static void slot_set_free(struct slot_set *set)
{
	free(set->v);
	map_free(&set->index);
	map_free(&set->by_subject);
	memset(set, 0, sizeof(*set));
}

const struct slot *slots_find(const struct slot_set *set, const uint8_t org[TRUST_KEY_LEN],
			      const uint8_t subject[TRUST_KEY_LEN])
{
	uint32_t i = map_find(&set->index, org, subject);

	return i == MAP_NONE ? NULL : &set->v[i];
}

const struct slot *slots_first(const struct slot_set *set, const uint8_t subject[TRUST_KEY_LEN])
{
	uint32_t i = map_find(&set->by_subject, subject, NULL);

	return i == MAP_NONE ? NULL : &set->v[i];
}

const struct slot *slots_next(const struct slot_set *set, const struct slot *s)
{
	return s->next == MAP_NONE ? NULL : &set->v[s->next];
}

static void slot_fill(struct slot *s, const struct trust_msg *m, bool issued)
{
	s->msg = *m;
	s->wire_len = (uint8_t)trust_msg_encode(m, s->wire);
	s->issued = issued;
}

static int slot_append(struct slot_set *set, const struct trust_msg *m, bool issued,
		       uint32_t *index)
{
	uint8_t mk[MAP_KEY_LEN], sk[MAP_KEY_LEN];
	uint32_t i = (uint32_t)set->n;
	struct slot *s;

	map_key(mk, m->org, slot_subject(m));
	map_key(sk, slot_subject(m), NULL);
	if (grow_array((void **)&set->v, &set->cap, set->n, sizeof(*set->v)) < 0 ||
	    map_put(&set->index, mk, i) < 0)
		return -ENOMEM;
	s = &set->v[i];
	slot_fill(s, m, issued);
	s->next = map_get(&set->by_subject, sk);
	set->n++;
	*index = i;
	/* Out of memory here leaves the slot unchained (invisible to vouch
	 * lookups) but consistent. */
	return map_put(&set->by_subject, sk, i);
}

int slots_offer(struct slot_set *set, const struct trust_msg *m, bool issued,
		enum slot_offer_result *res, uint32_t *index)
{
	uint8_t wire[TRUST_MSG_MAX_LEN];
	size_t len = trust_msg_encode(m, wire);
	struct slot *cur = (struct slot *)slots_find(set, m->org, slot_subject(m));
	int c;

	if (!cur) {
		*res = SLOT_NEW;
		return slot_append(set, m, issued, index);
	}
	*index = (uint32_t)(cur - set->v);
	c = rank_cmp(m, wire, len, cur);
	if (c == 0) {
		cur->issued |= issued; /* the same message also issued here */
		*res = SLOT_DUPLICATE;
	} else if (c < 0) {
		*res = is_final(&cur->msg) && !is_final(m) ? SLOT_FINAL : SLOT_STALE;
	} else {
		uint32_t next = cur->next;

		slot_fill(cur, m, issued);
		cur->next = next;
		*res = SLOT_NEW;
	}
	return 0;
}

void store_data_init(struct store_data *d)
{
	keyset_init(&d->keys);
	keyset_init(&d->orgs);
	slot_set_init(&d->slots);
	d->max_lamport = 0;
}

void store_data_free(struct store_data *d)
{
	keyset_free(&d->keys);
	keyset_free(&d->orgs);
	slot_set_free(&d->slots);
}

/* ---- the store ---- */

struct trust_store *trust_store_new(void)
{
	struct trust_store *s = calloc(1, sizeof(*s));

	if (s)
		store_data_init(&s->d);
	return s;
}

int trust_store_load(const char *config_dir, struct trust_store **out, char *err, size_t errlen)
{
	struct trust_store *s = trust_store_new();
	int ret;

	*out = NULL;
	if (!s || !(s->dir = strdup(config_dir))) {
		trust_store_free(s);
		return trust_err(-ENOMEM, err, errlen, "out of memory");
	}
	ret = store_load_data(config_dir, &s->d, &s->lamport, err, errlen);
	if (ret) {
		trust_store_free(s);
		return ret;
	}
	*out = s;
	return 0;
}

int trust_store_reload(struct trust_store *s, char *err, size_t errlen)
{
	struct store_data fresh;
	uint64_t lamport = 0;
	int ret;

	if (!s->dir)
		return trust_err(-EINVAL, err, errlen, "this trust store has no directory");
	store_data_init(&fresh);
	ret = store_load_data(s->dir, &fresh, &lamport, err, errlen);
	if (ret) {
		store_data_free(&fresh);
		return ret;
	}
	store_data_free(&s->d);
	s->d = fresh;
	if (lamport > s->lamport)
		s->lamport = lamport;
	return 0;
}

void trust_store_free(struct trust_store *s)
{
	if (!s)
		return;
	store_data_free(&s->d);
	free(s->dir);
	free(s);
}

const char *trust_store_dir(const struct trust_store *s)
{
	return s->dir;
}

int trust_store_add_key(struct trust_store *s, const uint8_t key[TRUST_KEY_LEN], const char *name)
{
	return keyset_add(&s->d.keys, key, name);
}

int trust_store_add_org(struct trust_store *s, const uint8_t org[TRUST_KEY_LEN], const char *name)
{
	return keyset_add(&s->d.orgs, org, name);
}

const char *trust_store_key_name(const struct trust_store *s, const uint8_t key[TRUST_KEY_LEN])
{
	const struct named_key *e = keyset_find(&s->d.keys, key);
	return e ? e->name : NULL;
}

const char *trust_store_org_name(const struct trust_store *s, const uint8_t org[TRUST_KEY_LEN])
{
	const struct named_key *e = keyset_find(&s->d.orgs, org);
	return e ? e->name : NULL;
}

/* Does this slot count here: issued on this node, or from an org we trust? */
static bool slot_counts(const struct trust_store *s, const struct slot *sl)
{
	return sl->issued || keyset_find(&s->d.orgs, sl->msg.org) != NULL;
}

bool trust_store_alias_org(const struct trust_store *s, const char *alias,
			   uint8_t org[TRUST_KEY_LEN])
{
	const struct slot *best = NULL;
	char text[TRUST_NAME_MAX + 1];

	/* Aliases chain under the zero subject; "earliest claim wins", and the
	 * smaller org key breaks ties so every node picks the same winner. */
	for (const struct slot *sl = slots_first(&s->d.slots, ZERO_KEY); sl;
	     sl = slots_next(&s->d.slots, sl)) {
		if (sl->msg.type != TRUST_MSG_ALIAS || !slot_counts(s, sl))
			continue;
		trust_msg_alias(&sl->msg, text);
		if (strcmp(text, alias) != 0)
			continue;
		if (!best || sl->msg.lamport < best->msg.lamport ||
		    (sl->msg.lamport == best->msg.lamport &&
		     memcmp(sl->msg.org, best->msg.org, TRUST_KEY_LEN) < 0))
			best = sl;
	}
	if (best)
		memcpy(org, best->msg.org, TRUST_KEY_LEN);
	return best != NULL;
}

bool trust_store_org_alias(const struct trust_store *s, const uint8_t org[TRUST_KEY_LEN],
			   char out[TRUST_NAME_MAX + 1])
{
	const struct slot *sl = slots_find(&s->d.slots, org, ZERO_KEY);
	uint8_t winner[TRUST_KEY_LEN];

	if (!sl || !slot_counts(s, sl))
		return false;
	trust_msg_alias(&sl->msg, out);
	return trust_store_alias_org(s, out, winner) &&
	       memcmp(winner, org, TRUST_KEY_LEN) == 0;
}

void trust_store_counts(const struct trust_store *s, struct trust_store_counts *out)
{
	memset(out, 0, sizeof(*out));
	out->keys = s->d.keys.n;
	out->orgs = s->d.orgs.n;
	for (size_t i = 0; i < s->d.slots.n; i++) {
		switch (s->d.slots.v[i].msg.type) {
		case TRUST_MSG_REVOKE:
			out->revocations++;
			break;
		case TRUST_MSG_VOUCH:
			out->vouches++;
			break;
		case TRUST_MSG_ALIAS:
			out->aliases++;
			break;
		}
	}
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(const struct named_key *const *)a)->name,
		      (*(const struct named_key *const *)b)->name);
}

static void foreach_sorted(const struct key_set *set, trust_entry_fn fn, void *ctx)
{
	const struct named_key **order;

	if (set->n == 0)
		return;
	order = malloc(set->n * sizeof(*order));
	if (!order) {
		/* Out of memory: still visit everything, in insertion order. */
		for (size_t i = 0; i < set->n; i++)
			fn(ctx, set->v[i].name, set->v[i].key);
		return;
	}
	for (size_t i = 0; i < set->n; i++)
		order[i] = &set->v[i];
	qsort(order, set->n, sizeof(*order), by_name);
	for (size_t i = 0; i < set->n; i++)
		fn(ctx, order[i]->name, order[i]->key);
	free(order);
}

void trust_store_foreach_key(const struct trust_store *s, trust_entry_fn fn, void *ctx)
{
	foreach_sorted(&s->d.keys, fn, ctx);
}

void trust_store_foreach_org(const struct trust_store *s, trust_entry_fn fn, void *ctx)
{
	foreach_sorted(&s->d.orgs, fn, ctx);
}

bool trust_store_slot(const struct trust_store *s, const uint8_t org[TRUST_KEY_LEN],
		      const uint8_t subject[TRUST_KEY_LEN], struct trust_msg *out)
{
	const struct slot *sl = slots_find(&s->d.slots, org, subject);

	if (sl && out)
		*out = sl->msg;
	return sl != NULL;
}

/* ---- gossip ---- */

void store_msg_file_name(const struct trust_msg *m, char out[40])
{
	uint8_t in[2 * TRUST_KEY_LEN], h[BLAKE3_OUT_LEN];

	memcpy(in, m->org, TRUST_KEY_LEN);
	memcpy(in + TRUST_KEY_LEN, slot_subject(m), TRUST_KEY_LEN);
	blake3_hash(in, sizeof(in), h);
	mg_hex_encode(out, h, 16);
	strcat(out, ".msg");
}

static int persist_learned(const struct trust_store *s, const struct slot *sl)
{
	char dir[PATH_MAX], path[PATH_MAX], name[40];
	int ret;

	if (!s->dir)
		return 0;
	store_msg_file_name(&sl->msg, name);
	if (snprintf(dir, sizeof(dir), "%s/state/orgmsg", s->dir) >= (int)sizeof(dir) ||
	    mg_path_join(path, sizeof(path), dir, name) < 0)
		return -ENAMETOOLONG;
	if ((ret = mg_mkdir_p(dir, 0700)))
		return ret;
	return mg_write_file_atomic(path, sl->wire, sl->wire_len, 0600, MG_WRITE_REPLACE);
}

static void observe(struct trust_store *s, uint64_t v)
{
	if (v > s->lamport)
		s->lamport = v;
	if (v > s->d.max_lamport)
		s->d.max_lamport = v;
}

void trust_store_apply_msg(struct trust_store *s, const uint8_t *buf, size_t len,
			   struct trust_msg_outcome *out)
{
	enum slot_offer_result res;
	uint32_t index;

	memset(out, 0, sizeof(*out));
	out->result = TRUST_MSG_REJECTED;
	/* Cheap checks first: a flood of junk or of other orgs' messages costs
	 * no signature verification. */
	if ((out->reason = trust_msg_decode(buf, len, &out->msg, NULL)) != TRUST_R_OK)
		return;
	if (!keyset_find(&s->d.orgs, out->msg.org)) {
		out->reason = TRUST_R_ORG_NOT_TRUSTED;
		return;
	}
	if ((out->reason = trust_msg_verify(&out->msg, NULL)) != TRUST_R_OK)
		return;
	if (slots_offer(&s->d.slots, &out->msg, false, &res, &index) < 0) {
		out->reason = TRUST_R_NO_MEMORY;
		return;
	}
	switch (res) {
	case SLOT_DUPLICATE:
		out->result = TRUST_MSG_DUPLICATE;
		return;
	case SLOT_STALE:
		out->result = TRUST_MSG_STALE;
		out->reason = TRUST_R_STALE;
		return;
	case SLOT_FINAL:
		out->reason = TRUST_R_FINAL_REVOCATION;
		return;
	case SLOT_NEW:
		break;
	}
	out->result = TRUST_MSG_NEW;
	out->reason = TRUST_R_OK;
	observe(s, out->msg.lamport);
	out->persist_error = persist_learned(s, &s->d.slots.v[index]);
	if (out->persist_error)
		mg_warn("trust: cannot save a learned org message under %s/state: %s", s->dir,
			strerror(-out->persist_error));
}

void trust_store_foreach_msg(const struct trust_store *s, trust_msg_fn fn, void *ctx)
{
	for (size_t i = 0; i < s->d.slots.n; i++) {
		const struct slot *sl = &s->d.slots.v[i];
		if (slot_counts(s, sl))
			fn(ctx, sl->wire, sl->wire_len);
	}
}

static void xor_hash(void *ctx, const uint8_t *msg, size_t len)
{
	uint8_t *acc = ctx, h[BLAKE3_OUT_LEN];

	blake3_hash(msg, len, h);
	for (int i = 0; i < BLAKE3_OUT_LEN; i++)
		acc[i] ^= h[i];
}

void trust_store_msg_digest(const struct trust_store *s, uint8_t out[32])
{
	memset(out, 0, 32);
	trust_store_foreach_msg(s, xor_hash, out);
}

/* ---- the Lamport clock ---- */

void trust_store_lamport_observe(struct trust_store *s, uint64_t seen)
{
	if (seen > s->lamport)
		s->lamport = seen;
}

uint64_t trust_store_lamport_current(const struct trust_store *s)
{
	return s->lamport;
}

int trust_store_lamport_next(struct trust_store *s, uint64_t *out, char *err, size_t errlen)
{
	char dir[PATH_MAX], path[PATH_MAX], text[32];
	uint64_t v;
	int ret;

	if (s->lamport >= (UINT64_C(1) << 62) - 1)
		return trust_err(-EOVERFLOW, err, errlen, "the Lamport clock is exhausted");
	v = s->lamport + 1;
	if (s->dir) {
		/* On disk before use: a crash never hands out the same value twice. */
		snprintf(dir, sizeof(dir), "%s/state", s->dir);
		if (mg_path_join(path, sizeof(path), dir, "lamport") < 0)
			return trust_err(-ENAMETOOLONG, err, errlen, "%s: path too long", dir);
		if ((ret = mg_mkdir_p(dir, 0700)))
			return trust_err(ret, err, errlen, "cannot create %s: %s", dir, strerror(-ret));
		snprintf(text, sizeof(text), "%llu\n", (unsigned long long)v);
		ret = mg_write_file_atomic(path, text, strlen(text), 0600, MG_WRITE_REPLACE);
		if (ret)
			return trust_err(ret, err, errlen, "cannot write %s: %s", path, strerror(-ret));
	}
	s->lamport = v;
	*out = v;
	return 0;
}
