/* One path grammar for both sides: every address the server's path parser
 * accepts, the client writer sends unchanged (and the server parses the
 * command it wrote back to the same mailbox); every one it refuses, the
 * writer refuses with the same status.  Sources: the path vectors of
 * test_cmd_parse.c (smtp_harness.h), the limits, and every MAIL/RCPT line
 * of the server session vectors (MP_VECTORS/smtp/server/\*.in).
 * Includes smtp.h before smtp_client.h (test_headers.c does the reverse). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/smtp.h"
#include "mailproto/smtp_client.h"
#include "smtp_harness.h"

static char wbuf[4096];

/* The client writes MAIL (is_mail) or RCPT for `box` (no brackets);
 * returns the writer's status, and on success checks the bytes and that
 * the server parses them back to the same mailbox. */
static mp_status client_writes(const char *box, size_t n, int is_mail, int utf8)
{
    mp_outbuf ob;
    mp_status st;
    mp_smtp_cmd cmd;
    mp_error e;
    const char *pre = is_mail ? "MAIL FROM:<" : "RCPT TO:<";
    size_t pl = strlen(pre);
    mp_outbuf_init(&ob, wbuf, sizeof(wbuf));
    if (is_mail) {
        mp_smtp_mail_params mp;
        memset(&mp, 0, sizeof(mp));
        mp.smtputf8 = (uint8_t)utf8;
        st = mp_smtp_write_mail(&ob, mp_slice_make(box, n), &mp);
    } else {
        mp_smtp_rcpt_params rp;
        memset(&rp, 0, sizeof(rp));
        rp.utf8 = (uint8_t)utf8;
        st = mp_smtp_write_rcpt(&ob, mp_slice_make(box, n), &rp);
    }
    if (st != MP_OK) {
        assert_int_equal(ob.len, 0);
        return st;
    }
    /* Exactly "<box>" plus SMTPUTF8 for an UTF-8 MAIL. */
    assert_true(ob.len >= pl + n + 3);
    assert_memory_equal(wbuf, pre, pl);
    assert_memory_equal(wbuf + pl, box, n);
    assert_int_equal(wbuf[pl + n], '>');
    assert_memory_equal(wbuf + ob.len - 2, "\r\n", 2);
    st = mp_smtp_cmd_parse(wbuf, ob.len - 2,
                           utf8 ? (MP_SMTP_CMD_SMTPUTF8 | MP_SMTP_CMD_UTF8_TXN) : 0u, &cmd, &e);
    if (st != MP_OK)
        print_error("server refuses what the client wrote: %.*s (%s @%llu)\n", (int)ob.len,
                    wbuf, mp_status_name(st), (unsigned long long)e.offset);
    assert_int_equal(st, MP_OK);
    assert_int_equal(cmd.path.mailbox.len, n);
    assert_memory_equal(cmd.path.mailbox.ptr, box, n);
    return MP_OK;
}

/* The server accepted `path` (bracketed) as `pa`: the client must send it. */
static void agree_ok(const char *path, size_t len, const mp_smtp_path *pa, int utf8)
{
    if (pa->flags & MP_SMTP_PATH_SOURCE_ROUTE)
        return; /* source routes are accepted, never sent (RFC 5321 §C) */
    if (pa->kind == MP_SMTP_PATH_NULL) {
        assert_int_equal(client_writes("", 0, 1, utf8), MP_OK);
        return;
    }
    if (pa->kind == MP_SMTP_PATH_MAILBOX)
        assert_int_equal(client_writes(path + 1, len - 2, 1, utf8), MP_OK);
    assert_int_equal(client_writes(path + 1, len - 2, 0, utf8), MP_OK);
}

/* The server refused bracketed `path` with `want`: the client must refuse
 * the text between the brackets with the same status. */
static int agree_bad(const char *path, size_t len, int utf8, mp_status want)
{
    mp_status st;
    if (len < 2 || path[0] != '<' || path[len - 1] != '>')
        return 0; /* a bracket problem the client cannot have */
    st = client_writes(path + 1, len - 2, 0, utf8);
    if (st != want)
        print_error("client: %.*s gives %s, server %s\n", (int)len, path, mp_status_name(st),
                    mp_status_name(want));
    assert_int_equal(st, want);
    return 1;
}

static void test_path_vectors(void **s)
{
    size_t i, n_ok = 0, n_bad = 0;
    (void)s;
    for (i = 0; i < PATH_VEC_COUNT(path_ok_vecs); i++) {
        const path_ok_vec *v = &path_ok_vecs[i];
        mp_smtp_path pa;
        mp_error e;
        size_t used;
        size_t len = strlen(v->path);
        assert_int_equal(mp_smtp_path_parse(v->path, len, v->allow_null, v->postmaster, v->utf8,
                                            &pa, &used, &e),
                         MP_OK);
        agree_ok(v->path, len, &pa, v->utf8);
        n_ok++;
    }
    for (i = 0; i < PATH_VEC_COUNT(path_bad_vecs); i++) {
        const path_bad_vec *v = &path_bad_vecs[i];
        n_bad += (size_t)agree_bad(v->path, v->len, v->utf8, v->want);
    }
    assert_true(n_ok >= 15 && n_bad >= 28);
}

/* The limits agree at the boundary: local part 64, label 63, path 256
 * with its brackets. */
static void test_limits(void **s)
{
    static char big[400];
    static const struct {
        size_t local, domain; /* lengths; the domain is labels of 60 */
        mp_status want;
    } cases[] = {
        { 64, 10, MP_OK },
        { 65, 10, MP_ERR_SMTP_LOCAL_TOO_LONG },
        { 12, 241, MP_OK },          /* 12 + 1 + 241 + 2 = 256 */
        { 12, 242, MP_ERR_SMTP_PATH_TOO_LONG },
        { 64, 189, MP_OK },          /* 64 + 1 + 189 + 2 = 256 */
        { 64, 190, MP_ERR_SMTP_PATH_TOO_LONG },
    };
    size_t i, k;
    (void)s;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = cases[i].local + 1 + cases[i].domain;
        mp_smtp_path pa;
        mp_error e;
        size_t used;
        mp_status srv;
        big[0] = '<';
        memset(big + 1, 'a', cases[i].local);
        big[1 + cases[i].local] = '@';
        for (k = 0; k < cases[i].domain; k++)
            big[2 + cases[i].local + k] = (k % 61 == 60) ? '.' : 'b';
        big[1 + n] = '>';
        srv = mp_smtp_path_parse(big, n + 2, 0, 0, 0, &pa, &used, &e);
        assert_int_equal(srv, cases[i].want);
        assert_int_equal(client_writes(big + 1, n, 1, 0), srv);
        assert_int_equal(client_writes(big + 1, n, 0, 0), srv);
    }
    /* A 64-character label is too long on both sides. */
    memcpy(big, "<a@", 3);
    memset(big + 3, 'b', 64);
    big[67] = '>';
    assert_int_equal(mp_smtp_path_parse(big, 68, 0, 0, 0, &(mp_smtp_path){ 0 }, &(size_t){ 0 },
                                        &(mp_error){ 0 }),
                     MP_ERR_SMTP_DOMAIN_TOO_LONG);
    assert_int_equal(client_writes(big + 1, 66, 0, 0), MP_ERR_SMTP_DOMAIN_TOO_LONG);
}

/* Every MAIL/RCPT path of the server session vectors (real transcripts and
 * RFC examples), as the server's command parser judges it. */
static void test_session_vectors(void **s)
{
    smtp_vec_iter it;
    const char *vec;
    size_t lines = 0;
    (void)s;
    smtp_vec_open(&it, "smtp/server");
    while ((vec = smtp_vec_next(&it)) != NULL) {
        static char in[65536];
        size_t len = smtp_read_file(vec, in, sizeof(in)), i = 0;
        while (i < len) {
            const char *eol = memchr(in + i, '\n', len - i);
            size_t ll = eol ? (size_t)(eol - (in + i)) : len - i;
            const char *l = in + i;
            i += ll + 1;
            if (ll > 0 && l[ll - 1] == '\r')
                ll--;
            if (ll >= 10 && (strncmp(l, "MAIL FROM:<", 11) == 0 || strncmp(l, "RCPT TO:<", 9) == 0)) {
                const unsigned fl = MP_SMTP_CMD_SMTPUTF8 | MP_SMTP_CMD_UTF8_TXN;
                const char *lt = memchr(l, '<', ll);
                mp_smtp_cmd cmd;
                mp_error e;
                mp_status st = mp_smtp_cmd_parse(l, ll, fl, &cmd, &e);
                /* The path ends at the first ">" followed by SP or the end. */
                size_t pe = (size_t)(lt - l);
                while (pe < ll && !(l[pe] == '>' && (pe + 1 == ll || l[pe + 1] == ' ')))
                    pe++;
                if (st == MP_OK)
                    agree_ok(lt, (size_t)(l + pe + 1 - lt), &cmd.path, 1);
                else if (pe < ll && st >= MP_ERR_SMTP_PATH && st <= MP_ERR_SMTP_UTF8_PATH)
                    (void)agree_bad(lt, (size_t)(l + pe + 1 - lt), 1, st);
                lines++;
            }
        }
    }
    assert_true(lines >= 15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_vectors),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_session_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
