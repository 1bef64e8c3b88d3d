/* Whether two parsed SMTP commands are the same to the byte: every field,
 * every slice by pointer and length.  Shared by the sweep of the parser's
 * two paths (tests/smtp/test_cmd_sweep.c) and the fuzz target
 * fuzz/fuzz_smtp_cmd.c; no test framework needed. */
#ifndef MP_TEST_SMTP_CMD_SAME_H
#define MP_TEST_SMTP_CMD_SAME_H

#include <stddef.h>

#include "mailproto/smtp.h"

static inline int mp_test_slice_same(mp_slice a, mp_slice b)
{
    return a.ptr == b.ptr && a.len == b.len;
}

/* The name of the first field in which a and b differ, NULL when none. */
static inline const char *mp_test_cmd_diff(const mp_smtp_cmd *a, const mp_smtp_cmd *b)
{
    const mp_smtp_params *p = &a->params, *q = &b->params;
    if (a->verb != b->verb)
        return "verb";
    if (!mp_test_slice_same(a->arg, b->arg))
        return "arg";
    if (!mp_test_slice_same(a->arg2, b->arg2))
        return "arg2";
    if (!mp_test_slice_same(a->params_text, b->params_text))
        return "params_text";
    if (a->path.kind != b->path.kind)
        return "path.kind";
    if (!mp_test_slice_same(a->path.mailbox, b->path.mailbox))
        return "path.mailbox";
    if (!mp_test_slice_same(a->path.local, b->path.local))
        return "path.local";
    if (!mp_test_slice_same(a->path.domain, b->path.domain))
        return "path.domain";
    if (a->path.flags != b->path.flags)
        return "path.flags";
    if (p->size != q->size || p->present != q->present || p->body != q->body ||
        p->ret != q->ret || p->notify != q->notify || p->mt_priority != q->mt_priority ||
        p->n_unknown != q->n_unknown)
        return "params";
    if (!mp_test_slice_same(p->envid, q->envid) || !mp_test_slice_same(p->auth, q->auth) ||
        !mp_test_slice_same(p->orcpt_type, q->orcpt_type) ||
        !mp_test_slice_same(p->orcpt, q->orcpt))
        return "params (slices)";
    if (a->bdat_size != b->bdat_size || a->bdat_last != b->bdat_last)
        return "bdat";
    if (a->has_arg2 != b->has_arg2)
        return "has_arg2";
    return NULL;
}

#endif
