/* IMAP command parser (server side): RFC 3501 / RFC 9051 §6 and §9 on the
 * shared tokenizer (lex.h).
 *
 * Each command's arguments are a short program of position kinds (the
 * table `progs`), run one token at a time; the positions that nest
 * (search keys, fetch items, parenthesised parameter lists) have their own
 * sub-states and an explicit stack, never recursion.  On any error the
 * tokenizer skips the rest of the command, over literal payloads, and the
 * command is reported through on_bad at its end. */
#include <stdint.h>
#include <string.h>

#include "mailproto/imap_command.h"
#include "cmd_chars.h"
#include "lex.h"

#define LX(p) ((mp_imap_lex *)(void *)(p)->lx_)
#define LXC(p) ((const mp_imap_lex *)(const void *)(p)->lx_)

_Static_assert(sizeof(mp_imap_lex) <= sizeof(((mp_imap_cmd_parser *)0)->lx_),
               "mp_imap_cmd_parser.lx_ too small for mp_imap_lex");

enum phase {
    PH_TAG = 0,  /* start of a line: tag */
    PH_TAG_SP,
    PH_NAME,     /* command name */
    PH_UID_SP,
    PH_UID_NAME,
    PH_ARGS,     /* running the argument program */
    PH_SKIP,     /* error: waiting for the end of the skipped command */
    PH_LIT_WAIT, /* a sync literal waits for the host's decision */
    PH_AUTH,     /* AUTHENTICATE response line: text */
    PH_AUTH_END,
    PH_IDLE,     /* "DONE" */
    PH_IDLE_END
};

enum stop { STOP_NONE = 0, STOP_PAUSE, STOP_ABORT };

/* A literal where a string value may stand (p->lstate). */
enum lstate {
    LS_NONE = 0,
    LS_ASSEMBLE, /* small: gathered in the decode buffer, then one STRING */
    LS_STREAM    /* large: a streamed STRING, bytes through on_literal_chunk */
};

/* Argument programs (see the file comment).  Ops:
 *  m mailbox   p pattern   M pattern or (patterns)   a astring   A atom
 *  E atoms     S sequence set   G value or list   L list   o optional
 *  list before the next op   ? the rest is optional   R "RETURN"
 *  B base64 or "="   F fetch items   T store item and flags
 *  K search (RETURN, CHARSET, keys)   k search keys   P APPEND messages
 *  r [RETURN SP list] before the next op (ESORT)   W string *(SP string)
 *  N NOTIFY's NONE or SET [STATUS] event-groups   V astring *(SP astring)
 *  U astring SP atom *(SP astring SP atom) (GENURLAUTH)
 *  i [IN SP list] before the next op (MULTISEARCH) */
static const char *const progs[MP_IMAP_CMD_COUNT_] = {
    [MP_IMAP_CMD_CAPABILITY] = "",   [MP_IMAP_CMD_NOOP] = "",
    [MP_IMAP_CMD_LOGOUT] = "",       [MP_IMAP_CMD_STARTTLS] = "",
    [MP_IMAP_CMD_AUTHENTICATE] = "A?B",
    [MP_IMAP_CMD_LOGIN] = "aa",      [MP_IMAP_CMD_ENABLE] = "E",
    [MP_IMAP_CMD_SELECT] = "m?L",    [MP_IMAP_CMD_EXAMINE] = "m?L",
    [MP_IMAP_CMD_CREATE] = "m?L",    [MP_IMAP_CMD_DELETE] = "m",
    [MP_IMAP_CMD_RENAME] = "mm",     [MP_IMAP_CMD_SUBSCRIBE] = "m",
    [MP_IMAP_CMD_UNSUBSCRIBE] = "m", [MP_IMAP_CMD_LIST] = "omM?RL",
    [MP_IMAP_CMD_LSUB] = "mp",       [MP_IMAP_CMD_NAMESPACE] = "",
    [MP_IMAP_CMD_STATUS] = "mL",     [MP_IMAP_CMD_APPEND] = "mP",
    [MP_IMAP_CMD_IDLE] = "",         [MP_IMAP_CMD_CHECK] = "",
    [MP_IMAP_CMD_CLOSE] = "",        [MP_IMAP_CMD_UNSELECT] = "",
    [MP_IMAP_CMD_EXPUNGE] = "",      [MP_IMAP_CMD_SEARCH] = "K",
    [MP_IMAP_CMD_FETCH] = "SF?L",    [MP_IMAP_CMD_STORE] = "SoT",
    [MP_IMAP_CMD_COPY] = "Sm",       [MP_IMAP_CMD_MOVE] = "Sm",
    [MP_IMAP_CMD_UID_EXPUNGE] = "S", [MP_IMAP_CMD_UID_SEARCH] = "K",
    [MP_IMAP_CMD_UID_FETCH] = "SF?L", [MP_IMAP_CMD_UID_STORE] = "SoT",
    [MP_IMAP_CMD_UID_COPY] = "Sm",   [MP_IMAP_CMD_UID_MOVE] = "Sm",
    [MP_IMAP_CMD_ID] = "G",          [MP_IMAP_CMD_GETQUOTA] = "a",
    [MP_IMAP_CMD_GETQUOTAROOT] = "m", [MP_IMAP_CMD_SETQUOTA] = "aL",
    [MP_IMAP_CMD_GETMETADATA] = "omG", [MP_IMAP_CMD_SETMETADATA] = "mL",
    [MP_IMAP_CMD_SORT] = "rLak",     [MP_IMAP_CMD_UID_SORT] = "rLak",
    [MP_IMAP_CMD_THREAD] = "Aak",    [MP_IMAP_CMD_UID_THREAD] = "Aak",
    [MP_IMAP_CMD_COMPRESS] = "A",
    [MP_IMAP_CMD_NOTIFY] = "N",      [MP_IMAP_CMD_CANCELUPDATE] = "W",
    [MP_IMAP_CMD_GETACL] = "m",      [MP_IMAP_CMD_SETACL] = "maa",
    [MP_IMAP_CMD_DELETEACL] = "ma",  [MP_IMAP_CMD_LISTRIGHTS] = "ma",
    [MP_IMAP_CMD_MYRIGHTS] = "m",    [MP_IMAP_CMD_RESETKEY] = "?m?E",
    [MP_IMAP_CMD_GENURLAUTH] = "U",  [MP_IMAP_CMD_URLFETCH] = "V",
    [MP_IMAP_CMD_ESEARCH] = "iK",
};

/* ---- search keys: the table is in cmd_chars.h (shared with the writer) -- */

/* Search sub-states (p->sub while op is K or k). */
enum ks {
    KS_START = 0, /* RETURN, CHARSET or the first key */
    KS_RET_SP, KS_RET_LIST, KS_RET_DONE, KS_AFTER_RET, KS_CS_SP, KS_CS, KS_CS_DONE,
    KS_KEY,       /* a key */
    KS_KEY_SP,    /* SP, then a key (second operand of OR, operand of NOT) */
    KS_ARG_SP, KS_ARG,
    KS_MODSEQ_TYPE_SP, KS_MODSEQ_TYPE, KS_MODSEQ_NUM_SP, KS_MODSEQ_NUM,
    KS_AFTER      /* after a key: SP, ")" or the end */
};

#define KFRAME_PAREN 255u

/* ---- fetch items (RFC 9051 §6.4.5, RFC 3516, RFC 7162, RFC 8474, RFC
 * 8970, RFC 8514) --------------------------------------------------------- */

enum fsec { FSEC_NO = 0, FSEC_OPT, FSEC_REQ, FSEC_BIN_OPT, FSEC_BIN_REQ, FSEC_MACRO };

typedef struct fetch_att {
    const char *name;
    uint8_t sec;
} fetch_att;

static const fetch_att fetch_atts[] = {
    { "ALL", FSEC_MACRO },        { "FAST", FSEC_MACRO },      { "FULL", FSEC_MACRO },
    { "ENVELOPE", FSEC_NO },      { "FLAGS", FSEC_NO },        { "INTERNALDATE", FSEC_NO },
    { "RFC822", FSEC_NO },        { "RFC822.HEADER", FSEC_NO }, { "RFC822.SIZE", FSEC_NO },
    { "RFC822.TEXT", FSEC_NO },   { "BODY", FSEC_OPT },        { "BODYSTRUCTURE", FSEC_NO },
    { "UID", FSEC_NO },           { "BODY.PEEK", FSEC_REQ },   { "BINARY", FSEC_BIN_REQ },
    { "BINARY.PEEK", FSEC_BIN_REQ }, { "BINARY.SIZE", FSEC_BIN_REQ }, { "MODSEQ", FSEC_NO },
    { "EMAILID", FSEC_NO },       { "THREADID", FSEC_NO },     { "PREVIEW", FSEC_NO },
    { "SAVEDATE", FSEC_NO },
};

enum fs {
    FS_START = 0, /* a macro, one item, or "(" */
    FS_ATT,       /* an item name */
    FS_AFTER_NAME,/* "[" or the end of the item */
    FS_SEC,       /* inside [ ]: section text, SP, "(" or "]" */
    FS_HDR,       /* inside the header list */
    FS_AFTER_SEC, /* "<" or the end of the item */
    FS_PARTIAL, FS_PARTIAL_END,
    FS_AFTER,     /* SP or ")" inside the list */
    FS_PMOD,      /* PREVIEW modifiers: "LAZY" (RFC 8970) */
    FS_PMOD_SEP,  /* SP or ")" */
    FS_LONE_SP,   /* a lone PREVIEW and SP: "(" (modifiers of either) */
    FS_LONE_OPEN  /* "LAZY" (PREVIEW's) or a fetch-modifier */
};

/* ---- APPEND, STORE, generic lists --------------------------------------- */

enum ps { PS_START = 0, PS_FLAGS, PS_FLAGS_SP, PS_AFTER_FLAGS, PS_DATE_SP, PS_LIT, PS_BODY,
          PS_NEXT };
enum ts { TS_ITEM = 0, TS_SP, TS_FIRST, TS_LIST, TS_FLAGS };
enum ms { MS_START = 0, MS_LIST, MS_SEP };
enum gs { GS_VALUE = 0, GS_SEP, GS_OPEN };

/* ======================================================================= */

static void set_stop(mp_imap_cmd_parser *p, int rc)
{
    if (rc == 0)
        return;
    if (rc == MP_IMAP_CB_PAUSE) {
        if (p->pending == STOP_NONE)
            p->pending = STOP_PAUSE;
    } else {
        p->pending = STOP_ABORT;
    }
}

static void arg_init(mp_imap_cmd_arg *a, mp_imap_cmd_arg_kind k, uint8_t depth)
{
    memset(a, 0, sizeof(*a));
    a->kind = k;
    a->depth = depth;
}

static void emit(mp_imap_cmd_parser *p, const mp_imap_cmd_arg *a)
{
    if (p->pending == STOP_ABORT)
        return;
    if (p->cb->on_arg != NULL) {
        mp_imap_cmd_arg b;
        if (p->dbase == 0) {
            set_stop(p, p->cb->on_arg(p->user, a));
            return;
        }
        /* a grammar reused one level down (NOTIFY's fetch-att list) */
        b = *a;
        b.depth = (uint8_t)(b.depth + p->dbase);
        set_stop(p, p->cb->on_arg(p->user, &b));
    }
}

static void emit_simple(mp_imap_cmd_parser *p, mp_imap_cmd_arg_kind k, mp_slice text,
                        uint8_t depth)
{
    mp_imap_cmd_arg a;
    arg_init(&a, k, depth);
    a.text = text;
    emit(p, &a);
}

static void emit_string(mp_imap_cmd_parser *p, const mp_imap_token *t, uint8_t depth)
{
    mp_imap_cmd_arg a;
    arg_init(&a, MP_IMAP_CA_STRING, depth);
    a.text = t->text;
    a.literal = (t->flags & MP_IMAP_TOKF_LITERAL) != 0;
    a.binary = (t->flags & MP_IMAP_TOKF_BINARY) != 0;
    if (p->lstate == LS_STREAM) {
        /* The value follows as literal chunks (string_literal_tok). */
        a.streamed = 1;
        a.num = p->llen;
    }
    emit(p, &a);
}

/* Record a grammar error at `t` and give up the command. */
static void fail(mp_imap_cmd_parser *p, const mp_imap_token *t, mp_status code,
                 const char *rule)
{
    mp_error_set(&p->err, code, t->offset, rule);
    p->lstate = LS_NONE;
    if (t->kind == MP_IMAP_TOK_CRLF) {
        /* The command already ended: report it now. */
        p->phase = PH_SKIP;
        return;
    }
    mp_imap_lex_skip_line(LX(p));
    p->phase = PH_SKIP;
}

static int is_word(mp_slice s, const char *w)
{
    size_t n = strlen(w);
    return s.len == n && mp_slice_eq_ci(s, w, n);
}

/* Atom-like token text: ATOM, NUMBER and NIL all carry their text. */
static int atomish(const mp_imap_token *t)
{
    return t->kind == MP_IMAP_TOK_ATOM || t->kind == MP_IMAP_TOK_NUMBER ||
           t->kind == MP_IMAP_TOK_NIL;
}

static int stringish(const mp_imap_token *t)
{
    return atomish(t) || t->kind == MP_IMAP_TOK_STRING;
}

/* ---- values -------------------------------------------------------------- */

static void emit_seqset(mp_imap_cmd_parser *p, mp_slice s, uint8_t depth)
{
    size_t i = 0;
    uint32_t index = 0;
    if (s.len == 1 && s.ptr[0] == '$') {
        emit_simple(p, MP_IMAP_CA_SEQ_LAST, s, depth);
        return;
    }
    while (i < s.len && p->pending != STOP_ABORT) {
        size_t j = i, k;
        mp_imap_cmd_arg a;
        arg_init(&a, MP_IMAP_CA_SEQ, depth);
        while (j < s.len && s.ptr[j] != ',')
            j++;
        k = i;
        while (k < j && s.ptr[k] != ':')
            k++;
        (void)mp_imap_seqnum(s.ptr + i, k - i, &a.range.lo);
        a.range.hi = a.range.lo;
        if (k < j)
            (void)mp_imap_seqnum(s.ptr + k + 1, j - k - 1, &a.range.hi);
        a.index = index++;
        a.text = mp_slice_make(s.ptr + i, j - i);
        emit(p, &a);
        i = j + 1;
    }
}

static int looks_like_seqset(mp_slice s)
{
    return s.len > 0 && ((s.ptr[0] >= '0' && s.ptr[0] <= '9') || s.ptr[0] == '*' ||
                         (s.len == 1 && s.ptr[0] == '$'));
}

static int digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10u + (unsigned)(s[i] - '0');
    }
    *out = v;
    return n > 0;
}

static int month_of(const char *s)
{
    for (int m = 0; m < 12; m++)
        if (mp_slice_eq_ci(mp_slice_make(s, 3), mp_imap_months[m], 3))
            return m + 1;
    return 0;
}

/* date-text = date-day "-" date-month "-" date-year (date-day 1*2DIGIT). */
static int parse_date(mp_slice s, mp_imap_datetime *dt)
{
    size_t d = (s.len == 10) ? 1 : 2;
    unsigned day, year;
    int m;
    memset(dt, 0, sizeof(*dt));
    if (s.len != 10 && s.len != 11)
        return 0;
    if (!digits(s.ptr, d, &day) || s.ptr[d] != '-' || s.ptr[d + 4] != '-')
        return 0;
    m = month_of(s.ptr + d + 1);
    if (m == 0 || !digits(s.ptr + d + 5, 4, &year) || day < 1 || day > 31)
        return 0;
    dt->day = (uint8_t)day;
    dt->month = (uint8_t)m;
    dt->year = (uint16_t)year;
    return 1;
}

/* date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP
 * zone DQUOTE, the quotes already removed: 26 characters. */
static int parse_datetime(mp_slice s, mp_imap_datetime *dt)
{
    const char *c = s.ptr;
    unsigned day, year, hh, mm, ss, zh, zm;
    int m;
    if (s.len != 26)
        return 0;
    if (c[0] == ' ') {
        if (!digits(c + 1, 1, &day))
            return 0;
    } else if (!digits(c, 2, &day)) {
        return 0;
    }
    if (c[2] != '-' || c[6] != '-' || c[11] != ' ' || c[14] != ':' || c[17] != ':' ||
        c[20] != ' ' || (c[21] != '+' && c[21] != '-'))
        return 0;
    m = month_of(c + 3);
    if (m == 0 || !digits(c + 7, 4, &year) || !digits(c + 12, 2, &hh) ||
        !digits(c + 15, 2, &mm) || !digits(c + 18, 2, &ss) || !digits(c + 22, 2, &zh) ||
        !digits(c + 24, 2, &zm))
        return 0;
    if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 || zm > 59)
        return 0;
    dt->day = (uint8_t)day;
    dt->month = (uint8_t)m;
    dt->year = (uint16_t)year;
    dt->hour = (uint8_t)hh;
    dt->min = (uint8_t)mm;
    dt->sec = (uint8_t)ss;
    dt->zone = (int16_t)((int)(zh * 60u + zm) * (c[21] == '-' ? -1 : 1));
    return 1;
}

/* mailbox / list-mailbox: decoded from modified UTF-7 in rev1, checked
 * UTF-8 under UTF8=ACCEPT / rev2; INBOX is case-insensitive (§5.1). */
static int emit_mailbox(mp_imap_cmd_parser *p, const mp_imap_token *t, mp_imap_cmd_arg_kind k,
                        uint8_t depth)
{
    mp_imap_cmd_arg a;
    size_t n = 0;
    arg_init(&a, k, depth);
    a.raw = t->text;
    a.literal = (t->flags & MP_IMAP_TOKF_LITERAL) != 0;
    if (memchr(t->text.ptr, 0, t->text.len) != NULL)
        return 0;
    if (p->mode_flags & (MP_IMAP_UTF8 | MP_IMAP_REV2)) {
        if (!mp_utf8_valid(t->text.ptr, t->text.len, NULL))
            return 0;
        a.text = t->text;
    } else {
        if (mp_mutf7_decode(t->text.ptr, t->text.len, p->dec, p->dec_cap, &n) != MP_OK)
            return 0;
        a.text = mp_slice_make(p->dec, n);
    }
    /* Net-Unicode names (RFC 9051 §5.1, RFC 5198): no control characters,
     * whether sent raw or hidden in modified UTF-7. */
    for (size_t i = 0; i < a.text.len; i++) {
        unsigned char c = (unsigned char)a.text.ptr[i];
        if (c < 0x20 || c == 0x7f)
            return 0;
    }
    if (k == MP_IMAP_CA_MAILBOX && is_word(a.text, "INBOX"))
        a.text = MP_SLICE_LIT("INBOX");
    emit(p, &a);
    return 1;
}

static void emit_flag(mp_imap_cmd_parser *p, const mp_imap_token *t, uint8_t depth)
{
    emit_simple(p, MP_IMAP_CA_FLAG, t->text, depth);
}

/* The base64 alphabet and padding (RFC 4648 §4); the SASL layer decodes
 * strictly, this only keeps other bytes out. */
static int base64_chars(mp_slice s)
{
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/' || c == '='))
            return 0;
    }
    return 1;
}

/* number64 (RFC 9051 §9): at most 2^63-1. */
static int number_ok(const mp_imap_token *t)
{
    return t->kind == MP_IMAP_TOK_NUMBER && t->num <= (uint64_t)INT64_MAX;
}

static int flagish(const mp_imap_token *t)
{
    return (t->kind == MP_IMAP_TOK_FLAG && !(t->text.len == 2 && t->text.ptr[1] == '*')) ||
           atomish(t);
}

/* ---- generic values and lists -------------------------------------------- */

/* One value of a parameter list: lists nest (depth counted by gdepth).
 * Returns 1 when the outermost value is complete, 0 when more tokens are
 * needed, -1 on error (already reported). */
/* ID (RFC 2971 §3.3): "(" *(string SP nstring) ")" / NIL, at most
 * MP_IMAP_MAX_ID_PAIRS pairs, fields of MP_IMAP_MAX_ID_FIELD octets and
 * values of MP_IMAP_MAX_ID_VALUE.  Returns 0 after reporting a fault. */
static int id_ok(mp_imap_cmd_parser *p, const mp_imap_token *t)
{
    if (p->gdepth == 0) {
        if (t->kind == MP_IMAP_TOK_NIL || t->kind == MP_IMAP_TOK_LPAREN)
            return 1;
    } else if (t->kind == MP_IMAP_TOK_RPAREN) {
        if (p->idn % 2u == 0)
            return 1;
    } else if (t->kind == MP_IMAP_TOK_STRING ||
               (t->kind == MP_IMAP_TOK_NIL && p->idn % 2u == 1)) {
        size_t max = p->idn % 2u == 0 ? MP_IMAP_MAX_ID_FIELD : MP_IMAP_MAX_ID_VALUE;
        if (++p->idn > 2u * MP_IMAP_MAX_ID_PAIRS || t->text.len > max ||
            p->lstate == LS_STREAM) {
            fail(p, t, MP_ERR_IMAP_CMD_ID_LIMIT, MP_RULE_("RFC 2971 3.3 (MP_IMAP_MAX_ID_PAIRS)"));
            return 0;
        }
        return 1;
    }
    fail(p, t, MP_ERR_IMAP_CMD_SYNTAX, MP_RULE_("RFC 2971 id-params-list"));
    return 0;
}

/* SELECT / EXAMINE parameters (RFC 7162 §3.2.5): CONDSTORE, or
 *   "QRESYNC" SP "(" uidvalidity SP mod-sequence-value [SP known-uids]
 *   [SP "(" known-sequence-set SP known-uid-set ")"] ")"
 * and other select-param atoms as extensions.  qstate: 0 outside QRESYNC,
 * 1 after the QRESYNC atom, 2 in its list (qpos = values seen), 3 in the
 * seq-match list (idn = sets seen).  A known-uids set written as a lone
 * number is still a set (*as_seq).  Returns 0 after reporting a fault. */
static int qresync_close(mp_imap_cmd_parser *p, const mp_imap_token *t)
{
    if (p->qstate == 3 && p->gdepth == 3) {
        if (p->idn != 2)
            goto bad;
        p->qstate = 2;
    } else if (p->qstate == 2 && p->gdepth == 2) {
        if (p->qpos < 2)
            goto bad;
        p->qstate = 0;
    } else if (p->qstate == 1) {
        goto bad;
    }
    return 1;
bad:
    fail(p, t, MP_ERR_IMAP_CMD_SYNTAX, MP_RULE_("RFC 7162 3.2.5 QRESYNC parameter"));
    return 0;
}

static int qresync_value(mp_imap_cmd_parser *p, const mp_imap_token *t, int *as_seq)
{
    uint64_t v;
    *as_seq = 0;
    if (t->kind == MP_IMAP_TOK_RPAREN)
        return qresync_close(p, t);
    switch (p->qstate) {
    case 0:
        if (p->gdepth == 1 && atomish(t) && is_word(t->text, "QRESYNC"))
            p->qstate = 1;
        return 1;
    case 1:
        if (t->kind != MP_IMAP_TOK_LPAREN || p->gdepth != 1)
            break;
        p->qstate = 2;
        p->qpos = 0;
        return 1;
    case 2:
        if (t->kind == MP_IMAP_TOK_LPAREN && (p->qpos == 2 || p->qpos == 3)) {
            p->qstate = 3;
            p->qpos = 4;
            p->idn = 0;
            return 1;
        }
        if (p->qpos < 2) {
            /* uidvalidity = nz-number (32 bits), mod-sequence-value >= 1 */
            if (mp_imap_lex_number(t, p->qpos == 0 ? UINT32_MAX : (uint64_t)INT64_MAX, &v) !=
                    MP_OK ||
                v == 0)
                break;
            p->qpos++;
            return 1;
        }
        if (p->qpos == 2 && (t->kind == MP_IMAP_TOK_NUMBER || t->kind == MP_IMAP_TOK_ATOM)) {
            *as_seq = 1;
            p->qpos = 3;
            return 1;
        }
        break;
    case 3:
        if (p->idn < 2 && (t->kind == MP_IMAP_TOK_NUMBER || t->kind == MP_IMAP_TOK_ATOM)) {
            *as_seq = 1;
            p->idn++;
            return 1;
        }
        break;
    default:
        break;
    }
    fail(p, t, MP_ERR_IMAP_CMD_SYNTAX, MP_RULE_("RFC 7162 3.2.5 QRESYNC parameter"));
    return 0;
}

static int is_select(const mp_imap_cmd_parser *p)
{
    return p->cmd == MP_IMAP_CMD_SELECT || p->cmd == MP_IMAP_CMD_EXAMINE;
}

/* The closed option lists (cmd_chars.h): which one this list is. */
static uint8_t olist_of(const mp_imap_cmd_parser *p)
{
    char op = p->prog[p->op];
    switch (p->cmd) {
    case MP_IMAP_CMD_SORT:
    case MP_IMAP_CMD_UID_SORT:
        return op == 'L' ? MP_IMAP_OL_SORT : MP_IMAP_OL_NONE;
    case MP_IMAP_CMD_FETCH:
        return op == 'L' ? MP_IMAP_OL_FETCH : MP_IMAP_OL_NONE;
    case MP_IMAP_CMD_UID_FETCH:
        return op == 'L' ? MP_IMAP_OL_UID_FETCH : MP_IMAP_OL_NONE;
    case MP_IMAP_CMD_STORE:
    case MP_IMAP_CMD_UID_STORE:
        return op == 'o' ? MP_IMAP_OL_STORE : MP_IMAP_OL_NONE;
    case MP_IMAP_CMD_GETMETADATA:
        return op == 'o' ? MP_IMAP_OL_META : MP_IMAP_OL_NONE;
    case MP_IMAP_CMD_LIST:
        return op == 'o' ? MP_IMAP_OL_LSEL : op == 'L' ? MP_IMAP_OL_LRET : MP_IMAP_OL_NONE;
    case MP_IMAP_CMD_STATUS:
        return MP_IMAP_OL_STATUS;
    default:
        return MP_IMAP_OL_NONE;
    }
}

/* Feed token `t` of a generic list to the option-list checker; `depth` as
 * mp_imap_optck_step counts it.  Returns 0 after reporting a fault. */
static int olist_tok(mp_imap_cmd_parser *p, const mp_imap_token *t, unsigned depth)
{
    static const char *const rules[] = {
        "", MP_RULE_("RFC 5256 sort-criterion"), MP_RULE_("RFC 7162 fetch-modifier"),
        MP_RULE_("RFC 7162 fetch-modifier"), MP_RULE_("RFC 7162 store-modifier"),
        MP_RULE_("RFC 5464 getmetadata-option"), MP_RULE_("RFC 5258 list-select-opt"),
        MP_RULE_("RFC 5258 return-option"), MP_RULE_("RFC 9051 status-att")
    };
    mp_imap_optck c;
    unsigned tk;
    int st;
    if (depth == 0)
        p->olist = olist_of(p);
    if (p->olist == MP_IMAP_OL_NONE)
        return 1;
    switch (t->kind) {
    case MP_IMAP_TOK_LPAREN: tk = MP_IMAP_OT_OPEN; break;
    case MP_IMAP_TOK_RPAREN: tk = MP_IMAP_OT_CLOSE; break;
    case MP_IMAP_TOK_NUMBER: tk = MP_IMAP_OT_NUMBER; break;
    case MP_IMAP_TOK_ATOM:
        tk = looks_like_seqset(t->text) ? MP_IMAP_OT_SEQ : MP_IMAP_OT_ATOM;
        break;
    default: tk = MP_IMAP_OT_VALUE; break;
    }
    c.list = p->olist;
    c.state = p->ostate;
    c.flags = p->oflags;
    st = mp_imap_optck_step(&c, tk, depth, t->text.ptr, t->text.len, t->num,
                            (p->mode_flags & MP_IMAP_REV2) != 0);
    p->ostate = c.state;
    p->oflags = c.flags;
    if (st != 0) {
        fail(p, t, (mp_status)st,
             st == MP_ERR_IMAP_CMD_REV1_ONLY ? MP_RULE_("RFC 9051 Appendix E") : rules[p->olist]);
        return 0;
    }
    return 1;
}

static int generic_tok(mp_imap_cmd_parser *p, const mp_imap_token *t, int must_list)
{
    int as_seq = 0;
    uint8_t depth = p->gdepth;
    if (p->gdepth > 0 && p->gsub == GS_SEP) {
        if (t->kind == MP_IMAP_TOK_SP) {
            p->gsub = GS_VALUE;
            return 0;
        }
        if (t->kind == MP_IMAP_TOK_RPAREN) {
            if (p->cmd == MP_IMAP_CMD_ID && !id_ok(p, t))
                return -1;
            if (is_select(p) && !qresync_close(p, t))
                return -1;
            if (!olist_tok(p, t, (unsigned)p->gdepth - 1u))
                return -1;
            p->gdepth--;
            emit_simple(p, MP_IMAP_CA_LIST_END, mp_slice_make(NULL, 0), (uint8_t)(depth - 1));
            p->gsub = GS_SEP;
            return p->gdepth == 0;
        }
        fail(p, t, MP_ERR_IMAP_CMD_SYNTAX, MP_RULE_("RFC 9051 SP or \")\""));
        return -1;
    }
    if (must_list && p->gdepth == 0 && t->kind != MP_IMAP_TOK_LPAREN) {
        fail(p, t, MP_ERR_IMAP_CMD_SYNTAX, MP_RULE_("RFC 9051 \"(\""));
        return -1;
    }
    if (p->cmd == MP_IMAP_CMD_ID && !id_ok(p, t))
        return -1;
    if (is_select(p) && !qresync_value(p, t, &as_seq))
        return -1;
    /* STATUS atts, SORT criteria, modifiers and options: checked as they
     * come (cmd_chars.h) */
    if (t->kind == MP_IMAP_TOK_RPAREN) {
        if (p->gdepth > 0 && p->gsub == GS_OPEN && !olist_tok(p, t, (unsigned)p->gdepth - 1u))
            return -1;
    } else if (!olist_tok(p, t, p->gdepth)) {
        return -1;
    }
    switch (t->kind) {
    case MP_IMAP_TOK_LPAREN:
        if (p->gdepth >= MP_IMAP_MAX_DEPTH) {
            fail(p, t, MP_ERR_IMAP_DEPTH, "MP_IMAP_MAX_DEPTH");
            return -1;
        }
        emit_simple(p, MP_IMAP_CA_LIST_BEGIN, mp_slice_make(NULL, 0), depth);
        p->gdepth++;
        /* An empty list: the next token may be ")" at once. */
        p->gsub = GS_OPEN;
        return 0;
    case MP_IMAP_TOK_RPAREN:
        if (p->gdepth > 0 && p->gsub == GS_OPEN) {
            p->gdepth--;
            emit_simple(p, MP_IMAP_CA_LIST_END, mp_slice_make(NULL, 0), (uint8_t)(depth - 1));
            p->gsub = GS_SEP;
            return p->gdepth == 0;
        }
        break;
    case MP_IMAP_TOK_NUMBER: {
        mp_imap_cmd_arg a;
        if (as_seq) {
            if (!mp_imap_seqset_ok(t->text)) {
                fail(p, t, MP_ERR_IMAP_CMD_SEQSET, MP_RULE_("RFC 9051 sequence-set"));
                return -1;
            }
            emit_seqset(p, t->text, depth);
            goto value_done;
        }
        if (!number_ok(t)) {
            fail(p, t, MP_ERR_NUMBER, MP_RULE_("RFC 9051 number64"));
            return -1;
        }
        arg_init(&a, MP_IMAP_CA_NUMBER, depth);
        a.num = t->num;
        a.text = t->text;
        emit(p, &a);
        goto value_done;
    }
    case MP_IMAP_TOK_ATOM:
        if (as_seq || looks_like_seqset(t->text)) {
            if (!mp_imap_seqset_ok(t->text)) {
                fail(p, t, MP_ERR_IMAP_CMD_SEQSET, MP_RULE_("RFC 9051 sequence-set"));
                return -1;
            }
            emit_seqset(p, t->text, depth);
        } else {
            emit_simple(p, MP_IMAP_CA_ATOM, t->text, depth);
        }
        goto value_done;
    case MP_IMAP_TOK_NIL:
        emit_simple(p, MP_IMAP_CA_NIL, t->text, depth);
        goto value_done;
    case MP_IMAP_TOK_STRING:
        emit_string(p, t, depth);
        goto value_done;
    case MP_IMAP_TOK_FLAG:
        if (!flagish(t))
            break; /* "\\*" only exists in responses */
        emit_flag(p, t, depth);
        goto value_done;
    default:
        break;
    }
    fail(p, t, MP_ERR_IMAP_CMD_SYNTAX, MP_RULE_("RFC 9051 value"));
    return -1;
value_done:
    p->gsub = GS_SEP;
    return p->gdepth == 0;
}

/* ---- the argument program -------------------------------------------- */

enum { R_MORE = 0, R_DONE, R_PASS, R_SKIP, R_ERR };

/* Between commands: a fault on the first token of the next line must not
 * be reported with this command's tag. */
static void forget_command(mp_imap_cmd_parser *p)
{
    if (p->mode == MP_IMAP_CMD_MODE_COMMAND && p->phase == PH_TAG) {
        p->taglen = 0;
        p->cmd = 0;
        p->lit_total = 0;
    }
}

static void command_end(mp_imap_cmd_parser *p)
{
    mp_imap_cmd_id cmd = (mp_imap_cmd_id)p->cmd;
    p->phase = PH_TAG;
    if (p->pending != STOP_ABORT && p->cb->on_end != NULL)
        set_stop(p, p->cb->on_end(p->user));
    /* The layer or the line type changes after these: the host acts on
     * the command before any further byte is parsed (docs/security.md). */
    if (cmd == MP_IMAP_CMD_STARTTLS || cmd == MP_IMAP_CMD_COMPRESS || cmd == MP_IMAP_CMD_IDLE ||
        cmd == MP_IMAP_CMD_AUTHENTICATE)
        set_stop(p, MP_IMAP_CB_PAUSE);
    /* AUTHENTICATE keeps its tag: a bad response line is answered with it. */
    if (cmd != MP_IMAP_CMD_AUTHENTICATE)
        forget_command(p);
}

/* Account a literal's bytes against the per-command total. */
static int lit_account(mp_imap_cmd_parser *p, const mp_imap_token *t)
{
    p->lit_total += t->num;
    if (p->lit_total > p->max_literal_total || p->lit_total < t->num) {
        fail(p, t, MP_ERR_IMAP_CMD_LITERAL_TOTAL, "max_literal_total");
        return 0;
    }
    return 1;
}

/* ---- search -------------------------------------------------------------- */

static void key_complete(mp_imap_cmd_parser *p)
{
    for (;;) {
        uint8_t *f;
        if (p->kdepth == 0) {
            p->sub = KS_AFTER;
            return;
        }
        f = &p->kneed[p->kdepth - 1];
        if (*f == KFRAME_PAREN) {
            p->sub = KS_AFTER;
            return;
        }
        if (--*f > 0) {
            p->sub = KS_KEY_SP;
            return;
        }
        p->kdepth--;
    }
}

static const mp_imap_search_key *find_key(mp_slice s)
{
    return mp_imap_search_key_find(s.ptr, s.len);
}

/* A number or mod-sequence operand of a search key at depth d. */
static int search_number(mp_imap_cmd_parser *p, const mp_imap_token *t, uint8_t d)
{
    mp_imap_cmd_arg a;
    arg_init(&a, MP_IMAP_CA_NUMBER, d);
    a.num = t->num;
    a.text = t->text;
    emit(p, &a);
    key_complete(p);
    return R_MORE;
}

/* A sequence-set search key (bare or after UID) at depth d. */
static int search_seqset(mp_imap_cmd_parser *p, const mp_imap_token *t, uint8_t d)
{
    if (!atomish(t) || !mp_imap_seqset_ok(t->text)) {
        fail(p, t, MP_ERR_IMAP_CMD_SEQSET, MP_RULE_("RFC 9051 sequence-set"));
        return R_ERR;
    }
    emit_seqset(p, t->text, d);
    key_complete(p);
    return R_MORE;
}

static int search_push(mp_imap_cmd_parser *p, const mp_imap_token *t, uint8_t need)
{
    if (p->kdepth >= MP_IMAP_MAX_DEPTH) {
        fail(p, t, MP_ERR_IMAP_DEPTH, "MP_IMAP_MAX_DEPTH (search key nesting)");
        return 0;
    }
    p->kneed[p->kdepth++] = need;
    return 1;
}

static int search_tok(mp_imap_cmd_parser *p, const mp_imap_token *t, char op)
{
    uint8_t d = p->kdepth;
    switch (p->sub) {
    case KS_START:
        if (op == 'K' && atomish(t) && is_word(t->text, "RETURN")) {
            emit_simple(p, MP_IMAP_CA_ATOM, MP_SLICE_LIT("RETURN"), 0);
            p->sub = KS_RET_SP;
            return R_MORE;
        }
        /* fall through */
    case KS_AFTER_RET:
        if (op == 'K' && atomish(t) && is_word(t->text, "CHARSET")) {
            emit_simple(p, MP_IMAP_CA_ATOM, MP_SLICE_LIT("CHARSET"), 0);
            p->sub = KS_CS_SP;
            return R_MORE;
        }
        break; /* a key */
    case KS_RET_SP:
    case KS_RET_DONE:
    case KS_CS_SP:
    case KS_CS_DONE:
    case KS_KEY_SP:
    case KS_ARG_SP:
    case KS_MODSEQ_TYPE_SP:
    case KS_MODSEQ_NUM_SP:
        if (t->kind != MP_IMAP_TOK_SP) {
            fail(p, t, MP_ERR_IMAP_CMD_SYNTAX, MP_RULE_("RFC 9051 SP"));
            return R_ERR;
        }
        p->sub = p->sub == KS_RET_SP   ? KS_RET_LIST
                 : p->sub == KS_RET_DONE ? KS_AFTER_RET
                 : p->sub == KS_CS_SP  ? KS_CS
                 : p->sub == KS_ARG_SP ? KS_ARG
                 : p->sub == KS_MODSEQ_TYPE_SP ? KS_MODSEQ_TYPE
                 : p->sub == KS_MODSEQ_NUM_SP  ? KS_MODSEQ_NUM
                                               : KS_KEY;
        if (p->sub == KS_RET_LIST) {
            p->gdepth = 0;
            p->gsub = 0;
        }
        return R_MORE;
    case KS_RET_LIST: {
        int r = generic_tok(p, t, 1);
        if (r < 0)
            return R_ERR;
        if (r == 1)
            p->sub = KS_RET_DONE;
        return R_MORE;
    }
    case KS_CS:
        if (!stringish(t)) {
            fail(p, t, MP_ERR_IMAP_CMD_SYNTAX, MP_RULE_("RFC 9051 charset"));
            return R_ERR;
        }
        emit_string(p, t, 0);
        p->sub = KS_CS_DONE;
        return R_MORE;
    case KS_KEY:
        break;
    case KS_ARG:
        switch (p->kargs) {
        case MP_IMAP_KA_ASTRING:
        case MP_IMAP_KA_HEADER:
            if (!stringish(t))
                break;
            emit_string(p, t, d);
            if (p->kargs == MP_IMAP_KA_HEADER) {
                p->kargs = MP_IMAP_KA_ASTRING;
                p->sub = KS_ARG_SP;
                return R_MORE;
            }
            key_complete(p);
            return R_MORE;
        case MP_IMAP_KA_DATE: {
            mp_imap_cmd_arg a;
            arg_init(&a, MP_IMAP_CA_DATE, d);
            if (!(atomish(t) || (t->kind == MP_IMAP_TOK_STRING &&
                                 !(t->flags & MP_IMAP_TOKF_LITERAL))) ||
                !parse_date(t->text, &a.dt)) {
                fail(p, t, MP_ERR_IMAP_CMD_DATETIME, MP_RULE_("RFC 9051 date"));
                return R_ERR;
            }
            a.text = t->text;
            emit(p, &a);
            key_complete(p);
            return R_MORE;
        }
        case MP_IMAP_KA_NUMBER:
        case MP_IMAP_KA_MODSEQ:
            if (number_ok(t))
                return search_number(p, t, d);
            if (p->kargs == MP_IMAP_KA_MODSEQ && t->kind == MP_IMAP_TOK_STRING) {
                /* RFC 7162 §3.1.5: entry-name entry-type-req mod-sequence */
                emit_string(p, t, d);
                p->sub = KS_MODSEQ_TYPE_SP;
                return R_MORE;
            }
            break;
        case MP_IMAP_KA_KEYWORD:
            if (!atomish(t))
                break;
            emit_flag(p, t, d);
            key_complete(p);
            return R_MORE;
        case MP_IMAP_KA_SEQ:
            return search_seqset(p, t, d);
        default:
            break;
        }
        fail(p, t, MP_ERR_IMAP_CMD_SEARCH_KEY, MP_RULE_("RFC 9051 search-key argument"));
        return R_ERR;
    case KS_MODSEQ_TYPE:
        if (atomish(t) && (is_word(t->text, "priv") || is_word(t->text, "shared") ||
                           is_word(t->text, "all"))) {
            emit_simple(p, MP_IMAP_CA_ATOM, t->text, d);
            p->sub = KS_MODSEQ_NUM_SP;
            return R_MORE;
        }
        fail(p, t, MP_ERR_IMAP_CMD_SEARCH_KEY, MP_RULE_("RFC 7162 entry-type-req"));
        return R_ERR;
    case KS_MODSEQ_NUM:
        if (number_ok(t))
            return search_number(p, t, d);
        fail(p, t, MP_ERR_IMAP_CMD_SEARCH_KEY, MP_RULE_("RFC 7162 mod-sequence-valzer"));
        return R_ERR;
    case KS_AFTER:
        if (t->kind == MP_IMAP_TOK_SP) {
            p->sub = KS_KEY;
            p->tsp = d == 0;
            return R_MORE;
        }
        if (t->kind == MP_IMAP_TOK_RPAREN && d > 0 && p->kneed[d - 1] == KFRAME_PAREN) {
            p->kdepth--;
            emit_simple(p, MP_IMAP_CA_LIST_END, mp_slice_make(NULL, 0), p->kdepth);
            key_complete(p);
            return R_MORE;
        }
        if (t->kind == MP_IMAP_TOK_CRLF && d == 0)
            return R_PASS;
        fail(p, t, MP_ERR_IMAP_CMD_SYNTAX, MP_RULE_("RFC 9051 search-key"));
        return R_ERR;
    default:
        break;
    }
    /* A search key. */
    if (t->kind == MP_IMAP_TOK_LPAREN) {
        if (!search_push(p, t, KFRAME_PAREN))
            return R_ERR;
        emit_simple(p, MP_IMAP_CA_LIST_BEGIN, mp_slice_make(NULL, 0), d);
        p->sub = KS_KEY;
        return R_MORE;
    }
    if (atomish(t)) {
        const mp_imap_search_key *k;
        if (looks_like_seqset(t->text))
            return search_seqset(p, t, d);
        k = find_key(t->text);
        if (k == NULL) {
            fail(p, t, MP_ERR_IMAP_CMD_SEARCH_KEY, MP_RULE_("RFC 9051 search-key"));
            return R_ERR;
        }
        if (k->rev1 && (p->mode_flags & MP_IMAP_REV2)) {
            fail(p, t, MP_ERR_IMAP_CMD_REV1_ONLY, MP_RULE_("RFC 9051 Appendix E (\\Recent)"));
            return R_ERR;
        }
        emit_simple(p, MP_IMAP_CA_SEARCH_KEY, mp_slice_make(k->name, strlen(k->name)), d);
        switch (k->arg) {
        case MP_IMAP_KA_NONE:
            key_complete(p);
            return R_MORE;
        case MP_IMAP_KA_NOT:
        case MP_IMAP_KA_OR:
            if (!search_push(p, t, k->arg == MP_IMAP_KA_NOT ? 1 : 2))
                return R_ERR;
            p->sub = KS_KEY_SP;
            return R_MORE;
        default:
            p->kargs = k->arg;
            p->sub = KS_ARG_SP;
            return R_MORE;
        }
    }
    fail(p, t, t->kind == MP_IMAP_TOK_CRLF ? MP_ERR_IMAP_CMD_SYNTAX : MP_ERR_IMAP_CMD_SEARCH_KEY,
         MP_RULE_("RFC 9051 search-key"));
    return R_ERR;
}

/* ---- fetch --------------------------------------------------------------- */

static int sec_put(mp_imap_cmd_parser *p, const mp_imap_token *t, const char *s, size_t n)
{
    if (n > MP_IMAP_MAX_SECTION - p->seclen) {
        fail(p, t, MP_ERR_IMAP_CMD_SECTION_TOO_LONG, "MP_IMAP_MAX_SECTION");
        return 0;
    }
    memcpy(p->section + p->seclen, s, n);
    p->seclen = (uint16_t)(p->seclen + n);
    return 1;
}

static int ci_eq(const char *s, size_t n, const char *w)
{
    return is_word(mp_slice_make(s, n), w);
}

/* section-spec (RFC 9051 §9) on the canonical text; section-binary for
 * BINARY[...] is part numbers only. */
static int section_ok(const char *s, size_t n, int binary)
{
    size_t i = 0, sp;
    int parts = 0;
    while (i < n && s[i] >= '1' && s[i] <= '9') {
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        parts++;
        if (i == n)
            return 1;
        if (s[i] != '.' || i + 1 == n)
            return 0;
        i++;
    }
    if (binary)
        return i == n;
    if (i == n)
        return parts == 0; /* BODY[] */
    if (i > 0 && s[i - 1] != '.')
        return 0;
    s += i;
    n -= i;
    for (sp = 0; sp < n && s[sp] != ' '; sp++)
        ;
    if (sp < n)
        return (ci_eq(s, sp, "HEADER.FIELDS") || ci_eq(s, sp, "HEADER.FIELDS.NOT")) &&
               n > sp + 2 && s[sp + 1] == '(' && s[n - 1] == ')';
    return ci_eq(s, n, "HEADER") || ci_eq(s, n, "TEXT") || (parts > 0 && ci_eq(s, n, "MIME"));
}

static void emit_att(mp_imap_cmd_parser *p)
{
    mp_imap_cmd_arg a;
    const fetch_att *f = &fetch_atts[p->fatt];
    arg_init(&a, MP_IMAP_CA_FETCH_ATT, p->fparen);
    a.text = mp_slice_make(f->name, strlen(f->name));
    a.has_section = (uint8_t)(p->fpart & 1u);
    a.has_partial = (uint8_t)((p->fpart >> 1) & 1u);
    a.section = mp_slice_make(p->section, p->seclen);
    a.partial_origin = p->porigin;
    a.partial_len = p->plen;
    emit(p, &a);
}

static int fetch_tok(mp_imap_cmd_parser *p, const mp_imap_token *t)
{
    const fetch_att *f = &fetch_atts[p->fatt];
    for (;;) {
        switch (p->sub) {
        case FS_START:
            if (t->kind == MP_IMAP_TOK_LPAREN) {
                emit_simple(p, MP_IMAP_CA_LIST_BEGIN, mp_slice_make(NULL, 0), 0);
                p->fparen = 1;
                p->sub = FS_ATT;
                return R_MORE;
            }
            p->fparen = 0;
            /* fall through */
        case FS_ATT: {
            size_t i;
            /* "PREVIEW" [SP "(" preview-mod *(SP preview-mod) ")"] (RFC 8970
             * §7); for a lone PREVIEW see FS_LONE_SP. */
            if (t->kind == MP_IMAP_TOK_LPAREN && p->fsub == 3) {
                emit_simple(p, MP_IMAP_CA_LIST_BEGIN, mp_slice_make(NULL, 0), 1);
                p->fsub = 4;
                p->sub = FS_PMOD;
                return R_MORE;
            }
            if (!atomish(t))
                goto bad;
            for (i = 0; i < sizeof(fetch_atts) / sizeof(fetch_atts[0]); i++)
                if (is_word(t->text, fetch_atts[i].name))
                    break;
            if (i == sizeof(fetch_atts) / sizeof(fetch_atts[0]) ||
                (fetch_atts[i].sec == FSEC_MACRO && p->fparen))
                goto bad;
            p->fatt = (uint8_t)i;
            p->fsub = is_word(MP_SLICE_LIT("PREVIEW"), fetch_atts[i].name) ? 3 : 0;
            p->fpart = 0;
            p->seclen = 0;
            p->porigin = 0;
            p->plen = 0;
            p->sub = FS_AFTER_NAME;
            return R_MORE;
        }
        case FS_AFTER_NAME:
            if (t->kind == MP_IMAP_TOK_LBRACKET) {
                if (f->sec == FSEC_NO || f->sec == FSEC_MACRO)
                    goto bad;
                p->fpart = 1;
                p->sub = FS_SEC;
                return R_MORE;
            }
            if (f->sec == FSEC_REQ || f->sec == FSEC_BIN_REQ)
                goto bad;
            emit_att(p);
            p->sub = FS_AFTER;
            continue;
        case FS_SEC:
            if (atomish(t))
                return sec_put(p, t, t->text.ptr, t->text.len) ? R_MORE : R_ERR;
            if (t->kind == MP_IMAP_TOK_SP)
                return sec_put(p, t, " ", 1) ? R_MORE : R_ERR;
            if (t->kind == MP_IMAP_TOK_LPAREN) {
                if (!sec_put(p, t, "(", 1))
                    return R_ERR;
                p->fsub = 0;
                p->sub = FS_HDR;
                return R_MORE;
            }
            if (t->kind == MP_IMAP_TOK_RBRACKET) {
                if (!section_ok(p->section, p->seclen,
                                f->sec == FSEC_BIN_OPT || f->sec == FSEC_BIN_REQ))
                    goto bad;
                p->sub = FS_AFTER_SEC;
                return R_MORE;
            }
            goto bad;
        case FS_HDR:
            if (t->kind == MP_IMAP_TOK_SP && p->fsub == 1) {
                p->fsub = 2;
                return R_MORE;
            }
            if (stringish(t) && p->fsub != 1) {
                /* header-fld-name: printable ASCII (RFC 5322 field names) */
                for (size_t i = 0; i < t->text.len; i++) {
                    unsigned char c = (unsigned char)t->text.ptr[i];
                    if (c < 0x20 || c >= 0x7f)
                        goto bad;
                }
                if (p->fsub == 2 && !sec_put(p, t, " ", 1))
                    return R_ERR;
                {
                    /* Canonical spelling: quoted unless a plain atom
                     * without brackets, so the section text never holds an
                     * unbalanced "[" or "]" outside quotes. */
                    int q = t->text.len == 0;
                    for (size_t i = 0; i < t->text.len; i++)
                        if (!(mp_imap_cc((unsigned char)t->text.ptr[i]) & MP_IMAP_CC_ATOM) ||
                            t->text.ptr[i] == '[')
                            q = 1;
                    if (q) {
                        if (!sec_put(p, t, "\"", 1))
                            return R_ERR;
                        for (size_t i = 0; i < t->text.len; i++) {
                            char c = t->text.ptr[i];
                            if ((c == '"' || c == '\\') && !sec_put(p, t, "\\", 1))
                                return R_ERR;
                            if (!sec_put(p, t, &c, 1))
                                return R_ERR;
                        }
                        if (!sec_put(p, t, "\"", 1))
                            return R_ERR;
                    } else if (!sec_put(p, t, t->text.ptr, t->text.len)) {
                        return R_ERR;
                    }
                }
                p->fsub = 1;
                return R_MORE;
            }
            if (t->kind == MP_IMAP_TOK_RPAREN && p->fsub == 1) {
                if (!sec_put(p, t, ")", 1))
                    return R_ERR;
                p->sub = FS_SEC;
                return R_MORE;
            }
            goto bad;
        case FS_AFTER_SEC:
            if (t->kind == MP_IMAP_TOK_PUNCT && t->punct == '<') {
                if (f->sec == FSEC_BIN_REQ && is_word(MP_SLICE_LIT("BINARY.SIZE"), f->name))
                    goto bad;
                p->sub = FS_PARTIAL;
                return R_MORE;
            }
            emit_att(p);
            p->sub = FS_AFTER;
            continue;
        case FS_PARTIAL: {
            /* partial = "<" number "." nz-number ">" */
            size_t dot;
            uint64_t a, b;
            if (t->kind != MP_IMAP_TOK_ATOM)
                goto bad;
            for (dot = 0; dot < t->text.len && t->text.ptr[dot] != '.'; dot++)
                ;
            if (dot == t->text.len ||
                mp_parse_u64(mp_slice_make(t->text.ptr, dot), UINT32_MAX, &a) != MP_OK ||
                mp_parse_u64(mp_slice_make(t->text.ptr + dot + 1, t->text.len - dot - 1),
                             UINT32_MAX, &b) != MP_OK ||
                b == 0 || t->text.ptr[dot + 1] == '0')
                goto bad;
            p->porigin = a;
            p->plen = b;
            p->fpart |= 2u;
            p->sub = FS_PARTIAL_END;
            return R_MORE;
        }
        case FS_PARTIAL_END:
            if (t->kind != MP_IMAP_TOK_PUNCT || t->punct != '>')
                goto bad;
            emit_att(p);
            p->sub = FS_AFTER;
            return R_MORE;
        case FS_AFTER:
            if (!p->fparen) {
                if (p->fsub == 3 && t->kind == MP_IMAP_TOK_SP) {
                    p->sub = FS_LONE_SP;
                    p->tsp = 1;
                    return R_MORE;
                }
                return R_PASS;
            }
            if (t->kind == MP_IMAP_TOK_SP) {
                p->sub = FS_ATT;
                return R_MORE;
            }
            if (t->kind == MP_IMAP_TOK_RPAREN) {
                emit_simple(p, MP_IMAP_CA_LIST_END, mp_slice_make(NULL, 0), 0);
                return R_DONE;
            }
            goto bad;
        case FS_PMOD:
            if (!atomish(t) || !is_word(t->text, "LAZY"))
                goto bad;
            /* fsub 5: a lone PREVIEW's list, one level up */
            emit_simple(p, MP_IMAP_CA_ATOM, t->text, p->fsub == 5 ? 1 : 2);
            p->sub = FS_PMOD_SEP;
            return R_MORE;
        case FS_PMOD_SEP:
            if (t->kind == MP_IMAP_TOK_SP) {
                p->sub = FS_PMOD;
                return R_MORE;
            }
            if (t->kind == MP_IMAP_TOK_RPAREN) {
                emit_simple(p, MP_IMAP_CA_LIST_END, mp_slice_make(NULL, 0),
                            p->fsub == 5 ? 0 : 1);
                p->fsub = 0;
                p->sub = FS_AFTER;
                return R_MORE;
            }
            goto bad;
        case FS_LONE_SP:
            /* "FETCH 1 PREVIEW (LAZY)": after a lone item the grammar has
             * only fetch-modifiers, but PREVIEW's own "(" preview-mod ")"
             * binds first (RFC 8970 §7).  The "(" reads the same for both
             * (depth 0); the word after it decides. */
            if (t->kind != MP_IMAP_TOK_LPAREN) {
                /* as after any lone item: the modifiers' "(" is owed */
                fail(p, t, MP_ERR_IMAP_CMD_SYNTAX, MP_RULE_("RFC 9051 \"(\""));
                return R_ERR;
            }
            emit_simple(p, MP_IMAP_CA_LIST_BEGIN, mp_slice_make(NULL, 0), 0);
            p->sub = FS_LONE_OPEN;
            return R_MORE;
        case FS_LONE_OPEN: {
            int r;
            if (atomish(t) && is_word(t->text, "LAZY")) {
                p->fsub = 5;
                p->sub = FS_PMOD;
                continue;
            }
            /* The fetch-modifiers: the '?L' of the program, its "(" read. */
            p->op = (uint8_t)(p->op + 2);
            p->sub = 0;
            p->sp = 0;
            p->gdepth = 1;
            p->gsub = GS_OPEN;
            p->olist = olist_of(p);
            p->ostate = MP_IMAP_OS_NAME;
            p->oflags = 0;
            r = generic_tok(p, t, 1);
            return r < 0 ? R_ERR : r == 1 ? R_DONE : R_MORE;
        }
        default:
            goto bad;
        }
    }
bad:
    fail(p, t, MP_ERR_IMAP_CMD_FETCH_ATT, MP_RULE_("RFC 9051 fetch-att"));
    return R_ERR;
}

/* ---- STORE (RFC 9051 §6.4.6 store-att-flags) -------------------------------- */

/* Inside a flag-list after "(" (STORE and APPEND): flag *(SP flag); p->fsub
 * is 1 after a flag, 2 after SP. Returns 1 when t was taken. */
static int flag_list_item(mp_imap_cmd_parser *p, const mp_imap_token *t)
{
    if (t->kind == MP_IMAP_TOK_SP && p->fsub == 1) {
        p->fsub = 2;
        return 1;
    }
    if (flagish(t) && p->fsub != 1) {
        emit_flag(p, t, 1);
        p->fsub = 1;
        return 1;
    }
    return 0;
}

static int store_tok(mp_imap_cmd_parser *p, const mp_imap_token *t)
{
    switch (p->sub) {
    case TS_ITEM: {
        /* (["+" / "-"] "FLAGS" [".SILENT"]) */
        mp_slice s = t->text;
        if (!atomish(t))
            break;
        if (s.len > 0 && (s.ptr[0] == '+' || s.ptr[0] == '-'))
            s = mp_slice_make(s.ptr + 1, s.len - 1);
        if (!is_word(s, "FLAGS") && !is_word(s, "FLAGS.SILENT"))
            break;
        emit_simple(p, MP_IMAP_CA_ATOM, t->text, 0);
        p->sub = TS_SP;
        return R_MORE;
    }
    case TS_SP:
        if (t->kind != MP_IMAP_TOK_SP)
            break;
        p->sub = TS_FIRST;
        return R_MORE;
    case TS_FIRST:
        if (t->kind == MP_IMAP_TOK_LPAREN) {
            emit_simple(p, MP_IMAP_CA_LIST_BEGIN, mp_slice_make(NULL, 0), 0);
            p->fsub = 0;
            p->sub = TS_LIST;
            return R_MORE;
        }
        if (!flagish(t))
            break;
        emit_flag(p, t, 0);
        p->fsub = 1;
        p->sub = TS_FLAGS;
        return R_MORE;
    case TS_LIST:
        if (t->kind == MP_IMAP_TOK_RPAREN && p->fsub != 2) {
            emit_simple(p, MP_IMAP_CA_LIST_END, mp_slice_make(NULL, 0), 0);
            return R_DONE;
        }
        if (flag_list_item(p, t))
            return R_MORE;
        break;
    case TS_FLAGS:
        /* flag *(SP flag) up to the end of the line */
        if (t->kind == MP_IMAP_TOK_CRLF && p->fsub == 1)
            return R_PASS;
        if (t->kind == MP_IMAP_TOK_SP && p->fsub == 1) {
            p->fsub = 2;
            p->tsp = 1;
            return R_MORE;
        }
        if (flagish(t) && p->fsub == 2) {
            emit_flag(p, t, 0);
            p->fsub = 1;
            return R_MORE;
        }
        break;
    default:
        break;
    }
    fail(p, t, MP_ERR_IMAP_CMD_SYNTAX, MP_RULE_("RFC 9051 store-att-flags"));
    return R_ERR;
}

/* ---- APPEND (RFC 9051 §6.3.12, MULTIAPPEND RFC 3502, CATENATE RFC 4469,
 * UTF8 RFC 6855 §4) ------------------------------------------------------- */

/* append-data = literal / literal8 / "UTF8" SP "(" literal8 ")" /
 *               "CATENATE" SP "(" cat-part *(SP cat-part) ")"
 * cat-part    = "TEXT" SP literal / "URL" SP astring / "UTF8" SP "(" literal8 ")"
 * p->acat is set inside the CATENATE list, p->autf8 inside UTF8 ( ). */
enum {
    PS_F_SP = PS_NEXT + 1, PS_DL, PS_D_SP,
    PS_CAT_SP,       /* "CATENATE" read: SP */
    PS_CAT_OPEN,     /* "(" */
    PS_CAT_PART,     /* "TEXT", "URL" or "UTF8" */
    PS_CAT_TEXT_SP,
    PS_CAT_TEXT_LIT, /* literal (never literal8) */
    PS_CAT_URL_SP,
    PS_CAT_URL,      /* astring */
    PS_CAT_AFTER,    /* SP and the next part, or ")" */
    PS_U8_SP,        /* "UTF8" read: SP */
    PS_U8_OPEN,      /* "(" */
    PS_U8_LIT,       /* literal8 */
    PS_U8_CLOSE      /* ")" after its bytes */
};

/* A literal in APPEND where the grammar has none, or of the wrong kind,
 * is refused when its header arrives: a sync one never gets its "+".
 * Returns the rule broken, or NULL. */
static const char *append_literal_refused(const mp_imap_cmd_parser *p, const mp_imap_token *t)
{
    int binary = (t->flags & MP_IMAP_TOKF_BINARY) != 0;
    if (p->sp || p->prog[p->op] != 'P')
        return NULL; /* the mailbox, or an SP owed: the usual checks */
    switch (p->sub) {
    case PS_START:
    case PS_DL:
    case PS_LIT:
        return NULL; /* a message: literal or literal8 */
    case PS_U8_LIT:
        return binary ? NULL : MP_RULE_("RFC 6855 utf8 literal8");
    case PS_CAT_TEXT_LIT:
        return binary ? MP_RULE_("RFC 4469 text-literal") : NULL;
    case PS_CAT_URL:
        return binary ? MP_RULE_("RFC 4469 url") : NULL;
    default:
        return MP_RULE_("RFC 9051 append");
    }
}

/* A literal header of a message or a part: account it and report it. */
static int append_literal(mp_imap_cmd_parser *p, const mp_imap_token *t,
                          mp_imap_cmd_arg_kind k)
{
    mp_imap_cmd_arg a;
    if ((t->flags & MP_IMAP_TOKF_NONSYNC) && !lit_account(p, t))
        return R_ERR;
    arg_init(&a, k, p->acat ? 1 : 0);
    a.num = t->num;
    a.binary = (t->flags & MP_IMAP_TOKF_BINARY) != 0;
    a.utf8 = p->autf8;
    emit(p, &a);
    p->sub = PS_BODY;
    return R_MORE;
}

/* "UTF8" (RFC 6855 §4) only once the client enabled UTF8=ACCEPT: the
 * server answers BAD otherwise, told apart from a syntax error. */
static int append_utf8(mp_imap_cmd_parser *p, const mp_imap_token *t)
{
    if (!(p->mode_flags & MP_IMAP_UTF8)) {
        fail(p, t, MP_ERR_UNSUPPORTED, MP_RULE_("RFC 6855 UTF8=ACCEPT not enabled"));
        return R_ERR;
    }
    p->sub = PS_U8_SP;
    return R_MORE;
}

/* url = "URL" SP astring holding an imapurl (RFC 4469 §5, RFC 5092):
 * non-empty 7-bit text without control characters (a URI %-encodes
 * anything else; CR, LF and NUL could hide in a literal, 8-bit in a quoted
 * string under UTF8=ACCEPT). */
static int cat_url(mp_imap_cmd_parser *p, const mp_imap_token *t)
{
    mp_imap_cmd_arg a;
    if (t->text.len == 0) {
        fail(p, t, MP_ERR_IMAP_CMD_SYNTAX, MP_RULE_("RFC 4469 url"));
        return R_ERR;
    }
    for (size_t i = 0; i < t->text.len; i++) {
        unsigned char c = (unsigned char)t->text.ptr[i];
        if (c < 0x20 || c >= 0x7f) {
            fail(p, t, MP_ERR_IMAP_CMD_SYNTAX, MP_RULE_("RFC 4469 url"));
            return R_ERR;
        }
    }
    arg_init(&a, MP_IMAP_CA_CAT_URL, 1);
    a.text = t->text;
    a.literal = (t->flags & MP_IMAP_TOKF_LITERAL) != 0;
    emit(p, &a);
    p->sub = PS_CAT_AFTER;
    return R_MORE;
}

static int append_tok(mp_imap_cmd_parser *p, const mp_imap_token *t)
{
    const char *rule = MP_RULE_("RFC 9051 append");
    switch (p->sub) {
    case PS_START:
        if (t->kind == MP_IMAP_TOK_LPAREN) {
            emit_simple(p, MP_IMAP_CA_LIST_BEGIN, mp_slice_make(NULL, 0), 0);
            p->fsub = 0;
            p->sub = PS_FLAGS;
            return R_MORE;
        }
        /* fall through */
    case PS_DL:
        if (t->kind == MP_IMAP_TOK_STRING && !(t->flags & MP_IMAP_TOKF_LITERAL)) {
            mp_imap_cmd_arg a;
            arg_init(&a, MP_IMAP_CA_DATETIME, 0);
            if (!parse_datetime(t->text, &a.dt)) {
                fail(p, t, MP_ERR_IMAP_CMD_DATETIME, MP_RULE_("RFC 9051 date-time"));
                return R_ERR;
            }
            a.text = t->text;
            emit(p, &a);
            p->sub = PS_D_SP;
            return R_MORE;
        }
        /* fall through */
    case PS_LIT:
        if (t->kind == MP_IMAP_TOK_LITERAL_BEGIN)
            return append_literal(p, t, MP_IMAP_CA_APPEND_MSG);
        if (atomish(t) && is_word(t->text, "CATENATE")) {
            /* the keyword in its canonical case, as RETURN */
            emit_simple(p, MP_IMAP_CA_CATENATE_BEGIN, MP_SLICE_LIT("CATENATE"), 0);
            p->sub = PS_CAT_SP;
            return R_MORE;
        }
        if (atomish(t) && is_word(t->text, "UTF8"))
            return append_utf8(p, t);
        break;
    case PS_FLAGS:
        if (t->kind == MP_IMAP_TOK_RPAREN && p->fsub != 2) {
            emit_simple(p, MP_IMAP_CA_LIST_END, mp_slice_make(NULL, 0), 0);
            p->sub = PS_F_SP;
            return R_MORE;
        }
        if (flag_list_item(p, t))
            return R_MORE;
        break;
    case PS_F_SP:
    case PS_D_SP:
        if (t->kind != MP_IMAP_TOK_SP)
            break;
        p->sub = p->sub == PS_F_SP ? PS_DL : PS_LIT;
        return R_MORE;
    case PS_BODY:
        if (t->kind == MP_IMAP_TOK_LITERAL_CHUNK) {
            if (p->pending != STOP_ABORT && p->cb->on_literal_chunk != NULL)
                set_stop(p, p->cb->on_literal_chunk(p->user, t->text));
            return R_MORE;
        }
        if (t->kind == MP_IMAP_TOK_LITERAL_END) {
            if (p->pending != STOP_ABORT && p->cb->on_literal_end != NULL)
                set_stop(p, p->cb->on_literal_end(p->user));
            p->sub = p->autf8 ? PS_U8_CLOSE : p->acat ? PS_CAT_AFTER : PS_NEXT;
            return R_MORE;
        }
        break;
    case PS_NEXT:
        if (t->kind == MP_IMAP_TOK_CRLF)
            return R_PASS;
        if (t->kind == MP_IMAP_TOK_SP) {
            p->sub = PS_START;
            p->tsp = 1;
            return R_MORE;
        }
        break;
    /* RFC 4469 §5 */
    case PS_CAT_SP:
    case PS_CAT_TEXT_SP:
    case PS_CAT_URL_SP:
    case PS_U8_SP:
        rule = p->sub == PS_U8_SP ? MP_RULE_("RFC 6855 utf8") : MP_RULE_("RFC 4469 catenate");
        if (t->kind != MP_IMAP_TOK_SP)
            break;
        p->sub = p->sub == PS_CAT_SP        ? PS_CAT_OPEN
                 : p->sub == PS_CAT_TEXT_SP ? PS_CAT_TEXT_LIT
                 : p->sub == PS_CAT_URL_SP  ? PS_CAT_URL
                                            : PS_U8_OPEN;
        return R_MORE;
    case PS_CAT_OPEN:
        rule = MP_RULE_("RFC 4469 catenate");
        if (t->kind != MP_IMAP_TOK_LPAREN)
            break;
        p->acat = 1;
        p->sub = PS_CAT_PART;
        return R_MORE;
    case PS_CAT_PART:
        rule = MP_RULE_("RFC 4469 cat-part");
        if (!atomish(t))
            break;
        if (is_word(t->text, "TEXT")) {
            p->sub = PS_CAT_TEXT_SP;
            return R_MORE;
        }
        if (is_word(t->text, "URL")) {
            p->sub = PS_CAT_URL_SP;
            return R_MORE;
        }
        if (is_word(t->text, "UTF8"))
            return append_utf8(p, t);
        break;
    case PS_CAT_TEXT_LIT:
        rule = MP_RULE_("RFC 4469 text-literal");
        if (t->kind != MP_IMAP_TOK_LITERAL_BEGIN || (t->flags & MP_IMAP_TOKF_BINARY))
            break;
        return append_literal(p, t, MP_IMAP_CA_CAT_TEXT);
    case PS_CAT_URL:
        rule = MP_RULE_("RFC 4469 url");
        if (!stringish(t) || (t->flags & MP_IMAP_TOKF_BINARY))
            break;
        return cat_url(p, t);
    case PS_CAT_AFTER:
        rule = MP_RULE_("RFC 4469 catenate");
        if (t->kind == MP_IMAP_TOK_SP) {
            p->sub = PS_CAT_PART;
            return R_MORE;
        }
        if (t->kind == MP_IMAP_TOK_RPAREN) {
            emit_simple(p, MP_IMAP_CA_CATENATE_END, mp_slice_make(NULL, 0), 0);
            p->acat = 0;
            p->sub = PS_NEXT;
            return R_MORE;
        }
        break;
    /* RFC 6855 §4 */
    case PS_U8_OPEN:
        rule = MP_RULE_("RFC 6855 utf8");
        if (t->kind != MP_IMAP_TOK_LPAREN)
            break;
        p->sub = PS_U8_LIT;
        return R_MORE;
    case PS_U8_LIT:
        rule = MP_RULE_("RFC 6855 utf8 literal8");
        if (t->kind != MP_IMAP_TOK_LITERAL_BEGIN || !(t->flags & MP_IMAP_TOKF_BINARY))
            break;
        p->autf8 = 1;
        return append_literal(p, t, p->acat ? MP_IMAP_CA_CAT_TEXT : MP_IMAP_CA_APPEND_MSG);
    case PS_U8_CLOSE:
        rule = MP_RULE_("RFC 6855 utf8");
        if (t->kind != MP_IMAP_TOK_RPAREN)
            break;
        p->autf8 = 0;
        p->sub = p->acat ? PS_CAT_AFTER : PS_NEXT;
        return R_MORE;
    default:
        break;
    }
    fail(p, t, MP_ERR_IMAP_CMD_SYNTAX, rule);
    return R_ERR;
}

/* ---- the program interpreter ---------------------------------------------- */

/* RFC 4467 §9: mechanism = "INTERNAL" / 1*(ALPHA / DIGIT / "-" / ".") */
static int mech_ok(mp_slice s)
{
    size_t k;
    for (k = 0; k < s.len; k++) {
        unsigned char c = (unsigned char)s.ptr[k];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.'))
            return 0;
    }
    return s.len > 0;
}

/* ---- NOTIFY (RFC 5465 §8) ---------------------------------------------------
 * notify = "NOTIFY" SP (notify-set / notify-none); notify-set = "SET"
 * [SP "STATUS"] SP event-group *(SP event-group); event-group = "("
 * filter-mailboxes SP events ")"; filter-mailboxes = "selected" /
 * "selected-delayed" / "inboxes" / "personal" / "subscribed" /
 * ("subtree" / "mailboxes") SP one-or-more-mailbox; events = "(" event
 * *(SP event) ")" / "NONE"; "MessageNew" [SP "(" fetch-att *(SP fetch-att)
 * ")"].  Reported as ATOM (NONE, SET, STATUS, filters, events), LIST_BEGIN
 * / LIST_END, MAILBOX and the fetch items as FETCH's, each at its depth. */
enum ns {
    NT_START = 0, NT_SET_SP, NT_SET_NEXT, NT_GROUP_SP, NT_GROUP, NT_FILTER, NT_MBX_SP, NT_MBX,
    NT_MBXL, NT_MBXL_SEP, NT_EVENTS_SP, NT_EVENTS, NT_EVENT, NT_EVENT_SEP, NT_NEW_SEP,
    NT_NEW_NEXT, NT_FA, NT_GROUP_END, NT_AFTER_GROUP
};

static const char *const notify_filters[] = {
    "selected", "selected-delayed", "inboxes", "personal", "subscribed", "subtree", "mailboxes"
};

static int notify_tok(mp_imap_cmd_parser *p, const mp_imap_token *t)
{
    const char *rule = MP_RULE_("RFC 5465 notify");
    size_t i;
    switch (p->nst) {
    case NT_START:
        if (atomish(t) && (is_word(t->text, "NONE") || is_word(t->text, "SET"))) {
            int set = is_word(t->text, "SET");
            emit_simple(p, MP_IMAP_CA_ATOM, set ? MP_SLICE_LIT("SET") : MP_SLICE_LIT("NONE"), 0);
            p->nst = NT_SET_SP;
            return set ? R_MORE : R_DONE;
        }
        break;
    case NT_SET_SP:
    case NT_GROUP_SP:
    case NT_MBX_SP:
    case NT_EVENTS_SP:
        if (t->kind != MP_IMAP_TOK_SP)
            break;
        p->nst = p->nst == NT_SET_SP ? NT_SET_NEXT : p->nst == NT_GROUP_SP ? NT_GROUP
                 : p->nst == NT_MBX_SP ? NT_MBX : NT_EVENTS;
        return R_MORE;
    case NT_SET_NEXT:
        if (atomish(t) && is_word(t->text, "STATUS")) {
            emit_simple(p, MP_IMAP_CA_ATOM, MP_SLICE_LIT("STATUS"), 0);
            p->nst = NT_GROUP_SP;
            return R_MORE;
        }
        /* fall through */
    case NT_GROUP:
        if (t->kind != MP_IMAP_TOK_LPAREN)
            break;
        emit_simple(p, MP_IMAP_CA_LIST_BEGIN, mp_slice_make(NULL, 0), 0);
        p->nst = NT_FILTER;
        return R_MORE;
    case NT_FILTER:
        if (!atomish(t))
            break;
        for (i = 0; i < sizeof(notify_filters) / sizeof(notify_filters[0]); i++)
            if (is_word(t->text, notify_filters[i]))
                break;
        if (i == sizeof(notify_filters) / sizeof(notify_filters[0])) {
            rule = MP_RULE_("RFC 5465 filter-mailboxes");
            break;
        }
        emit_simple(p, MP_IMAP_CA_ATOM, mp_slice_make(notify_filters[i], strlen(notify_filters[i])),
                    1);
        p->nst = i >= 5 ? NT_MBX_SP : NT_EVENTS_SP;
        return R_MORE;
    case NT_MBX:
        if (t->kind == MP_IMAP_TOK_LPAREN) {
            emit_simple(p, MP_IMAP_CA_LIST_BEGIN, mp_slice_make(NULL, 0), 1);
            p->nst = NT_MBXL;
            return R_MORE;
        }
        /* fall through */
    case NT_MBXL:
        if (!stringish(t))
            break;
        if (!emit_mailbox(p, t, MP_IMAP_CA_MAILBOX, p->nst == NT_MBXL ? 2 : 1)) {
            fail(p, t, MP_ERR_IMAP_CMD_MAILBOX, MP_RULE_("RFC 5465 one-or-more-mailbox"));
            return R_ERR;
        }
        p->nst = p->nst == NT_MBXL ? NT_MBXL_SEP : NT_EVENTS_SP;
        return R_MORE;
    case NT_MBXL_SEP:
        if (t->kind == MP_IMAP_TOK_SP) {
            p->nst = NT_MBXL;
            return R_MORE;
        }
        if (t->kind != MP_IMAP_TOK_RPAREN)
            break;
        emit_simple(p, MP_IMAP_CA_LIST_END, mp_slice_make(NULL, 0), 1);
        p->nst = NT_EVENTS_SP;
        return R_MORE;
    case NT_EVENTS:
        if (atomish(t) && is_word(t->text, "NONE")) {
            emit_simple(p, MP_IMAP_CA_ATOM, MP_SLICE_LIT("NONE"), 1);
            p->nst = NT_GROUP_END;
            return R_MORE;
        }
        if (t->kind != MP_IMAP_TOK_LPAREN)
            break;
        emit_simple(p, MP_IMAP_CA_LIST_BEGIN, mp_slice_make(NULL, 0), 1);
        p->nst = NT_EVENT;
        return R_MORE;
    case NT_NEW_NEXT:
        if (t->kind == MP_IMAP_TOK_LPAREN) {
            /* MessageNew's fetch-att list: FETCH's grammar, two levels down */
            p->sub = 0;
            p->dbase = 2;
            p->nst = NT_FA;
            return fetch_tok(p, t) == R_ERR ? R_ERR : R_MORE;
        }
        /* fall through */
    case NT_EVENT:
        /* event = message-event / mailbox-event / user-event / event-ext
         * (atom): the names are the host's to judge */
        if (t->kind != MP_IMAP_TOK_ATOM)
            break;
        emit_simple(p, MP_IMAP_CA_ATOM, t->text, 2);
        p->nst = is_word(t->text, "MessageNew") ? NT_NEW_SEP : NT_EVENT_SEP;
        return R_MORE;
    case NT_FA: {
        int r = fetch_tok(p, t);
        if (r == R_ERR)
            return R_ERR;
        if (r == R_DONE) {
            p->dbase = 0;
            p->nst = NT_EVENT_SEP;
        }
        return R_MORE;
    }
    case NT_EVENT_SEP:
    case NT_NEW_SEP:
        if (t->kind == MP_IMAP_TOK_SP) {
            p->nst = p->nst == NT_NEW_SEP ? NT_NEW_NEXT : NT_EVENT;
            return R_MORE;
        }
        if (t->kind != MP_IMAP_TOK_RPAREN)
            break;
        emit_simple(p, MP_IMAP_CA_LIST_END, mp_slice_make(NULL, 0), 1);
        p->nst = NT_GROUP_END;
        return R_MORE;
    case NT_GROUP_END:
        if (t->kind != MP_IMAP_TOK_RPAREN)
            break;
        emit_simple(p, MP_IMAP_CA_LIST_END, mp_slice_make(NULL, 0), 0);
        p->nst = NT_AFTER_GROUP;
        return R_MORE;
    case NT_AFTER_GROUP:
        if (t->kind == MP_IMAP_TOK_SP) {
            p->nst = NT_GROUP;
            p->tsp = 1;
            return R_MORE;
        }
        if (t->kind == MP_IMAP_TOK_CRLF)
            return R_PASS;
        break;
    default:
        break;
    }
    p->dbase = 0;
    fail(p, t, MP_ERR_IMAP_CMD_SYNTAX, rule);
    return R_ERR;
}

/* An optional keyword, SP, then a parenthesized list read generically:
 * ESORT's RETURN (...) (RFC 5267 §3.2) and MULTISEARCH's IN (...) (RFC
 * 7377 §2).  sub: 0 the keyword (R_SKIP when absent), 1 the SP, 2 the
 * list. */
static int word_then_list(mp_imap_cmd_parser *p, const mp_imap_token *t, const char *word)
{
    int r;
    if (p->sub == 0) {
        if (!atomish(t) || !is_word(t->text, word))
            return R_SKIP;
        emit_simple(p, MP_IMAP_CA_ATOM, mp_slice_make(word, strlen(word)), 0);
        p->sub = 1;
        return R_MORE;
    }
    if (p->sub == 1) {
        if (t->kind != MP_IMAP_TOK_SP) {
            fail(p, t, MP_ERR_IMAP_CMD_SYNTAX, MP_RULE_("RFC 9051 command arguments"));
            return R_ERR;
        }
        p->sub = 2;
        p->gdepth = 0;
        p->gsub = 0;
        return R_MORE;
    }
    r = generic_tok(p, t, 1);
    return r < 0 ? R_ERR : r == 1 ? R_DONE : R_MORE;
}

static int op_tok(mp_imap_cmd_parser *p, char op, const mp_imap_token *t)
{
    int r;
    switch (op) {
    case 'm':
    case 'p':
        if (stringish(t) &&
            emit_mailbox(p, t, op == 'm' ? MP_IMAP_CA_MAILBOX : MP_IMAP_CA_PATTERN, 0))
            return R_DONE;
        fail(p, t, stringish(t) ? MP_ERR_IMAP_CMD_MAILBOX : MP_ERR_IMAP_CMD_SYNTAX,
             MP_RULE_("RFC 9051 mailbox"));
        return R_ERR;
    case 'M':
        if (p->sub == MS_START && t->kind == MP_IMAP_TOK_LPAREN) {
            emit_simple(p, MP_IMAP_CA_LIST_BEGIN, mp_slice_make(NULL, 0), 0);
            p->sub = MS_LIST;
            return R_MORE;
        }
        if (p->sub == MS_SEP) {
            if (t->kind == MP_IMAP_TOK_SP) {
                p->sub = MS_LIST;
                return R_MORE;
            }
            if (t->kind == MP_IMAP_TOK_RPAREN) {
                emit_simple(p, MP_IMAP_CA_LIST_END, mp_slice_make(NULL, 0), 0);
                return R_DONE;
            }
        } else if (stringish(t)) {
            if (!emit_mailbox(p, t, MP_IMAP_CA_PATTERN, p->sub == MS_LIST)) {
                fail(p, t, MP_ERR_IMAP_CMD_MAILBOX, MP_RULE_("RFC 9051 list-mailbox"));
                return R_ERR;
            }
            if (p->sub == MS_START)
                return R_DONE;
            p->sub = MS_SEP;
            return R_MORE;
        }
        break;
    case 'a':
        if (!stringish(t))
            break;
        emit_string(p, t, 0);
        return R_DONE;
    case 'A':
        if (!atomish(t))
            break;
        emit_simple(p, MP_IMAP_CA_ATOM, t->text, 0);
        return R_DONE;
    case 'R':
        if (!atomish(t) || !is_word(t->text, "RETURN"))
            break;
        emit_simple(p, MP_IMAP_CA_ATOM, MP_SLICE_LIT("RETURN"), 0);
        return R_DONE;
    case 'r':
        /* ESORT (RFC 5267 §3.2): sort = ["UID" SP] "SORT"
         * [search-return-opts] SP sort-criteria ...; the options are
         * reported as SEARCH's: RETURN, then the list */
        return word_then_list(p, t, "RETURN");
    case 'W':
    case 'V':
    case 'U':
        /* W: CANCELUPDATE (RFC 5267 §4.3) tag-string *(SP tag-string),
         * tag-string = string (quoted or literal, never an atom).  V:
         * URLFETCH (RFC 4467 §7) url *(SP url), url = astring.  U:
         * GENURLAUTH url-rump SP mechanism *(SP url-rump SP mechanism),
         * mechanism = "INTERNAL" / 1*(ALPHA / DIGIT / "-" / ".").  sub: 0
         * a string, 1 after it, 2 a mechanism, 3 after it. */
        if (p->sub == 0 && (op == 'W' ? t->kind == MP_IMAP_TOK_STRING : stringish(t))) {
            emit_string(p, t, 0);
            p->sub = 1;
            return R_MORE;
        }
        if (p->sub == 2 && t->kind == MP_IMAP_TOK_ATOM && mech_ok(t->text)) {
            emit_simple(p, MP_IMAP_CA_ATOM, t->text, 0);
            p->sub = 3;
            return R_MORE;
        }
        if ((p->sub == 1 || p->sub == 3) && t->kind == MP_IMAP_TOK_SP) {
            p->sub = op == 'U' && p->sub == 1 ? 2 : 0;
            return R_MORE;
        }
        if (p->sub == (op == 'U' ? 3 : 1) && t->kind == MP_IMAP_TOK_CRLF)
            return R_PASS;
        break;
    case 'i':
        /* MULTISEARCH (RFC 7377 §2): esearch-source-opts = "IN" SP "("
         * source-mbox [SP "(" scope-options ")"] ")" */
        return word_then_list(p, t, "IN");
    case 'N':
        return notify_tok(p, t);
    case 'E':
        if (p->sub == 0 && atomish(t)) {
            emit_simple(p, MP_IMAP_CA_ATOM, t->text, 0);
            p->sub = 1;
            return R_MORE;
        }
        if (p->sub == 1 && t->kind == MP_IMAP_TOK_SP) {
            p->sub = 0;
            p->tsp = 1;
            return R_MORE;
        }
        if (p->sub == 1 && t->kind == MP_IMAP_TOK_CRLF)
            return R_PASS;
        break;
    case 'B':
        /* SASL-IR (RFC 4959): base64 or "=" for an empty response */
        if (t->kind != MP_IMAP_TOK_ATOM && t->kind != MP_IMAP_TOK_NUMBER)
            break;
        if (!base64_chars(t->text)) {
            fail(p, t, MP_ERR_BASE64, MP_RULE_("RFC 4959 initial-response"));
            return R_ERR;
        }
        emit_simple(p, MP_IMAP_CA_BASE64, t->text, 0);
        return R_DONE;
    case 'S':
        if (!atomish(t) || !mp_imap_seqset_ok(t->text)) {
            fail(p, t, MP_ERR_IMAP_CMD_SEQSET, MP_RULE_("RFC 9051 sequence-set"));
            return R_ERR;
        }
        emit_seqset(p, t->text, 0);
        return R_DONE;
    case 'o':
        if (p->gdepth == 0 && t->kind != MP_IMAP_TOK_LPAREN)
            return R_SKIP;
        /* fall through */
    case 'G':
    case 'L':
        r = generic_tok(p, t, op == 'L');
        return r < 0 ? R_ERR : r == 1 ? R_DONE : R_MORE;
    case 'F':
        return fetch_tok(p, t);
    case 'T':
        return store_tok(p, t);
    case 'K':
    case 'k':
        return search_tok(p, t, op);
    case 'P':
        return append_tok(p, t);
    default:
        break;
    }
    fail(p, t, t->kind == MP_IMAP_TOK_CRLF ? MP_ERR_IMAP_CMD_SYNTAX : MP_ERR_IMAP_CMD_SYNTAX,
         MP_RULE_("RFC 9051 command arguments"));
    return R_ERR;
}

static void args_tok(mp_imap_cmd_parser *p, const mp_imap_token *t)
{
    /* Each pass either consumes the token or moves to the next op, and
     * programs are short: the loop is bounded. */
    /* Quirk MP_IMAP_Q_TRAILING_SPACE: "A1 NOOP \r\n", "SEARCH ALL \r\n": a
     * space where the command could have ended, then CRLF. */
    int tsp = p->tsp;
    p->tsp = 0;
    if (tsp && t->kind == MP_IMAP_TOK_CRLF && (p->quirks & MP_IMAP_Q_TRAILING_SPACE)) {
        command_end(p);
        return;
    }
    for (;;) {
        char op = p->prog[p->op];
        int r;
        if (op == '\0' || op == '?') {
            if (t->kind == MP_IMAP_TOK_CRLF) {
                command_end(p);
                return;
            }
            if (op == '?' && p->sp && t->kind == MP_IMAP_TOK_SP) {
                p->sp = 0;
                p->op++;
                p->sub = 0;
                p->tsp = 1;
                return;
            }
            if (op == '\0' && t->kind == MP_IMAP_TOK_SP &&
                (p->quirks & MP_IMAP_Q_TRAILING_SPACE)) {
                p->tsp = 1;
                return;
            }
            fail(p, t, MP_ERR_IMAP_CMD_SYNTAX, op == '?' ? MP_RULE_("RFC 9051 SP or CRLF") :
                 MP_RULE_("RFC 9051 CRLF"));
            return;
        }
        if (p->sp) {
            if (t->kind == MP_IMAP_TOK_SP) {
                p->sp = 0;
                return;
            }
            fail(p, t, MP_ERR_IMAP_CMD_SYNTAX, MP_RULE_("RFC 9051 SP"));
            return;
        }
        r = op_tok(p, op, t);
        if (r == R_MORE || r == R_ERR)
            return;
        p->op++;
        p->sub = 0;
        p->gdepth = 0;
        p->gsub = 0;
        p->sp = r != R_SKIP;
        if (r == R_DONE)
            return;
    }
}

/* ---- literals where a string value stands ----------------------------------- */

static void line_tok(mp_imap_cmd_parser *p, const mp_imap_token *t);

/* A string value sent as a literal (astring, string, a value in a
 * parameter list): up to max_quoted bytes it is gathered and handled like
 * a quoted string; a longer one is reported as a streamed STRING at once
 * and its bytes go through on_literal_chunk / on_literal_end, so no size
 * of value needs a buffer.  Returns 1 when the token was taken here. */
static int string_literal_tok(mp_imap_cmd_parser *p, const mp_imap_token *t)
{
    mp_imap_token s;
    switch (t->kind) {
    case MP_IMAP_TOK_LITERAL_BEGIN:
        if (p->lstate != LS_NONE || !p->strpos)
            return 0;
        if ((t->flags & MP_IMAP_TOKF_NONSYNC) && !lit_account(p, t))
            return 1;
        p->lbinary = (t->flags & MP_IMAP_TOKF_BINARY) != 0;
        p->loffset = t->offset;
        if (t->num <= p->quoted_max && t->num <= p->dec_cap) {
            p->lstate = LS_ASSEMBLE;
            p->llen = 0;
            return 1;
        }
        /* Report the value now, as a string of known length. */
        p->lstate = LS_STREAM;
        p->llen = t->num;
        s = *t;
        s.kind = MP_IMAP_TOK_STRING;
        s.text = mp_slice_make(NULL, 0);
        s.flags = (uint8_t)(MP_IMAP_TOKF_LITERAL | (p->lbinary ? MP_IMAP_TOKF_BINARY : 0));
        line_tok(p, &s);
        if (p->phase != PH_ARGS)
            p->lstate = LS_NONE; /* refused: the tokenizer skips the bytes */
        return 1;
    case MP_IMAP_TOK_LITERAL_CHUNK:
        if (p->lstate == LS_ASSEMBLE) {
            memcpy(p->dec + (size_t)p->llen, t->text.ptr, t->text.len);
            p->llen += t->text.len;
        } else if (p->lstate == LS_STREAM) {
            if (p->pending != STOP_ABORT && p->cb->on_literal_chunk != NULL)
                set_stop(p, p->cb->on_literal_chunk(p->user, t->text));
        } else {
            return 0;
        }
        return 1;
    case MP_IMAP_TOK_LITERAL_END:
        if (p->lstate == LS_STREAM) {
            p->lstate = LS_NONE;
            if (p->pending != STOP_ABORT && p->cb->on_literal_end != NULL)
                set_stop(p, p->cb->on_literal_end(p->user));
            return 1;
        }
        if (p->lstate != LS_ASSEMBLE)
            return 0;
        p->lstate = LS_NONE;
        s = *t;
        s.kind = MP_IMAP_TOK_STRING;
        s.text = mp_slice_make(p->dec, (size_t)p->llen);
        s.offset = p->loffset;
        s.flags = (uint8_t)(MP_IMAP_TOKF_LITERAL | (p->lbinary ? MP_IMAP_TOKF_BINARY : 0));
        line_tok(p, &s);
        return 1;
    default:
        return 0;
    }
}

/* ---- what the next token is made of ----------------------------------------- */

static void expect(mp_imap_cmd_parser *p)
{
    mp_imap_lex *lx = LX(p);
    mp_imap_lex_class cls = MP_IMAP_LEX_ATOM;
    unsigned want = 0;
    char op;
    size_t k;
    /* One literal limit per position: APPEND messages vs any other. */
    mp_imap_lex_set_max_literal(lx, p->max_other_literal);
    p->strpos = 0;
    switch (p->phase) {
    case PH_TAG:
        cls = MP_IMAP_LEX_TAG;
        break;
    case PH_AUTH:
        cls = MP_IMAP_LEX_TEXT;
        break;
    case PH_ARGS:
        if (p->sp)
            break;
        k = p->op;
        op = p->prog[k];
        /* An optional list is recognised by its "(": read the token as the
         * following position would. */
        while (op == 'o' && p->gdepth == 0)
            op = p->prog[++k];
        switch (op) {
        case 'm':
            cls = MP_IMAP_LEX_ASTRING;
            want = MP_IMAP_LEX_WANT_STRING;
            break;
        case 'a':
            cls = MP_IMAP_LEX_ASTRING;
            p->strpos = 1;
            break;
        case 'p':
        case 'M':
            cls = MP_IMAP_LEX_LIST_MAILBOX;
            want = MP_IMAP_LEX_WANT_STRING;
            break;
        case 'G':
        case 'L':
        case 'o':
            cls = MP_IMAP_LEX_LIST_MAILBOX;
            p->strpos = p->gsub != GS_SEP || p->gdepth == 0;
            break;
        case 'S':
            cls = MP_IMAP_LEX_SEQSET;
            break;
        case 'r':
            if (p->sub == 2) {
                cls = MP_IMAP_LEX_LIST_MAILBOX;
                p->strpos = p->gsub != GS_SEP || p->gdepth == 0;
            }
            break;
        case 'W':
        case 'V':
        case 'U':
            cls = MP_IMAP_LEX_ASTRING;
            p->strpos = p->sub == 0;
            break;
        case 'i':
            if (p->sub == 2) {
                cls = MP_IMAP_LEX_LIST_MAILBOX;
                p->strpos = p->gsub != GS_SEP || p->gdepth == 0;
            }
            break;
        case 'N':
            if (p->nst == NT_MBX || p->nst == NT_MBXL) {
                cls = MP_IMAP_LEX_ASTRING;
                want = MP_IMAP_LEX_WANT_STRING;
            } else if (p->nst == NT_FA) {
                if (p->sub == FS_SEC || p->sub == FS_PARTIAL || p->sub == FS_PARTIAL_END)
                    cls = MP_IMAP_LEX_SECTION;
                else if (p->sub == FS_HDR) {
                    cls = MP_IMAP_LEX_ASTRING;
                    want = MP_IMAP_LEX_WANT_STRING;
                } else
                    cls = MP_IMAP_LEX_FETCH_ATT;
            } else if (p->nst == NT_NEW_NEXT) {
                cls = MP_IMAP_LEX_FETCH_ATT;
            }
            break;
        case 'F':
            if (p->sub == FS_SEC || p->sub == FS_PARTIAL || p->sub == FS_PARTIAL_END)
                cls = MP_IMAP_LEX_SECTION;
            else if (p->sub == FS_HDR) {
                cls = MP_IMAP_LEX_ASTRING;
                want = MP_IMAP_LEX_WANT_STRING;
            } else
                cls = MP_IMAP_LEX_FETCH_ATT;
            break;
        case 'K':
        case 'k':
            if (p->sub == KS_RET_LIST) {
                cls = MP_IMAP_LEX_LIST_MAILBOX;
                p->strpos = p->gsub != GS_SEP || p->gdepth == 0;
            } else if (p->sub == KS_CS ||
                       (p->sub == KS_ARG &&
                        (p->kargs == MP_IMAP_KA_ASTRING || p->kargs == MP_IMAP_KA_HEADER ||
                         p->kargs == MP_IMAP_KA_MODSEQ))) {
                cls = MP_IMAP_LEX_ASTRING;
                p->strpos = 1;
            } else if (p->sub == KS_ARG &&
                       (p->kargs == MP_IMAP_KA_DATE || p->kargs == MP_IMAP_KA_NUMBER ||
                        p->kargs == MP_IMAP_KA_KEYWORD)) {
                cls = MP_IMAP_LEX_ATOM;
            } else {
                cls = MP_IMAP_LEX_LIST_MAILBOX;
            }
            break;
        case 'P':
            if (p->sub == PS_CAT_URL) {
                /* url = "URL" SP astring: whole, like a mailbox name */
                cls = MP_IMAP_LEX_ASTRING;
                want = MP_IMAP_LEX_WANT_STRING;
            } else {
                /* messages and TEXT parts: the APPEND literal limit */
                mp_imap_lex_set_max_literal(lx, p->max_append_literal);
            }
            break;
        default:
            break;
        }
        break;
    default:
        break;
    }
    mp_imap_lex_expect(lx, cls, want);
}

/* ---- lines ------------------------------------------------------------------ */

static void report_bad(mp_imap_cmd_parser *p)
{
    mp_slice tag = mp_slice_make(p->tag, p->taglen);
    mp_imap_cmd_id cmd = (mp_imap_cmd_id)p->cmd;
    if (p->mode == MP_IMAP_CMD_MODE_IDLE) {
        tag = mp_slice_make(NULL, 0);
        cmd = MP_IMAP_CMD_IDLE;
        p->phase = PH_IDLE;
    } else if (p->mode == MP_IMAP_CMD_MODE_AUTH) {
        /* The exchange failed: the host answers the AUTHENTICATE tag. */
        p->mode = MP_IMAP_CMD_MODE_COMMAND;
        p->phase = PH_TAG;
        set_stop(p, MP_IMAP_CB_PAUSE);
    } else {
        p->phase = PH_TAG;
    }
    if (p->pending != STOP_ABORT && p->cb->on_bad != NULL)
        set_stop(p, p->cb->on_bad(p->user, tag, cmd, &p->err));
    forget_command(p);
}

static void auth_limits(mp_imap_cmd_parser *p, int on)
{
    mp_imap_lex *lx = LX(p);
    if (on) {
        /* One AUTHENTICATE response line, CRLF included in the line. */
        mp_imap_lex_set_max_line(lx, MP_IMAP_MAX_AUTH_LINE + 2u);
        mp_imap_lex_set_max_quoted(lx, MP_IMAP_MAX_AUTH_LINE);
    } else {
        mp_imap_lex_set_max_line(lx, p->max_line);
        mp_imap_lex_set_max_quoted(lx, p->quoted_max);
    }
}

static mp_imap_cmd_id find_command(mp_slice s, int uid)
{
    for (unsigned i = 1; i < (unsigned)MP_IMAP_CMD_COUNT_; i++) {
        const char *n = mp_imap_cmd_name((mp_imap_cmd_id)i);
        int is_uid = n[0] == 'U' && n[1] == 'I' && n[2] == 'D' && n[3] == ' ';
        if (is_uid != uid)
            continue;
        if (is_word(s, uid ? n + 4 : n))
            return (mp_imap_cmd_id)i;
    }
    return MP_IMAP_CMD_NONE_;
}

static void start_command(mp_imap_cmd_parser *p, mp_imap_cmd_id cmd)
{
    p->cmd = (uint8_t)cmd;
    p->prog = progs[cmd];
    p->op = 0;
    p->sub = 0;
    p->sp = 1;
    p->gdepth = 0;
    p->gsub = 0;
    p->kdepth = 0;
    p->lstate = LS_NONE;
    p->idn = 0;
    p->tsp = 0;
    p->qstate = 0;
    p->acat = 0;
    p->autf8 = 0;
    p->olist = 0;
    p->nst = 0;
    p->dbase = 0;
    p->phase = PH_ARGS;
    if (p->cb->on_command != NULL)
        set_stop(p, p->cb->on_command(p->user, mp_slice_make(p->tag, p->taglen), cmd));
}

static void line_tok(mp_imap_cmd_parser *p, const mp_imap_token *t)
{
    mp_imap_cmd_id cmd;
    switch (p->phase) {
    case PH_TAG:
        p->taglen = 0;
        p->cmd = 0;
        p->lit_total = 0;
        if (!atomish(t) || t->text.len > MP_IMAP_MAX_TAG) {
            fail(p, t, MP_ERR_IMAP_CMD_TAG, MP_RULE_("RFC 9051 tag"));
            break;
        }
        memcpy(p->tag, t->text.ptr, t->text.len);
        p->taglen = (uint8_t)t->text.len;
        p->phase = PH_TAG_SP;
        break;
    case PH_TAG_SP:
    case PH_UID_SP:
        if (t->kind != MP_IMAP_TOK_SP) {
            fail(p, t, MP_ERR_IMAP_CMD_SYNTAX, MP_RULE_("RFC 9051 SP"));
            break;
        }
        p->phase = p->phase == PH_TAG_SP ? PH_NAME : PH_UID_NAME;
        break;
    case PH_NAME:
    case PH_UID_NAME:
        if (!atomish(t)) {
            fail(p, t, MP_ERR_IMAP_CMD_SYNTAX, MP_RULE_("RFC 9051 command"));
            break;
        }
        if (p->phase == PH_NAME && is_word(t->text, "UID")) {
            p->phase = PH_UID_SP;
            break;
        }
        cmd = find_command(t->text, p->phase == PH_UID_NAME);
        if (cmd == MP_IMAP_CMD_NONE_ && p->phase == PH_NAME &&
            (is_word(t->text, "RLIST") || is_word(t->text, "RLSUB"))) {
            /* RFC 2193 MAILBOX-REFERRALS: obsoleted by RFC 5258's LIST
             * (REMOTE); refused by name so the client learns why */
            fail(p, t, MP_ERR_IMAP_CMD_OBSOLETE,
                 MP_RULE_("RFC 5258 LIST (REMOTE) replaces RLIST/RLSUB"));
            break;
        }
        if (cmd == MP_IMAP_CMD_NONE_) {
            fail(p, t, MP_ERR_IMAP_CMD_UNKNOWN, MP_RULE_("RFC 9051 command"));
            break;
        }
        if (cmd == MP_IMAP_CMD_CHECK && (p->mode_flags & MP_IMAP_REV2)) {
            /* RFC 9051 Appendix E: CHECK was removed (NOOP does it) */
            p->cmd = (uint8_t)cmd;
            fail(p, t, MP_ERR_IMAP_CMD_REV1_ONLY, MP_RULE_("RFC 9051 Appendix E (CHECK)"));
            break;
        }
        start_command(p, cmd);
        break;
    case PH_ARGS:
        args_tok(p, t);
        break;
    case PH_AUTH:
        /* base64 / "*" (RFC 9051 §6.2.2); copied: the slice ends with the
         * token and the line is reported at its CRLF. */
        if (t->kind == MP_IMAP_TOK_TEXT) {
            int cancel = t->text.len == 1 && t->text.ptr[0] == '*';
            if (!cancel && !base64_chars(t->text)) {
                fail(p, t, MP_ERR_BASE64, MP_RULE_("RFC 9051 6.2.2 base64"));
                break;
            }
            if (t->text.len > p->dec_cap) {
                fail(p, t, MP_ERR_IMAP_CMD_AUTH_LINE, "MP_IMAP_MAX_AUTH_LINE");
                break;
            }
            memcpy(p->dec, t->text.ptr, t->text.len);
            p->auth_len = (uint32_t)t->text.len;
            p->phase = PH_AUTH_END;
            break;
        }
        fail(p, t, MP_ERR_IMAP_CMD_SYNTAX, MP_RULE_("RFC 9051 authenticate response"));
        break;
    case PH_AUTH_END:
        if (t->kind != MP_IMAP_TOK_CRLF) {
            fail(p, t, MP_ERR_IMAP_CMD_SYNTAX, MP_RULE_("RFC 9051 CRLF"));
            break;
        }
        auth_limits(p, 0);
        p->mode = MP_IMAP_CMD_MODE_COMMAND;
        p->phase = PH_TAG;
        if (p->cb->on_auth_line != NULL) {
            int cancel = p->auth_len == 1 && p->dec[0] == '*';
            set_stop(p, p->cb->on_auth_line(p->user,
                                            cancel ? mp_slice_make(NULL, 0)
                                                   : mp_slice_make(p->dec, p->auth_len),
                                            cancel));
        }
        /* One line per challenge: the host answers before the next. */
        set_stop(p, MP_IMAP_CB_PAUSE);
        break;
    case PH_IDLE:
        if (atomish(t) && is_word(t->text, "DONE")) {
            p->phase = PH_IDLE_END;
            break;
        }
        fail(p, t, MP_ERR_IMAP_CMD_NOT_DONE, MP_RULE_("RFC 2177 DONE"));
        break;
    case PH_IDLE_END:
        if (t->kind != MP_IMAP_TOK_CRLF) {
            fail(p, t, MP_ERR_IMAP_CMD_NOT_DONE, MP_RULE_("RFC 2177 DONE"));
            break;
        }
        p->mode = MP_IMAP_CMD_MODE_COMMAND;
        p->phase = PH_TAG;
        if (p->cb->on_idle_done != NULL)
            set_stop(p, p->cb->on_idle_done(p->user));
        break;
    default:
        break;
    }
    /* A grammar error on the CRLF itself: the command is over already. */
    if (p->phase == PH_SKIP && t->kind == MP_IMAP_TOK_CRLF)
        report_bad(p);
}

/* ======================================================================= */
/* API                                                                     */
/* ======================================================================= */

static unsigned lex_flags(unsigned mode, unsigned quirks)
{
    unsigned f = MP_IMAP_LEX_SYNC_WAIT;
    if (mode & MP_IMAP_REV2)
        f |= MP_IMAP_LEX_REV2 | MP_IMAP_LEX_8BIT;
    if (mode & MP_IMAP_UTF8)
        f |= MP_IMAP_LEX_8BIT;
    if (mode & MP_IMAP_LITERAL_MINUS)
        f |= MP_IMAP_LEX_LITERAL_MINUS;
    if (quirks & MP_IMAP_Q_LF_LINES)
        f |= MP_IMAP_LEX_LF;
    return f;
}

mp_status mp_imap_cmd_parser_init(mp_imap_cmd_parser *p, char *buf, size_t cap,
                                  const mp_imap_cmd_config *cfg,
                                  const mp_imap_cmd_callbacks *cb, void *user)
{
    static const mp_imap_cmd_callbacks none = { 0 };
    mp_imap_cmd_config dflt;
    mp_imap_limits lim;
    size_t half;
    mp_status st;
    if (p == NULL || buf == NULL || cap < 256)
        return MP_ERR_ARG;
    if (cfg == NULL) {
        memset(&dflt, 0, sizeof(dflt));
        cfg = &dflt;
    }
    memset(p, 0, sizeof(*p));
    half = cap / 2;
    /* A server starts unauthenticated: the short line limit until the
     * host raises it after login (RFC 9051 §4 leaves it to the server;
     * docs/security.md: 8192 before login, 65536 after). */
    lim = cfg->limits;
    if (lim.max_line == 0)
        lim.max_line = MP_IMAP_MAX_LINE_PREAUTH;
    st = mp_imap_lex_init(LX(p), buf, half, &lim, lex_flags(cfg->mode, cfg->quirks));
    if (st != MP_OK)
        return st;
    p->dec = buf + half;
    p->dec_cap = cap - half;
    p->cb = cb != NULL ? cb : &none;
    p->user = user;
    p->mode_flags = cfg->mode;
    p->quirks = cfg->quirks;
    p->max_line = LX(p)->max_line;
    p->quoted_max = LX(p)->max_quoted;
    p->max_append_literal =
        cfg->max_append_literal ? cfg->max_append_literal : (uint64_t)MP_IMAP_MAX_APPEND_LITERAL;
    p->max_other_literal =
        cfg->max_other_literal ? cfg->max_other_literal : (uint64_t)MP_IMAP_MAX_LITERAL;
    p->max_literal_total = cfg->max_literal_total
                               ? cfg->max_literal_total
                               : (uint64_t)MP_IMAP_MAX_APPEND_LITERAL * MP_IMAP_MAX_LITERALS;
    p->phase = PH_TAG;
    return MP_OK;
}

mp_status mp_imap_cmd_parser_feed(mp_imap_cmd_parser *p, const char *in, size_t len,
                                  size_t *used)
{
    size_t off = 0;
    *used = 0;
    if (p->phase == PH_LIT_WAIT)
        return MP_PAUSED;
    if (p->pending == STOP_ABORT)
        return MP_ERR_ABORTED;
    for (;;) {
        mp_imap_token t;
        size_t u = 0;
        mp_status st;
        const char *rule;
        expect(p);
        st = mp_imap_lex_next(LX(p), in + off, len - off, &u, &t);
        off += u;
        if (st == MP_NEED_MORE) {
            *used = off;
            return MP_NEED_MORE;
        }
        if (st != MP_OK) {
            /* The tokenizer skips the rest of the line by itself; the
             * first error of the command is the one reported. */
            if (p->phase != PH_SKIP) {
                p->err = LX(p)->err;
                if (p->mode == MP_IMAP_CMD_MODE_AUTH &&
                    (st == MP_ERR_LINE_TOO_LONG || st == MP_ERR_IMAP_TEXT_TOO_LONG))
                    p->err.code = MP_ERR_IMAP_CMD_AUTH_LINE;
                p->phase = PH_SKIP;
            }
            continue;
        }
        if (p->phase == PH_ARGS && (t.flags & MP_IMAP_TOKF_BINARY) &&
            (t.kind == MP_IMAP_TOK_LITERAL_SYNC || t.kind == MP_IMAP_TOK_LITERAL_BEGIN ||
             t.kind == MP_IMAP_TOK_STRING) &&
            p->cmd != MP_IMAP_CMD_APPEND && p->cmd != MP_IMAP_CMD_SETMETADATA &&
            p->lstate == LS_NONE) {
            /* literal8 only where RFC 3516 / RFC 5464 allow it: APPEND
             * messages and metadata values; a sync one is refused before
             * the "+". */
            fail(p, &t, MP_ERR_IMAP_CMD_SYNTAX, MP_RULE_("RFC 3516 literal8 position"));
        } else if (p->phase == PH_ARGS && p->cmd == MP_IMAP_CMD_APPEND &&
                   (t.kind == MP_IMAP_TOK_LITERAL_SYNC || t.kind == MP_IMAP_TOK_LITERAL_BEGIN ||
                    (t.kind == MP_IMAP_TOK_STRING && (t.flags & MP_IMAP_TOKF_LITERAL))) &&
                   (rule = append_literal_refused(p, &t)) != NULL) {
            fail(p, &t, MP_ERR_IMAP_CMD_SYNTAX, rule);
        } else if (p->phase == PH_SKIP) {
            if (t.kind == MP_IMAP_TOK_CRLF) {
                if (p->mode == MP_IMAP_CMD_MODE_AUTH)
                    auth_limits(p, 0);
                report_bad(p);
            }
        } else if (t.kind == MP_IMAP_TOK_LITERAL_SYNC) {
            if (p->phase != PH_ARGS) {
                fail(p, &t, MP_ERR_IMAP_CMD_SYNTAX, MP_RULE_("RFC 9051 literal position"));
            } else if (lit_account(p, &t)) {
                /* The client waits for "+": the host decides. */
                p->lit_wait = t.num;
                p->phase = PH_LIT_WAIT;
                *used = off;
                return MP_PAUSED;
            }
        } else if (p->phase == PH_ARGS && string_literal_tok(p, &t)) {
            ; /* a string value sent as a literal */
        } else {
            if (t.kind == MP_IMAP_TOK_STRING && (t.flags & MP_IMAP_TOKF_LITERAL) &&
                (t.flags & MP_IMAP_TOKF_NONSYNC) && !lit_account(p, &t)) {
                ; /* reported at the end of the command */
            } else {
                line_tok(p, &t);
            }
        }
        if (p->pending != STOP_NONE) {
            int abort = p->pending == STOP_ABORT;
            if (!abort)
                p->pending = STOP_NONE;
            *used = off;
            return abort ? MP_ERR_ABORTED : MP_PAUSED;
        }
    }
}

int64_t mp_imap_cmd_parser_literal_wait(const mp_imap_cmd_parser *p)
{
    return p->phase == PH_LIT_WAIT ? (int64_t)p->lit_wait : -1;
}

mp_status mp_imap_cmd_parser_accept_literal(mp_imap_cmd_parser *p)
{
    if (p->phase != PH_LIT_WAIT)
        return MP_ERR_STATE;
    p->phase = PH_ARGS;
    return MP_OK;
}

mp_status mp_imap_cmd_parser_reject_literal(mp_imap_cmd_parser *p, mp_status reason)
{
    if (p->phase != PH_LIT_WAIT)
        return MP_ERR_STATE;
    mp_error_set(&p->err, reason, LX(p)->tok_start, "literal rejected");
    mp_imap_lex_skip_line(LX(p));
    p->phase = PH_SKIP;
    return MP_OK;
}

mp_status mp_imap_cmd_parser_set_mode(mp_imap_cmd_parser *p, mp_imap_cmd_mode mode)
{
    if ((p->phase != PH_TAG && p->phase != PH_IDLE && p->phase != PH_AUTH) ||
        !mp_imap_lex_at_line_start(LXC(p)))
        return MP_ERR_STATE;
    p->mode = (uint8_t)mode;
    auth_limits(p, mode == MP_IMAP_CMD_MODE_AUTH);
    p->phase = mode == MP_IMAP_CMD_MODE_AUTH   ? PH_AUTH
               : mode == MP_IMAP_CMD_MODE_IDLE ? PH_IDLE
                                               : PH_TAG;
    return MP_OK;
}

void mp_imap_cmd_parser_set_flags(mp_imap_cmd_parser *p, unsigned mode)
{
    p->mode_flags = mode;
    mp_imap_lex_set_flags(LX(p), lex_flags(mode, p->quirks));
}

void mp_imap_cmd_parser_set_max_line(mp_imap_cmd_parser *p, uint32_t max_line)
{
    mp_imap_lex_set_max_line(LX(p), max_line);
    p->max_line = LX(p)->max_line;
}

size_t mp_imap_cmd_parser_pending(const mp_imap_cmd_parser *p)
{
    return mp_imap_lex_pending(LXC(p));
}
