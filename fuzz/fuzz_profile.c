/* fuzz_profile - libFuzzer harness for the profile parser: each input is a
 * profile's text, applied to a fresh default policy, as --profile FILE
 * would apply it.  Host paths it names are only looked up (realpath,
 * stat, open for --copy); nothing is mounted or run.
 *
 *   make fuzz            builds build-fuzz/fuzz_profile and runs it briefly */
#include "profile.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stk_policy *p = stk_policy_new();
	struct stk_error *err = NULL;
	char *description = NULL;
	if (!p)
		return 0;
	profile_parse(p, "fuzz", (const char *)data, size, &description, &err);
	free(description);
	stk_error_free(err);
	stk_policy_free(p);
	return 0;
}
