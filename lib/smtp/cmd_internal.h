/* Internal to lib/smtp (the command codec): shared by cmd_parse.c,
 * params.c and path.c.  Not installed. */
#ifndef MP_SMTP_CMD_INTERNAL_H
#define MP_SMTP_CMD_INTERNAL_H

#include "mailproto/smtp.h"

/* Parse the ESMTP parameters of a MAIL (is_mail) or RCPT command:
 * `p[0..n)` is the text after the path without the separating space.
 * `base` is the offset of p in the line (for err->offset). */
mp_status mp_smtp_params_parse_(const char *p, size_t n, size_t base, int is_mail,
                                unsigned flags, mp_smtp_params *out, mp_error *err);

#endif
