/* profile.h - profiles, the files that set a policy for a runtime
 * (docs/profiles.md), and the ones built into stockade from profiles/. */
#ifndef STK_PROFILE_H
#define STK_PROFILE_H

#include "stockade.h"

#include <stddef.h>

struct builtin_profile {
	const char *name; /* "python" */
	const char *text; /* the file, as written */
};
/* Generated from the .conf files of profiles/ by tools/mkprofiles at build
 * time. */
extern const struct builtin_profile stk_builtin_profiles[];
extern const size_t stk_n_builtin_profiles;

/* Applies the profile TEXT (LEN bytes; origin names it in messages) to p,
 * key by key; with p NULL it only checks the syntax.  *description, when
 * not NULL, gets the profile's description (or NULL); the caller frees. */
int profile_parse(struct stk_policy *p, const char *origin, const char *text,
		  size_t len, char **description, struct stk_error **err);

#endif
