/*
 * Reference-counted shared models; see shared.h.
 */
#include "retrieval/shared.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

struct shared_ref {
	struct shared_key key;
	void *obj;
	void (*free_obj)(void *);
	int refs;	/* under the slot's lock; the slot's own pointer counts as one */
};

void *shared_get(struct shared_slot *slot, struct shared_key key, struct shared_ref **ref)
{
	void *obj = NULL;
	*ref = NULL;
	pthread_mutex_lock(&slot->lock);
	if (slot->current && !memcmp(&slot->current->key, &key, sizeof(key))) {
		*ref = slot->current;
		(*ref)->refs++;
		obj = (*ref)->obj;
	}
	pthread_mutex_unlock(&slot->lock);
	return obj;
}

void shared_publish(struct shared_slot *slot, struct shared_key key, void *obj,
		    void (*free_obj)(void *), struct shared_ref **ref)
{
	struct shared_ref *r = xcalloc(1, sizeof(*r)), *old;
	r->key = key;
	r->obj = obj;
	r->free_obj = free_obj;
	r->refs = 2; /* the slot's and the caller's */
	pthread_mutex_lock(&slot->lock);
	old = slot->current;
	slot->current = r;
	pthread_mutex_unlock(&slot->lock);
	*ref = r;
	shared_release(slot, old);
}

void shared_release(struct shared_slot *slot, struct shared_ref *ref)
{
	if (!ref)
		return;
	pthread_mutex_lock(&slot->lock);
	int last = --ref->refs == 0;
	pthread_mutex_unlock(&slot->lock);
	if (last) {
		ref->free_obj(ref->obj);
		free(ref);
	}
}
