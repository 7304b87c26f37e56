/* fuzz_unmarshal - libFuzzer harness for stk_policy_unmarshal: each input
 * is the bytes another process would send as a policy.  What it yields is
 * marshalled again and must unmarshal once more, to the same bytes.
 *
 *   make fuzz            builds build-fuzz/fuzz_unmarshal and runs it briefly
 */
#include "stockade.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stk_policy *p = NULL, *q = NULL;
	struct stk_error *err = NULL;
	void *bytes = NULL, *again = NULL;
	size_t len = 0, len2 = 0;
	if (stk_policy_unmarshal(data, size, &p, &err) == 0 &&
	    stk_policy_marshal(p, &bytes, &len, NULL) == 0) {
		if (stk_policy_unmarshal(bytes, len, &q, NULL) < 0 ||
		    stk_policy_marshal(q, &again, &len2, NULL) < 0 ||
		    len != len2 || memcmp(bytes, again, len) != 0)
			abort();
	}
	free(bytes);
	free(again);
	stk_policy_free(p);
	stk_policy_free(q);
	stk_error_free(err);
	return 0;
}
