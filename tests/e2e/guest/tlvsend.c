/* Guest program for the e2e suite: a payload that reports through libktstr on the
 * virtio-console TLV port: two TEST results, a metric, and EXIT with the given status.
 * usage: tlvsend STATUS */
#include <stdio.h>
#include <stdlib.h>

#include "guest/ktstr.h"

int main(int argc, char **argv)
{
	int status = argc > 1 ? atoi(argv[1]) : 0, r = 0;

	r |= ktstr_send_test("e2e.first", 1, "passed \"quoted\"");
	r |= ktstr_send_test("e2e.second", 0, "failed on purpose");
	r |= ktstr_send_metric("e2e.iterations", 1234.5, "ops");
	r |= ktstr_send_exit(status);
	if (r) {
		fprintf(stderr, "tlvsend: sending frames failed (%d)\n", r);
		return 1;
	}
	printf("tlvsend: 4 frames sent\n");
	return 0;
}
