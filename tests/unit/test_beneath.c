/*
 * Unit tests for opening files under a folder without following links
 * (core/beneath.h): what a run reads from an inbox that someone rewrites
 * meanwhile.  A folder or a file swapped for a link, a FIFO, "..": each is
 * refused with the path named, and a FIFO never blocks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/beneath.h"

static char root[64], outside[64];

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	char path[256];
	snprintf(root, sizeof(root), "/tmp/test_beneath.XXXXXX");
	snprintf(outside, sizeof(outside), "/tmp/test_beneath_out.XXXXXX");
	if (!mkdtemp(root) || !mkdtemp(outside))
		return -1;
	snprintf(path, sizeof(path), "%s/folder", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/plain", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/folder/note.txt", root);
	write_text(path, "inside");
	snprintf(path, sizeof(path), "%s/secret.txt", outside);
	write_text(path, "outside");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", root, outside);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_reads_a_file_inside(void **state)
{
	(void)state;
	struct strbuf err = STRBUF_INIT;
	struct file_stamp stamp;
	int fd = open_file_beneath(root, "folder/note.txt", &stamp, &err);
	assert_true(fd >= 0);
	char buf[16] = { 0 };
	assert_int_equal(read(fd, buf, sizeof(buf) - 1), 6);
	assert_string_equal(buf, "inside");
	assert_int_equal(stamp.size, 6);
	close(fd);
	assert_int_equal(file_stamp_check_beneath(root, "folder/note.txt", &stamp, &err), 0);
	strbuf_release(&err);
}

/* The race of the break-it review: a folder listed, then swapped for a link out. */
static void test_folder_swapped_for_a_link_is_refused(void **state)
{
	(void)state;
	char path[256], moved[256];
	struct strbuf err = STRBUF_INIT;
	struct file_stamp stamp;
	int fd = open_file_beneath(root, "folder/note.txt", &stamp, &err);
	assert_true(fd >= 0);
	close(fd);

	snprintf(path, sizeof(path), "%s/folder", root);
	snprintf(moved, sizeof(moved), "%s/folder.away", root);
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(symlink(outside, path), 0);
	snprintf(moved, sizeof(moved), "%s/note.txt", outside);
	snprintf(path, sizeof(path), "%s/secret.txt", outside);
	assert_int_equal(link(path, moved), 0); /* the same name behind the link */

	assert_int_equal(open_file_beneath(root, "folder/note.txt", &stamp, &err), -1);
	assert_non_null(strstr(err.buf, "folder/note.txt': a symbolic link or a file is in the way"));
	strbuf_reset(&err);
	assert_null(opendir_beneath(root, "folder", &err));
	assert_non_null(strstr(err.buf, "a symbolic link"));

	struct strbuf why = STRBUF_INIT;
	assert_int_equal(file_stamp_check_beneath(root, "folder/note.txt", &stamp, &why), 1);
	assert_non_null(strstr(why.buf, "it can no longer be opened"));
	strbuf_release(&why);
	strbuf_release(&err);
}

/* The inbox itself replaced by a link, by whoever may write to its parent. */
static void test_root_swapped_for_a_link_is_refused(void **state)
{
	(void)state;
	char moved[96];
	struct strbuf err = STRBUF_INIT;
	struct file_stamp stamp;
	snprintf(moved, sizeof(moved), "%s.away", root);
	assert_int_equal(rename(root, moved), 0);
	assert_int_equal(symlink(outside, root), 0);
	assert_int_equal(open_file_beneath(root, "secret.txt", &stamp, &err), -1);
	assert_non_null(strstr(err.buf, "a symbolic link or a file is in the way"));
	assert_int_equal(unlink(root), 0);
	assert_int_equal(rename(moved, root), 0);
	strbuf_reset(&err);
	int fd = open_beneath(root, "plain", O_RDONLY | O_DIRECTORY, &err);
	assert_true(fd >= 0);
	close(fd);
	strbuf_release(&err);
}

static void test_link_as_last_component_is_refused(void **state)
{
	(void)state;
	char path[256], target[256];
	struct strbuf err = STRBUF_INIT;
	struct file_stamp stamp;
	snprintf(path, sizeof(path), "%s/link.txt", root);
	snprintf(target, sizeof(target), "%s/secret.txt", outside);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(open_file_beneath(root, "link.txt", &stamp, &err), -1);
	assert_non_null(strstr(err.buf, "link.txt': a symbolic link or a file is in the way"));
	strbuf_release(&err);
}

static void test_fifo_is_refused_without_blocking(void **state)
{
	(void)state;
	char path[256];
	struct strbuf err = STRBUF_INIT;
	struct file_stamp stamp;
	snprintf(path, sizeof(path), "%s/pipe.txt", root);
	assert_int_equal(mkfifo(path, 0644), 0);
	alarm(10); /* a blocking open would hang here: fail instead */
	assert_int_equal(open_file_beneath(root, "pipe.txt", &stamp, &err), -1);
	alarm(0);
	assert_non_null(strstr(err.buf, "pipe.txt' is not a regular file"));
	strbuf_release(&err);
}

static void test_dot_dot_and_empty_components_are_refused(void **state)
{
	(void)state;
	static const char *const bad[] = { "../etc/passwd", "plain/../../x", "plain//note.txt", "./x",
					   "plain/" };
	struct strbuf err = STRBUF_INIT;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strbuf_reset(&err);
		assert_int_equal(open_beneath(root, bad[i], O_RDONLY, &err), -1);
		assert_non_null(strstr(err.buf, "Invalid argument"));
	}
	/* and no descriptor is left open by a refusal */
	int probe = open("/dev/null", O_RDONLY);
	for (int i = 0; i < 50; i++)
		open_beneath(root, "plain/../x", O_RDONLY, &err);
	int after = open("/dev/null", O_RDONLY);
	assert_int_equal(after, probe + 1);
	close(probe);
	close(after);
	strbuf_release(&err);
}

/* A path longer than PATH_MAX, each name in it short: opened all the same. */
static void test_path_longer_than_path_max(void **state)
{
	(void)state;
	char name[201], rel[6000] = "";
	memset(name, 'd', 200);
	name[200] = '\0';
	int dir = open(root, O_RDONLY | O_DIRECTORY);
	for (int i = 0; i < 24 && dir >= 0; i++) {
		assert_true(mkdirat(dir, name, 0755) == 0 || errno == EEXIST);
		int next = openat(dir, name, O_RDONLY | O_DIRECTORY);
		close(dir);
		dir = next;
		snprintf(rel + strlen(rel), sizeof(rel) - strlen(rel), "%s/", name);
	}
	assert_true(dir >= 0);
	int fd = openat(dir, "deep.txt", O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	close(fd);
	close(dir);
	strcat(rel, "deep.txt");
	assert_true(strlen(root) + strlen(rel) > 4096);
	struct strbuf err = STRBUF_INIT;
	struct file_stamp stamp;
	fd = open_file_beneath(root, rel, &stamp, &err);
	assert_true(fd >= 0);
	close(fd);
	strbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_a_file_inside),
		cmocka_unit_test(test_folder_swapped_for_a_link_is_refused),
		cmocka_unit_test(test_root_swapped_for_a_link_is_refused),
		cmocka_unit_test(test_link_as_last_component_is_refused),
		cmocka_unit_test(test_fifo_is_refused_without_blocking),
		cmocka_unit_test(test_dot_dot_and_empty_components_are_refused),
		cmocka_unit_test(test_path_longer_than_path_max),
	};
	/* Once with openat2 where the kernel has it, once with the walk every kernel can do. */
	int failed = cmocka_run_group_tests_name("openat2", tests, setup, teardown);
	beneath_walk_only(1);
	return failed + cmocka_run_group_tests_name("walk", tests, setup, teardown);
}
