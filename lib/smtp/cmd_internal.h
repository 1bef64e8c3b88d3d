/* Internal to lib/smtp (the command codec): shared by cmd_parse.c,
 * cmd_fast.c, params.c and path.c.  Not installed. */
#ifndef MP_SMTP_CMD_INTERNAL_H
#define MP_SMTP_CMD_INTERNAL_H

#include "mailproto/smtp.h"

/* Parse the ESMTP parameters of a MAIL (is_mail) or RCPT command:
 * `p[0..n)` is the text after the path without the separating space.
 * `base` is the offset of p in the line (for err->offset). */
mp_status mp_smtp_params_parse_(const char *p, size_t n, size_t base, int is_mail,
                                unsigned flags, mp_smtp_params *out, mp_error *err);

/* One parameter whose syntax was checked (keyword `kw` at line offset
 * kw_off, value `v` at v_off when has_value) into `*out`: a known one is
 * validated and recorded (its value, its bit in out->present; given twice
 * is MP_ERR_SMTP_PARAM_DUP), an unknown one counted in out->n_unknown.
 * The meaning of a parameter, for both paths of the parser. */
mp_status mp_smtp_param_take_(mp_slice kw, size_t kw_off, int has_value, mp_slice v, size_t v_off,
                              int is_mail, mp_smtp_params *out, mp_error *err);

/*
 * The two paths of mp_smtp_cmd_parse(), which tries the fast one first.
 *
 * mp_smtp_cmd_parse_fast_(): the common commands of the common shapes
 * (HELO/EHLO/LHLO with a domain, MAIL/RCPT with a dot-atom mailbox and
 * 7-bit parameters, DATA, RSET, QUIT, NOOP, HELP, VRFY, EXPN, BDAT,
 * STARTTLS) read in one pass with character-class tables.  Returns 1 with
 * `*cmd` filled exactly as the careful path fills it, or 0 to decline:
 * anything else (a quoted local part, a source route, an address literal,
 * 8-bit bytes, AUTH, a limit reached, any error) goes to the careful
 * path, which alone reports errors.  `*cmd` is unspecified after 0.
 *
 * mp_smtp_cmd_parse_careful_(): the whole grammar byte by byte, every
 * error with its offset and rule; the reference the fast path is tested
 * against (tests/smtp/test_cmd_sweep.c, fuzz/fuzz_smtp_cmd.c).
 */
int mp_smtp_cmd_parse_fast_(const char *line, size_t len, unsigned flags, mp_smtp_cmd *cmd);
mp_status mp_smtp_cmd_parse_careful_(const char *line, size_t len, unsigned flags,
                                     mp_smtp_cmd *cmd, mp_error *err);

#endif
