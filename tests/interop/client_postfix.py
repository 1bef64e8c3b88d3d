#!/usr/bin/python3
"""Our SMTP client (mailproto-smtp-send) against a real Postfix smtpd.

Each case starts a private Postfix instance (postfix -c DIR, everything
under a temp dir, smtpd on 127.0.0.1:PORT) that delivers @example.net into
a virtual Maildir, sends with the client, waits for delivery and compares
the stored bytes with the sent message (Postfix adds Return-Path,
X-Original-To, Delivered-To and Received).  Postfix offers PIPELINING,
SIZE, 8BITMIME, SMTPUTF8, CHUNKING, DSN and STARTTLS (self-signed
certificate), implicit TLS on a second port, and for the AUTH cases
PLAIN/LOGIN through a private auth-only Dovecot.

usage: client_postfix.py /path/to/mailproto-smtp-send [CASE...]
       (the program 'swaks' checks the harness itself)
"""

import time

import iop
from iop import (check_delivered, dir_messages, expect, field_values,
                 maildir_messages, message, read)
from peers import UNTRUSTED_CA, Dovecot, HoldProxy, Postfix, mp_send, need_client_tls

FROM = 'alice@example.org'
RCPTS = ['bob@example.net', 'carol@example.net', 'dave@example.net']
USERS = {'alice': 'S3cret-pass'}


def deliver(run, prog, msg, rcpts, sender=FROM, starttls=False, tls=False, hold=None,
            auth=None, mech=None):
    """Send through Postfix; check every copy; return (fields per copy, proxy)."""
    if starttls or tls:
        need_client_tls(prog)
    pf = run.postfix = Postfix(run, sasl=Dovecot(run, USERS) if auth else None)
    port = pf.tls_port if tls else pf.port
    proxy = None
    if hold is not None:
        proxy = HoldProxy(run, pf.port, hold=hold)
        port = proxy.port
    mp_send(run, prog, port, sender, rcpts, msg, starttls=starttls, tls=tls, auth=auth,
            mech=mech)
    copies = maildir_messages(pf.box, len(rcpts))
    seen = []
    for i, data in enumerate(copies):
        fields = check_delivered(data, msg, what='Maildir copy %d' % i)
        rp = field_values(fields, 'return-path')
        expect(rp == ['<%s>' % sender], 'Return-Path %r, expected <%s>' % (rp, sender))
        seen += field_values(fields, 'delivered-to')
        copies[i] = fields
    expect(sorted(seen) == sorted(rcpts), 'delivered to %r, expected %r' % (seen, rcpts))
    return copies, proxy


def case_plain(run, prog):
    deliver(run, prog, message('plain.eml'), RCPTS[:1])


def case_multi_rcpt(run, prog):
    deliver(run, prog, message('plain.eml'), RCPTS)


def case_dots(run, prog):
    deliver(run, prog, message('dots.eml'), RCPTS[:1])


def case_pipelining(run, prog):
    """Postfix offers PIPELINING: MAIL and the RCPTs go out in one round."""
    _, proxy = deliver(run, prog, message('plain.eml'), RCPTS, hold=0.3)
    expect(proxy.pipelined(), 'client did not pipeline although PIPELINING was '
           'offered; rounds: %r' % [r[:80] for r in proxy.rounds()])


def case_chunking(run, prog):
    """Postfix offers CHUNKING: the body goes out with BDAT (RFC 3030) and
    arrives unchanged (no dot-stuffing inside BDAT chunks)."""
    _, proxy = deliver(run, prog, message('dots.eml'), RCPTS[:1], hold=0)
    sent = proxy.client_bytes()
    expect(b'\r\nBDAT ' in sent, 'no BDAT although CHUNKING was offered')


def case_8bitmime(run, prog):
    """An 8-bit body: MAIL carries BODY=8BITMIME (RFC 6152) and
    the body arrives unchanged."""
    _, proxy = deliver(run, prog, message('utf8.eml'), RCPTS[:1], hold=0)
    mail = [ln for ln in proxy.client_bytes().split(b'\r\n') if ln.upper().startswith(b'MAIL ')]
    expect(mail and b'BODY=8BITMIME' in mail[0].upper(),
           'MAIL without BODY=8BITMIME for an 8-bit body: %r' % mail)


def case_smtputf8(run, prog):
    """UTF-8 mailbox names (RFC 6531): MAIL carries SMTPUTF8 and Postfix
    delivers to the UTF-8 recipient."""
    sender = 'jos\u00e9@example.org'
    _, proxy = deliver(run, prog, message('utf8.eml'), ['m\u00fcller@example.net'],
                       sender=sender, hold=0)
    mail = [ln for ln in proxy.client_bytes().split(b'\r\n') if ln.upper().startswith(b'MAIL ')]
    expect(mail and b'SMTPUTF8' in mail[0].upper(),
           'MAIL without SMTPUTF8 for a UTF-8 sender: %r' % mail)


def case_starttls(run, prog):
    """STARTTLS with Postfix's self-signed certificate: Postfix records the
    TLS session in its Received field."""
    copies, _ = deliver(run, prog, message('plain.eml'), RCPTS[:2], starttls=True)
    tls_in_received(copies)


def tls_in_received(copies):
    for fields in copies:
        rec = ' '.join(field_values(fields, 'received'))
        expect('using TLS' in rec and 'ESMTPS' in rec,
               'Received does not show a TLS session: %r' % rec)
        return rec


def case_implicit_tls(run, prog):
    """--tls to Postfix's wrapper-mode port (RFC 8314 implicit TLS)."""
    copies, _ = deliver(run, prog, message('plain.eml'), RCPTS[:1], tls=True)
    tls_in_received(copies)


def _auth(run, prog, mech):
    user = next(iter(USERS))
    copies, _ = deliver(run, prog, message('plain.eml'), RCPTS[:2], starttls=True,
                        auth=(user, USERS[user]), mech=mech)
    rec = tls_in_received(copies)
    expect('Authenticated sender: %s' % user in rec and 'ESMTPSA' in rec,
           'Received does not show the authenticated session: %r' % rec)
    log = read(run.postfix.maillog).decode(errors='replace')
    expect('sasl_method=%s, sasl_username=%s' % (mech, user) in log,
           'Postfix logged no %s authentication of %s' % (mech, user))


def case_starttls_auth_plain(run, prog):
    """AUTH PLAIN after STARTTLS; Postfix (Dovecot SASL) refuses every
    recipient without it."""
    _auth(run, prog, 'PLAIN')


def case_starttls_auth_login(run, prog):
    _auth(run, prog, 'LOGIN')


def case_starttls_auth_cram_md5(run, prog):
    _auth(run, prog, 'CRAM-MD5')


def case_starttls_auth_scram_sha_1(run, prog):
    """SCRAM-SHA-1 (RFC 5802) against Dovecot's server side."""
    _auth(run, prog, 'SCRAM-SHA-1')


def case_starttls_auth_scram_sha_256(run, prog):
    """SCRAM-SHA-256 (RFC 7677) against Dovecot's server side."""
    _auth(run, prog, 'SCRAM-SHA-256')


def case_auth_bad_password(run, prog):
    """A wrong password: 535, exit status non-zero, nothing delivered."""
    need_client_tls(prog)
    pf = Postfix(run, sasl=Dovecot(run, USERS))
    r = mp_send(run, prog, pf.port, FROM, RCPTS[:1], message('plain.eml'), starttls=True,
                auth=('alice', 'wrong'), mech='PLAIN', ok=None)
    expect(r.returncode != 0, 'exit status 0 with a wrong password')
    time.sleep(1)
    expect(dir_messages(pf.box) == [], 'a message was delivered')


def case_untrusted_cert(run, prog):
    """STARTTLS with a CA file that did not sign Postfix's certificate: the
    handshake fails, nothing is sent in the clear, nothing is delivered."""
    need_client_tls(prog)
    pf = Postfix(run)
    r = mp_send(run, prog, pf.port, FROM, RCPTS[:1], message('plain.eml'), starttls=True,
                ca=UNTRUSTED_CA, ok=None)
    expect(r.returncode != 0, 'exit status 0 with an untrusted certificate')
    time.sleep(1)
    expect(dir_messages(pf.box) == [], 'a message was delivered')


def case_too_big(run, prog):
    """message_size_limit 2000 and a 5000-byte message: 552 (at MAIL with
    SIZE=, or after the data), exit status non-zero, nothing delivered."""
    pf = Postfix(run, extra_main='message_size_limit = 2000\n')
    msg = message('plain.eml') + b'x' * 70 + b'\r\n'
    msg += (b'y' * 70 + b'\r\n') * 70
    r = mp_send(run, prog, pf.port, FROM, RCPTS[:1], msg, ok=None)
    expect(r.returncode != 0, 'exit status 0 for a message over the size limit')
    time.sleep(1)
    expect(dir_messages(pf.box) == [], 'a message was delivered')


def case_rejected_rcpt(run, prog):
    """One recipient outside Postfix's domains is refused (554 relay access
    denied): exit status non-zero, the refused address gets nothing."""
    pf = Postfix(run)
    msg = message('plain.eml')
    r = mp_send(run, prog, pf.port, FROM, [RCPTS[0], 'eve@elsewhere.example'], msg, ok=None)
    expect(r.returncode != 0, 'exit status 0 although a recipient was refused')
    time.sleep(2)  # delivery is asynchronous; give a wrong copy time to land
    copies = dir_messages(pf.box)
    expect(len(copies) <= 1, '%d copies for one accepted recipient' % len(copies))
    for data in copies:
        fields = check_delivered(data, msg)
        expect(field_values(fields, 'delivered-to') == [RCPTS[0]], 'wrong recipient')


CASES = {n[5:]: f for n, f in sorted(globals().items()) if n.startswith('case_')}

if __name__ == '__main__':
    iop.main(CASES, 1, 'MAILPROTO_SMTP_SEND')
