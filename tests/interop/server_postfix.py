#!/usr/bin/python3
"""Our SMTP/LMTP server (mailproto-smtpd) as the next hop of a real MTA.

A private Postfix instance accepts mail for @example.com (from smtplib)
and relays it with its own SMTP or LMTP client to mailproto-smtpd; the
copy our server stores must be the sent message after trace fields (ours
and Postfix's Received), and Postfix must log status=sent for every
recipient.  Postfix's client pipelines, uses ESMTP extensions the server
offers (8BITMIME, SMTPUTF8, SIZE, STARTTLS) and bounces what the server
does not support, so missing extensions show as bounces.

usage: server_postfix.py /path/to/mailproto-smtpd [CASE...]
"""

import re
import smtplib
import time

import iop
from iop import Fail, expect, message, read
from peers import Postfix, Smtpd, check_stored, stored_copies

FROM = 'alice@example.org'
RCPTS = ['bob@example.com', 'carol@example.com', 'dave@example.com']

RELAY_CF = """
relay_domains = example.com
transport_maps = inline:{{ example.com={transport} }}
smtp_tls_security_level = {tls}
smtp_tls_loglevel = 1
lmtp_tls_security_level = {tls}
smtp_helo_name = relay.interop.test
lmtp_lhlo_name = relay.interop.test
"""


# Postfix's SMTP client authenticates with Cyrus SASL (libsasl2-modules),
# limited to one mechanism; a failed AUTH defers the mail.
RELAY_SASL_CF = """
smtp_sasl_auth_enable = yes
smtp_sasl_password_maps = inline:{{ [127.0.0.1]:{port}={user}:{password} }}
smtp_sasl_mechanism_filter = {mech}
smtp_sasl_security_options = noanonymous
smtp_sasl_tls_security_options = noanonymous
"""
USERS = {'alice': 'S3cret-pass'}


def relay(run, prog, msg, rcpts, sender=FROM, lmtp=False, tls=False, mech=None):
    """smtplib -> Postfix -> mailproto-smtpd; check the stored copies and the
    Postfix log; return the Postfix maillog text."""
    srv = Smtpd(run, prog, lmtp=lmtp, tls=tls, passwd=USERS if mech else None)
    transport = ('lmtp:inet:127.0.0.1:%d' if lmtp else 'smtp:[127.0.0.1]:%d') % srv.port
    cf = RELAY_CF.format(transport=transport, tls='encrypt' if tls else 'none')
    if mech:
        user = next(iter(USERS))
        cf += RELAY_SASL_CF.format(port=srv.port, user=user, password=USERS[user],
                                   mech=mech.lower())
    pf = Postfix(run, extra_main=cf)
    with smtplib.SMTP('127.0.0.1', pf.port, timeout=30) as s:
        opts = ['SMTPUTF8'] if any(ord(c) > 127 for c in sender + ''.join(rcpts)) else []
        refused = s.sendmail(sender, rcpts, msg, mail_options=opts)
        expect(refused == {}, 'Postfix refused %r' % refused)
    # Postfix relays asynchronously: wait for its verdict on every recipient.
    deadline = time.monotonic() + 30
    while True:
        log = read(pf.maillog).decode(errors='replace')
        verdicts = re.findall(r'to=<([^>]*)>, relay=([^,]*),.* status=(\w+) \((.*)\)', log)
        if len(verdicts) >= len(rcpts) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    for rcpt in rcpts:
        got = [v for v in verdicts if v[0] == rcpt]
        expect(got, 'Postfix logged no delivery to %s' % rcpt)
        expect(got[0][2] == 'sent', 'Postfix: %s %s via %s (%s)' % (rcpt, got[0][2], got[0][1],
                                                                     got[0][3]))
        expect(got[0][1].endswith(':%d' % srv.port), 'relayed to %s' % got[0][1])
    for data in stored_copies(srv.box, rcpts):
        fields = check_stored(data, msg, sender=sender)
        received = [v for n, v in fields if n == 'received']
        expect(any(b'Postfix' in v for v in received),
               'no Received field from Postfix in the stored copy')
    srv.alive()
    run.stored = stored_copies(srv.box, rcpts)
    return log


def case_relay_smtp(run, prog):
    """Postfix's SMTP client (pipelining) delivers a dot-stuffed message to
    three recipients."""
    relay(run, prog, message('dots.eml'), RCPTS)


def case_relay_lmtp(run, prog):
    """Postfix's LMTP client: LHLO, one reply per recipient after the data."""
    relay(run, prog, message('plain.eml'), RCPTS, lmtp=True)


def case_relay_8bit(run, prog):
    """An 8-bit body: Postfix needs 8BITMIME from the server to pass it on
    unchanged."""
    relay(run, prog, message('utf8.eml'), RCPTS[:1])


def case_relay_smtputf8(run, prog):
    """UTF-8 addresses: Postfix bounces unless the server offers SMTPUTF8."""
    relay(run, prog, message('utf8.eml'), ['m\u00fcller@example.com'],
          sender='jos\u00e9@example.org')


def case_relay_starttls(run, prog):
    """smtp_tls_security_level = encrypt: Postfix insists on STARTTLS."""
    log = relay(run, prog, message('plain.eml'), RCPTS[:2], tls=True)
    if 'TLS connection established to' not in log:
        raise Fail('Postfix logged no TLS connection to the server')


def _relay_auth(run, prog, mech):
    log = relay(run, prog, message('plain.eml'), RCPTS[:1], tls=True, mech=mech)
    expect('SASL authentication failed' not in log, 'Postfix: SASL authentication failed')
    for data in run.stored:
        first = (b'\n' + data).split(b'\nReceived:', 1)[1].split(b';', 1)[0]
        expect(b'ESMTPSA' in first, 'the server\'s Received does not say ESMTPSA '
               '(RFC 3848): %r' % first)


def case_relay_auth_plain(run, prog):
    """Postfix's SMTP client (Cyrus SASL) authenticates with PLAIN after
    STARTTLS; a failure would defer the mail."""
    _relay_auth(run, prog, 'PLAIN')


def case_relay_auth_cram_md5(run, prog):
    _relay_auth(run, prog, 'CRAM-MD5')


def case_relay_auth_scram_sha_1(run, prog):
    """SCRAM-SHA-1 (RFC 5802) with Cyrus SASL's client."""
    _relay_auth(run, prog, 'SCRAM-SHA-1')


def case_relay_auth_scram_sha_256(run, prog):
    """SCRAM-SHA-256 (RFC 7677) with Cyrus SASL's client."""
    _relay_auth(run, prog, 'SCRAM-SHA-256')


CASES = {n[5:]: f for n, f in sorted(globals().items()) if n.startswith('case_')}

if __name__ == '__main__':
    iop.main(CASES, 1, 'MAILPROTO_SMTPD')
