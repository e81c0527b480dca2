/*
 * Personal data and secrets out of text that leaves the store (retraining
 * datasets, feedback exports, curated answers shown to other users):
 * e-mail addresses, phone numbers, IBANs, credentials in URLs and tokens
 * that look like API keys are replaced by a bracketed word.
 */
#ifndef OPS_SCRUB_H
#define OPS_SCRUB_H

#include <stddef.h>

/* A scrubbed copy of `text` (caller frees); *found counts what was replaced (may be NULL). */
char *scrub_text(const char *text, size_t *found);

#endif
