/* IMAP capabilities (RFC 9051 §7.2.2 capability = ("AUTH=" auth-type) /
 * atom) and system flags (§2.3.2) as bits, for the client session and for
 * hosts that use the codec alone. */
#include <string.h>

#include "mailproto/imap_client.h"
#include "mailproto/sasl.h"

static const char *const cap_names[MP_IMAP_CAP_COUNT_] = {
#define NAME_(name, atom) atom,
    MP_IMAP_CAP_TABLE(NAME_)
#undef NAME_
};

void mp_imap_caps_init(mp_imap_caps *caps) { memset(caps, 0, sizeof(*caps)); }

/* `a` starts with the NUL-terminated `prefix` (any case). */
static int has_prefix(mp_slice a, const char *prefix)
{
    size_t n = strlen(prefix);
    return a.len >= n && mp_slice_eq_ci(mp_slice_make(a.ptr, n), prefix, n);
}

uint64_t mp_imap_caps_add(mp_imap_caps *caps, mp_slice atom)
{
    unsigned i;
    if (has_prefix(atom, "AUTH=")) {
        mp_sasl_mech m = mp_sasl_mech_from_name(atom.ptr + 5, atom.len - 5);
        if (m != MP_SASL_MECH_NONE)
            caps->auth |= MP_SASL_MECH_BIT(m);
        return 0;
    }
    if (has_prefix(atom, "APPENDLIMIT")) {
        /* RFC 7889 §4: "APPENDLIMIT" ["=" number] */
        uint64_t v = 0;
        if (atom.len == 11 ||
            (atom.ptr[11] == '=' &&
             mp_parse_u64(mp_slice_make(atom.ptr + 12, atom.len - 12), UINT64_MAX, &v) == MP_OK)) {
            caps->appendlimit = v;
            caps->flags |= MP_IMAP_CAP_APPENDLIMIT;
            return MP_IMAP_CAP_APPENDLIMIT;
        }
        return 0;
    }
    /* RFC 5256 "THREAD=" / RFC 5957 "SORT=DISPLAY" variants */
    if (has_prefix(atom, "THREAD=")) {
        caps->flags |= MP_IMAP_CAP_THREAD;
        return MP_IMAP_CAP_THREAD;
    }
    if (has_prefix(atom, "SORT=")) {
        caps->flags |= MP_IMAP_CAP_SORT;
        return MP_IMAP_CAP_SORT;
    }
    for (i = 0; i < MP_IMAP_CAP_COUNT_; i++) {
        if (mp_slice_eq_ci(atom, cap_names[i], strlen(cap_names[i]))) {
            caps->flags |= (uint64_t)1u << i;
            return (uint64_t)1u << i;
        }
    }
    return 0;
}

const char *mp_imap_cap_name(uint64_t bit)
{
    unsigned i;
    for (i = 0; i < MP_IMAP_CAP_COUNT_; i++)
        if (bit == (uint64_t)1u << i)
            return cap_names[i];
    return NULL;
}

unsigned mp_imap_flag_bit(mp_slice flag)
{
    static const struct {
        const char *name;
        unsigned bit;
    } sys[] = {
        { "\\Seen", MP_IMAP_FLAG_SEEN },       { "\\Answered", MP_IMAP_FLAG_ANSWERED },
        { "\\Flagged", MP_IMAP_FLAG_FLAGGED }, { "\\Deleted", MP_IMAP_FLAG_DELETED },
        { "\\Draft", MP_IMAP_FLAG_DRAFT },     { "\\Recent", MP_IMAP_FLAG_RECENT },
        { "\\*", MP_IMAP_FLAG_ANY },
    };
    unsigned i;
    for (i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
        if (mp_slice_eq_ci(flag, sys[i].name, strlen(sys[i].name)))
            return sys[i].bit;
    return MP_IMAP_FLAG_KEYWORD;
}
