/* POP3 grammar pieces shared by the parsers and the writers of both sides
 * (lib/pop3/grammar.c): what one side's parser refuses, the other side's
 * writer refuses through the same function.  Private to lib/pop3. */
#ifndef MP_POP3_GRAMMAR_H
#define MP_POP3_GRAMMAR_H

#include "mailproto/pop3.h"

/* How a verb's arguments look (RFC 1939 §4-§7, RFC 2449, RFC 5034,
 * RFC 6856). */
enum mp_pop3_shape_ {
    MP_POP3_A_NONE = 0, /* no argument */
    MP_POP3_A_NAME,     /* SP name: USER */
    MP_POP3_A_REST,     /* SP string, the rest of the line: PASS */
    MP_POP3_A_APOP,     /* SP name SP digest */
    MP_POP3_A_AUTH,     /* [SP mech [SP initial-response]] */
    MP_POP3_A_MSG_OPT,  /* [SP msg]: LIST UIDL */
    MP_POP3_A_MSG,      /* SP msg: RETR DELE */
    MP_POP3_A_TOP,      /* SP msg SP n */
    MP_POP3_A_LANG      /* [SP tag / "*"] */
};

/* Fewest and most arguments of each shape. */
extern const uint8_t mp_pop3_shape_min_[];
extern const uint8_t mp_pop3_shape_max_[];

typedef struct mp_pop3_verb_row_ {
    char name[5];
    uint8_t verb;   /* mp_pop3_verb */
    uint8_t shape;  /* mp_pop3_shape_ */
} mp_pop3_verb_row_;

/* The row of `v`, NULL when out of range. */
const mp_pop3_verb_row_ *mp_pop3_verb_info_(mp_pop3_verb v);
/* The row whose keyword is p[0..n) (case-insensitive), NULL if none. */
const mp_pop3_verb_row_ *mp_pop3_verb_find_(const char *p, size_t n);

/* Limits with the zeros replaced by config.h defaults. */
void mp_pop3_limits_get_(const mp_pop3_limits *lim, uint32_t *line, uint32_t *arg);

/* A canonical decimal in min..MP_POP3_MSGNO_MAX (no sign, no leading
 * zero): MP_OK or MP_ERR_POP3_NUMBER. */
mp_status mp_pop3_number_(const char *p, size_t n, uint32_t min, uint32_t *out);

/* An argument's bytes: printable ASCII (SP too when `space`), 8-bit only
 * with MP_POP3_CMD_UTF8 and well-formed.  MP_OK, or MP_ERR_POP3_SYNTAX
 * (control character, SP), MP_ERR_8BIT or MP_ERR_UTF8 with `*bad` the
 * offset. */
mp_status mp_pop3_arg_check_(const char *p, size_t n, unsigned flags, int space, size_t *bad);
/* Its first half: printable ASCII (SP too when `space`), 8-bit bytes only
 * when `eight_ok` (then `*eight` says whether there were any).  MP_OK,
 * MP_ERR_POP3_SYNTAX or MP_ERR_8BIT with `*bad` the offset. */
mp_status mp_pop3_arg_ascii_(const char *p, size_t n, int eight_ok, int space, size_t *bad,
                            int *eight);

/* USER name / PASS password in ASCII, as mp_pop3_write_user/_pass with
 * flags 0: what a client that never says UTF8 (RFC 6856) writes, without
 * linking the UTF-8 checks. */
mp_status mp_pop3_write_cred_ascii_(mp_outbuf *ob, mp_pop3_verb verb, mp_slice v,
                                    const mp_pop3_limits *lim);

/* SASL mechanism name (RFC 4422 §3.1: 1-20 of A-Z 0-9 - _, any case as
 * sent).  1 when valid. */
int mp_pop3_mech_valid_(const char *p, size_t n);
/* A LANG argument: "*" or a language tag (RFC 5646 shape: 1*8alphanum
 * *("-" 1*8alphanum)).  1 when valid. */
int mp_pop3_lang_valid_(const char *p, size_t n);
struct mp_crypto_provider;
/* RFC 1939 §7: out = MD5(timestamp || secret) through the provider.
 * MP_ERR_UNSUPPORTED without an MD5 of 16 bytes.  Both sides use it. */
mp_status mp_pop3_apop_digest_(const struct mp_crypto_provider *crypto, mp_slice ts,
                               mp_slice secret, uint8_t out[16]);
/* 32 hex digits (RFC 1939 §7 APOP digest).  1 when valid. */
int mp_pop3_digest_valid_(const char *p, size_t n);
/* Strict base64 (RFC 4648 §4, canonical): n when valid, else the offset
 * of the bad byte (n when it ends inside a group). */
size_t mp_pop3_b64_check_(const char *p, size_t n, int *ok);

/* RFC 1939 §7 unique-id: 1..MP_POP3_MAX_UID of 0x21..0x7E. */
int mp_pop3_uid_valid_(const char *p, size_t n);

/* Response text: the offset of the first byte a client refuses (a control
 * character other than HT, or DEL), or n. */
size_t mp_pop3_text_bad_(const char *p, size_t n);

/* RFC 2449 §8 resp-level *("/" resp-level): a code without brackets. */
int mp_pop3_code_valid_(const char *p, size_t n);
/* resp-code = "[" code "]" at the start of p[0..n): its length with the
 * brackets, 0 when there is none. */
size_t mp_pop3_code_len_(const char *p, size_t n);

/* Append base64 of data[0..len) (RFC 4648 §4, padded) to the element
 * being written into `ob`. */
void mp_pop3_put_base64_(mp_outbuf *ob, const void *data, size_t len);

/* One line of an AUTH exchange, whole or nothing: `prefix` ("+ " for a
 * challenge, "" for a response), base64 of data[0..len), CRLF; at most
 * MP_POP3_MAX_AUTH_LINE octets (MP_ERR_LINE_TOO_LONG). */
mp_status mp_pop3_write_b64_line_(mp_outbuf *ob, const char *prefix, const void *data,
                                   size_t len);

/* RFC 1939 §7 timestamp: the first "<" 1*c ">" in p[0..n) (c printable
 * ASCII but "<" ">") that holds an "@" between other bytes, as an RFC 822
 * msg-id does; an empty slice when none. */
mp_slice mp_pop3_timestamp_find_(const char *p, size_t n);

/* Readers the response parser calls through mp_pop3_resp_parser.ops,
 * so that an image links them only where something installs them. */
struct mp_pop3_resp_ops_ {
    /* A capability line into p->caps (mp_pop3_caps_parse_line). */
    mp_status (*capa_line)(mp_pop3_caps *caps, mp_slice line, uint32_t *bit);
    /* The greeting's timestamp (mp_pop3_timestamp_find_), or NULL: the
     * GREETING status then has none. */
    mp_slice (*timestamp)(const char *p, size_t n);
    /* The next line of a listing body (LIST, UIDL, CAPA, LINES): the
     * parser expects none without it (mp_pop3_resp_expect says
     * MP_ERR_STATE). */
    mp_status (*listing)(mp_pop3_resp_parser *p, const char *q, size_t n, size_t *used,
                         mp_pop3_resp_event *ev);
};

/* Both readers: what mp_pop3_resp_init() installs. */
extern const struct mp_pop3_resp_ops_ mp_pop3_resp_ops_full_;
/* Capability lines and listings: a client session that asks for CAPA. */
extern const struct mp_pop3_resp_ops_ mp_pop3_resp_ops_capa_;
/* Listings only: a client session that asks for LIST or UIDL. */
extern const struct mp_pop3_resp_ops_ mp_pop3_resp_ops_list_;

/* mp_pop3_resp_init() without readers (p->ops NULL): a greeting has no
 * timestamp and no listing can be expected until p->ops is set.  Same
 * arguments and errors. */
mp_status mp_pop3_resp_setup_(mp_pop3_resp_parser *p, char *buf, size_t cap,
                              const mp_pop3_resp_config *cfg);

#endif
