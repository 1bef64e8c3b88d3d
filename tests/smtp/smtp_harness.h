/* Test scaffolding shared by the SMTP tests (tests/smtp/ has no
 * CMakeLists.txt: every test_*.c is its own program, so this header holds
 * static data and static inline functions, included once per program):
 *  - the path vectors of the server's path parser (RFC 5321 §4.1.2,
 *    §4.1.3, RFC 6531): test_cmd_parse.c checks the server's results,
 *    test_path_agree.c that the client writer agrees;
 *  - smtp_read_file and smtp_vec_*: the transcript files under
 *    MP_VECTORS. */
#ifndef MP_TEST_SMTP_HARNESS_H
#define MP_TEST_SMTP_HARNESS_H

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/smtp.h"

/* Accepted: path, allow_null, allow_postmaster, utf8, expected local part,
 * domain and MP_SMTP_PATH_* flags. */
typedef struct path_ok_vec {
    const char *path;
    int allow_null, postmaster, utf8;
    const char *local, *domain;
    unsigned flags;
} path_ok_vec;

static const path_ok_vec path_ok_vecs[] = {
    { "<a@b>", 0, 0, 0, "a", "b", 0 },
    { "<first.last+tag@sub.example.com>", 0, 0, 0, "first.last+tag", "sub.example.com", 0 },
    { "<\"john doe\"@example.com>", 0, 0, 0, "\"john doe\"", "example.com", MP_SMTP_PATH_QUOTED },
    { "<\"a\\\"b>\"@x.y>", 0, 0, 0, "\"a\\\"b>\"", "x.y", MP_SMTP_PATH_QUOTED },
    { "<!#$%&'*+-/=?^_`{|}~@x>", 0, 0, 0, "!#$%&'*+-/=?^_`{|}~", "x", 0 },
    { "<u@[192.0.2.1]>", 0, 0, 0, "u", "[192.0.2.1]", MP_SMTP_PATH_LITERAL_V4 },
    { "<u@[IPv6:2001:db8::1]>", 0, 0, 0, "u", "[IPv6:2001:db8::1]", MP_SMTP_PATH_LITERAL_V6 },
    { "<u@[IPv6:::]>", 0, 0, 0, "u", "[IPv6:::]", MP_SMTP_PATH_LITERAL_V6 },
    { "<u@[IPv6:::1]>", 0, 0, 0, "u", "[IPv6:::1]", MP_SMTP_PATH_LITERAL_V6 },
    { "<u@[IPv6:1:2:3:4:5:6:7:8]>", 0, 0, 0, "u", "[IPv6:1:2:3:4:5:6:7:8]", MP_SMTP_PATH_LITERAL_V6 },
    { "<u@[IPv6:1:2:3:4:5:6::]>", 0, 0, 0, "u", "[IPv6:1:2:3:4:5:6::]", MP_SMTP_PATH_LITERAL_V6 },
    { "<u@[IPv6:::ffff:192.0.2.1]>", 0, 0, 0, "u", "[IPv6:::ffff:192.0.2.1]", MP_SMTP_PATH_LITERAL_V6 },
    { "<u@[IPv6:1:2:3:4:5:6:1.2.3.4]>", 0, 0, 0, "u", "[IPv6:1:2:3:4:5:6:1.2.3.4]", MP_SMTP_PATH_LITERAL_V6 },
    { "<u@[x-tag:any-thing]>", 0, 0, 0, "u", "[x-tag:any-thing]", MP_SMTP_PATH_LITERAL_GEN },
    { "<@a.example,@b.example:u@c.example>", 0, 0, 0, "u", "c.example", MP_SMTP_PATH_SOURCE_ROUTE },
    { "<>", 1, 0, 0, "", "", 0 },
    { "<postMaster>", 0, 1, 0, "postMaster", "", 0 },
    { "<Postmaster@example.com>", 0, 1, 0, "Postmaster", "example.com", 0 },
    { "<j\xc3\xb6rg@b\xc3\xbc" "cher.example>", 0, 0, 1, "j\xc3\xb6rg", "b\xc3\xbc" "cher.example", MP_SMTP_PATH_UTF8 },
    { "<\"\xe2\x82\xac\"@x>", 0, 0, 1, "\"\xe2\x82\xac\"", "x", MP_SMTP_PATH_QUOTED | MP_SMTP_PATH_UTF8 },
};

/* Refused (with allow_null and allow_postmaster): path, its length (may
 * hold NUL), utf8, status and offset. */
typedef struct path_bad_vec {
    const char *path;
    size_t len;
    int utf8;
    mp_status want;
    size_t off;
} path_bad_vec;

#define PATH_BAD_VEC(lit, utf8, want, off) { (lit), sizeof(lit) - 1, (utf8), (want), (off) }
static const path_bad_vec path_bad_vecs[] = {
    PATH_BAD_VEC("a@b", 0, MP_ERR_SMTP_PATH, 0),
    PATH_BAD_VEC("<a@b", 0, MP_ERR_SMTP_PATH, 4),
    PATH_BAD_VEC("<a>", 0, MP_ERR_SMTP_PATH, 2),
    PATH_BAD_VEC("<@a>", 0, MP_ERR_SMTP_PATH, 3),
    PATH_BAD_VEC("<.a@b>", 0, MP_ERR_SMTP_PATH, 1),
    PATH_BAD_VEC("<a.@b>", 0, MP_ERR_SMTP_PATH, 3),
    PATH_BAD_VEC("<a..b@c>", 0, MP_ERR_SMTP_PATH, 3),
    PATH_BAD_VEC("<a b@c>", 0, MP_ERR_SMTP_PATH, 2),
    PATH_BAD_VEC("<\"ab@c>", 0, MP_ERR_SMTP_PATH, 7),
    PATH_BAD_VEC("<\"a\x01\"@c>", 0, MP_ERR_SMTP_PATH, 3),
    PATH_BAD_VEC("<a@-b>", 0, MP_ERR_SMTP_PATH, 3),
    PATH_BAD_VEC("<a@b->", 0, MP_ERR_SMTP_PATH, 5),
    PATH_BAD_VEC("<a@b..c>", 0, MP_ERR_SMTP_PATH, 5),
    PATH_BAD_VEC("<a@b_c>", 0, MP_ERR_SMTP_PATH, 4),
    PATH_BAD_VEC("<a@[1.2.3]>", 0, MP_ERR_SMTP_PATH, 4),
    PATH_BAD_VEC("<a@[1.2.3.256]>", 0, MP_ERR_SMTP_PATH, 4),
    PATH_BAD_VEC("<a@[1.2.3.4.5]>", 0, MP_ERR_SMTP_PATH, 4),
    PATH_BAD_VEC("<a@[IPv6:1:2:3:4:5:6:7]>", 0, MP_ERR_SMTP_PATH, 9),
    PATH_BAD_VEC("<a@[IPv6:1:2:3:4:5:6:7:8:9]>", 0, MP_ERR_SMTP_PATH, 9),
    PATH_BAD_VEC("<a@[IPv6:1::2::3]>", 0, MP_ERR_SMTP_PATH, 9),
    PATH_BAD_VEC("<a@[IPv6:1:2:3:4:5:6:7::]>", 0, MP_ERR_SMTP_PATH, 9),
    PATH_BAD_VEC("<a@[IPv6:12345::]>", 0, MP_ERR_SMTP_PATH, 9),
    PATH_BAD_VEC("<a@[IPv6:1:2:3:4:5::1.2.3.4]>", 0, MP_ERR_SMTP_PATH, 9),
    PATH_BAD_VEC("<a@[IPv6::1]>", 0, MP_ERR_SMTP_PATH, 9),
    PATH_BAD_VEC("<a@[IPv6:1:]>", 0, MP_ERR_SMTP_PATH, 9),
    PATH_BAD_VEC("<a@[tag-:x]>", 0, MP_ERR_SMTP_PATH, 4),
    PATH_BAD_VEC("<a@[a\\b]>", 0, MP_ERR_SMTP_PATH, 5),
    PATH_BAD_VEC("<@a:@b:c@d>", 0, MP_ERR_SMTP_PATH, 4),
    PATH_BAD_VEC("<@a,b:c@d>", 0, MP_ERR_SMTP_PATH, 3),
    PATH_BAD_VEC("<j\xc3\xb6rg@x>", 0, MP_ERR_SMTP_UTF8_PATH, 2),
    PATH_BAD_VEC("<u@b\xc3\xbc" "cher>", 0, MP_ERR_SMTP_UTF8_PATH, 4),
    PATH_BAD_VEC("<j\xc3rg@x>", 1, MP_ERR_UTF8, 2),
    PATH_BAD_VEC("<j\xc0\x80@x>", 1, MP_ERR_UTF8, 2),
    PATH_BAD_VEC("<j\xed\xa0\x80@x>", 1, MP_ERR_UTF8, 2),
};
#undef PATH_BAD_VEC

#define PATH_VEC_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Read `path` into buf[0..cap) and NUL-terminate it; the file must fit
 * (with its NUL).  Returns its length. */
static inline size_t smtp_read_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    assert_non_null(f);
    n = fread(buf, 1, cap - 1, f);
    assert_true(n < cap - 1);
    fclose(f);
    buf[n] = '\0';
    return n;
}

/* The "*.in" files of MP_VECTORS/<sub>, in directory order. */
typedef struct smtp_vec_iter {
    DIR *d;
    char dir[512];
    char path[1024];
    const char *name; /* the file name of the current path */
} smtp_vec_iter;

static inline void smtp_vec_open(smtp_vec_iter *it, const char *sub)
{
    const char *root = getenv("MP_VECTORS");
    assert_non_null(root);
    snprintf(it->dir, sizeof(it->dir), "%s/%s", root, sub);
    it->d = opendir(it->dir);
    assert_non_null(it->d);
}

/* The path of the next file (valid until the next call), or NULL at the
 * end (the directory is then closed). */
static inline const char *smtp_vec_next(smtp_vec_iter *it)
{
    struct dirent *e;
    while ((e = readdir(it->d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 4 || strcmp(e->d_name + n - 3, ".in") != 0)
            continue;
        snprintf(it->path, sizeof(it->path), "%s/%s", it->dir, e->d_name);
        it->name = it->path + strlen(it->dir) + 1;
        return it->path;
    }
    closedir(it->d);
    it->d = NULL;
    return NULL;
}

#endif
