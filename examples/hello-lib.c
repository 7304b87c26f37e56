/* hello-lib.c - the usage pattern of include/stockade.h as a program:
 * run python3 in a sandbox through libstockade and print its record.
 *
 *   make build/hello-lib && build/hello-lib */
#include "stockade.h"

#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	struct stk_error *err = NULL;
	struct stk_record *rec = NULL;
	struct stk_policy *p = stk_policy_new();
	const char *argv[] = {"python3", "-I", "-c",
			      "import os; print('hello from uid', os.getuid())",
			      NULL};
	int status = 125;

	if (!p || stk_policy_set_command(p, argv, &err) < 0 ||
	    stk_policy_set_hostname(p, "hello", &err) < 0)
		goto out;
	if (stk_run(p, &rec, &err) < 0 && !rec)
		goto out;
	char *json = stk_record_to_json(rec);
	printf("verdict %s, exit code %d\n%s\n", stk_record_verdict(rec),
	       stk_record_exit_code(rec), json ? json : "");
	free(json);
	status = stk_record_exit_status(rec);
out:
	if (err)
		fprintf(stderr, "hello-lib: %s\n", err->message);
	stk_record_free(rec);
	stk_policy_free(p);
	stk_error_free(err);
	return status;
}
