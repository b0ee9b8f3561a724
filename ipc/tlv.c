/* TLV tags; see tlv.h. */
#include "ipc/tlv.h"

#include <stddef.h>

static const struct {
	uint32_t type;
	const char *name;
} tags[] = {
	{ TLV_EXIT, "EXIT" }, { TLV_TEST, "TEST" }, { TLV_SCST, "SCST" }, { TLV_SCEN, "SCEN" },
	{ TLV_STIM, "STIM" }, { TLV_SCDX, "SCDX" }, { TLV_PMET, "PMET" }, { TLV_RAWO, "RAWO" },
	{ TLV_PRAW, "PRAW" },
};

const char *tlv_type_name(uint32_t type)
{
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (tags[i].type == type)
			return tags[i].name;
	return "????";
}

bool tlv_type_known(uint32_t type)
{
	return tlv_type_name(type)[0] != '?';
}
