/* fuzz_parse - libFuzzer harness for the parsers the caller's input
 * reaches: sizes, durations, paths, the policy setters that validate
 * names and destinations, and stk_policy_set_option, which profiles and
 * the service feed.  Each input is one string; its first byte picks the parser.
 *
 *   make fuzz            builds build-fuzz/fuzz_parse and runs it briefly */
#include "stockade.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';

	struct stk_error *err = NULL;
	uint64_t value = 0;
	char out[4096];
	struct stk_policy *p = NULL;
	switch (data[0] % 8) {
	case 0:
		stk_parse_size(text, &value, &err);
		break;
	case 1:
		stk_parse_duration(text, &value, &err);
		break;
	case 2:
		stk_path_normalize(text, out, sizeof(out), &err);
		break;
	case 3:
		p = stk_policy_new();
		if (p)
			stk_policy_set_hostname(p, text, &err);
		break;
	case 4:
		p = stk_policy_new();
		if (p)
			stk_policy_set_env(p, text, "v", &err);
		break;
	case 5:
		p = stk_policy_new();
		if (p)
			stk_policy_add_tmpfs(p, text, 4096, &err);
		break;
	case 6:
		p = stk_policy_new();
		if (p && stk_policy_deny(p, text, &err) == 0)
			stk_policy_allow(p, text, NULL);
		break;
	case 7: { /* "NAME=VALUE", as a profile's key and value */
		char *eq = strchr(text, '=');
		p = stk_policy_new();
		if (p && eq) {
			*eq = '\0';
			stk_policy_set_option(p, text, eq + 1, &err);
		}
		break;
	}
	}
	/* An error always says what failed. */
	if (err && (!err->message || !err->step || err->errnum <= 0))
		abort();
	stk_error_free(err);
	stk_policy_free(p);
	free(text);
	return 0;
}
