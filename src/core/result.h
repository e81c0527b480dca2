/*
 * Typed results: for functions whose caller must know more than "it
 * worked" or "it failed".
 *
 * A plain int result follows error()'s convention (core/error.h): 0 or -1,
 * and nothing else (or a count or an id, and -1 on failure).  A function that can also say "not found", "refused",
 * "busy", "too long"... returns an enum instead, never an int whose
 * numbers mean one thing here and another next door (-2 once meant "no
 * searchable word" in the store, "bad query" in retrieval and "not ready"
 * in answers, and nothing stopped a caller from testing one module's
 * result with another's constants).  The rules:
 *
 *  - Each module names its own: `enum retrieve_result` with RETRIEVE_*,
 *    `enum store_search_result` with STORE_SEARCH_*.  Two modules never
 *    share a member name, so the compiler knows whose result it sees.
 *  - The success member is 0 (RETRIEVE_OK); the failure of the machinery
 *    (the store, an endpoint, I/O; err says why) is -1, so
 *    `return error(...)` still fits; every other outcome is positive.
 *  - Keep a result in a variable of its enum type, never in an int, and
 *    test it against its own names, never against numbers or `< 0`.  Then
 *    -Wenum-compare and -Wenum-conversion (on with -Wall -Wextra) warn when
 *    one module's result meets another's names.  A switch without a
 *    default makes -Wswitch name every outcome left unhandled.  (A switch
 *    whose case labels come from another enum is not caught when both
 *    happen to have the same values: one more reason for typed variables.)
 *  - At a module boundary, map outcomes explicitly (a retrieve_result
 *    becomes an ask_result in a switch); never pass the number through.
 *
 * One outcome is shared by every module: a lookup, which finds the thing,
 * finds nothing (not an error), or cannot look.
 */
#ifndef CORE_RESULT_H
#define CORE_RESULT_H

enum lookup {
	LOOKUP_FOUND = 0,
	LOOKUP_MISSING = 1, /* no such thing: an answer, not an error */
	LOOKUP_FAILED = -1, /* could not look: err says why */
};

#endif
