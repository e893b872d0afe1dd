/* SPDX-License-Identifier: MIT */
/*
 * The trust store's insides, private to trust/ (store.c, load.c,
 * decide.c; tests may include it).
 */
#ifndef MG_TRUST_STORE_H
#define MG_TRUST_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "map.h"
#include "trust.h"

/* A trusted key with its name (authorized_keys/ or trusted_orgs/). */
struct named_key {
	uint8_t key[TRUST_KEY_LEN];
	char name[TRUST_NAME_MAX + 1];
};

struct key_set {
	struct named_key *v;
	size_t n, cap;
	struct map index; /* key -> position in v */
};

/*
 * One org message slot: the winner among all messages for (org, subject),
 * where revoke and vouch of the same node share a slot and an org's alias
 * lives in the slot (org, 0).
 */
struct slot {
	struct trust_msg msg;
	uint8_t wire[TRUST_MSG_MAX_LEN];
	uint8_t wire_len;
	bool issued;   /* from revoked/, vouched/, aliases/: spread even if we do not trust the org */
	uint32_t next; /* next slot about the same subject, MAP_NONE at the end */
};

struct slot_set {
	struct slot *v;
	size_t n, cap;
	struct map index;      /* (org, subject) -> slot */
	struct map by_subject; /* subject -> first slot of its chain */
};

struct store_data {
	struct key_set keys; /* authorized_keys/ */
	struct key_set orgs; /* trusted_orgs/ */
	struct slot_set slots;
	uint64_t max_lamport; /* largest Lamport value among the slots' messages */
};

struct trust_store {
	char *dir; /* NULL: in memory only */
	struct store_data d;
	uint64_t lamport; /* the clock: never below d.max_lamport */
};

/* The outcome of offering a message to a slot set. */
enum slot_offer_result {
	SLOT_NEW,
	SLOT_DUPLICATE,
	SLOT_STALE,
	SLOT_FINAL, /* lower rank than a key-compromised revocation */
};

void store_data_init(struct store_data *d);
void store_data_free(struct store_data *d);
int keyset_add(struct key_set *set, const uint8_t key[TRUST_KEY_LEN], const char *name);
const struct named_key *keyset_find(const struct key_set *set, const uint8_t key[TRUST_KEY_LEN]);
/* Offer a verified message; *index gets the slot (for SLOT_NEW). -ENOMEM on failure. */
int slots_offer(struct slot_set *set, const struct trust_msg *m, bool issued,
		enum slot_offer_result *res, uint32_t *index);
const struct slot *slots_find(const struct slot_set *set, const uint8_t org[TRUST_KEY_LEN],
			      const uint8_t subject[TRUST_KEY_LEN]);
/* First slot about `subject` (follow ->next), or NULL. */
const struct slot *slots_first(const struct slot_set *set, const uint8_t subject[TRUST_KEY_LEN]);
const struct slot *slots_next(const struct slot_set *set, const struct slot *s);

/* Directory loading (load.c). */
int store_load_data(const char *dir, struct store_data *d, uint64_t *lamport, char *err,
		    size_t errlen);
/* File name of a learned message's slot under state/orgmsg/. */
void store_msg_file_name(const struct trust_msg *m, char out[40]);

#endif
