/* Test support: files of a made-up /sys or /proc under a temporary root. */
#ifndef KTSTR_TESTS_FAKE_TREE_H
#define KTSTR_TESTS_FAKE_TREE_H

/* Writes ROOT/REL with text, making its directories; text NULL makes REL a directory. Fails
 * the running cmocka test when it cannot. */
void fake_tree_put(const char *root, const char *rel, const char *text);

#endif
