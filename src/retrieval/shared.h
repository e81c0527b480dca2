/*
 * A model shared by the threads that search (ragops serve answers on
 * several): the one in production is kept loaded, each search holds a
 * reference, and a newer model can replace it while older searches finish
 * on the old one, which is freed by the last of them.
 */
#ifndef RETRIEVAL_SHARED_H
#define RETRIEVAL_SHARED_H

#include <pthread.h>

struct shared_ref;

/* What a loaded object was loaded from: a model, and the state of its data (two numbers). */
struct shared_key {
	long long model_id, state[2];
};

struct shared_slot {
	pthread_mutex_t lock;
	struct shared_ref *current;
};

#define SHARED_SLOT_INIT { PTHREAD_MUTEX_INITIALIZER, NULL }

/* The loaded object if it was loaded from `key`, with a reference in *ref; else NULL. */
void *shared_get(struct shared_slot *slot, struct shared_key key, struct shared_ref **ref);
/* Make `obj` the loaded one and take a reference to it; the one before goes with its last reference. */
void shared_publish(struct shared_slot *slot, struct shared_key key, void *obj,
		    void (*free_obj)(void *), struct shared_ref **ref);
/* Give a reference back; NULL is fine. */
void shared_release(struct shared_slot *slot, struct shared_ref *ref);

#endif
