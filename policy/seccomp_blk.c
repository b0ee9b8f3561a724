/* The block device's allowlist: positioned I/O on the one disk fd it was handed. */
#include "policy/internal.h"

int seccomp_rules_blk(scmp_filter_ctx ctx, const struct sandbox_spec *spec)
{
	int r = 0;

	(void)spec;
	r |= seccomp_allow(ctx, SCMP_SYS(pread64));   /* VIRTIO_BLK_T_IN */
	r |= seccomp_allow(ctx, SCMP_SYS(preadv));    /* IN with several data descriptors */
	r |= seccomp_allow(ctx, SCMP_SYS(pwrite64));  /* VIRTIO_BLK_T_OUT */
	r |= seccomp_allow(ctx, SCMP_SYS(pwritev));   /* OUT with several data descriptors */
	r |= seccomp_allow(ctx, SCMP_SYS(fdatasync)); /* VIRTIO_BLK_T_FLUSH */
	return r;
}
