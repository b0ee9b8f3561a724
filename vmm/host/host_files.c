/* Host files under a root; see host_files.h. */
#include "vmm/host/host_files.h"

#include <stdio.h>
#include <string.h>

void host_path(char *buf, size_t size, const char *root, const char *rel)
{
	snprintf(buf, size, "%s%s", strcmp(root, "/") == 0 ? "" : root, rel);
}

bool host_read_line(const char *root, const char *rel, char *buf, size_t size)
{
	char path[4096];
	FILE *f;
	bool ok;

	host_path(path, sizeof(path), root, rel);
	f = fopen(path, "re");
	if (!f)
		return false;
	ok = fgets(buf, (int)size, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

bool host_cpuinfo_flags(const char *root, char *buf, size_t size)
{
	char path[4096];
	bool found = false;
	FILE *f;

	host_path(path, sizeof(path), root, "/proc/cpuinfo");
	if (!(f = fopen(path, "re")))
		return false;
	while (!found && fgets(buf, (int)size, f))
		found = strncmp(buf, "flags", 5) == 0 && strchr(buf, ':');
	fclose(f);
	return found;
}

bool host_has_word(const char *line, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = strstr(line, word); p; p = strstr(p + 1, word))
		if ((p == line || p[-1] == ' ' || p[-1] == '\t') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
	return false;
}
