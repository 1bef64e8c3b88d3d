#!/usr/bin/python3
"""Our SMTP server (mailproto-smtpd) against swaks.

Each case starts mailproto-smtpd on a free 127.0.0.1 port with a fresh
Maildir, sends with swaks, and compares the stored bytes with the sent
message (modulo the trace fields the server prepends).

usage: server_swaks.py /path/to/mailproto-smtpd [CASE...]
"""

import iop
from iop import expect, message, need
from peers import Smtpd, check_stored, maildir_files, stored_copies, swaks_send

FROM = 'alice@example.org'
RCPTS = ['bob@example.net', 'carol@example.net', 'dave@example.com']
USERS = {'alice': 'S3cret-pass'}


def deliver(run, prog, msg, rcpts, server=None, **kw):
    need('swaks')
    srv = server or Smtpd(run, prog)
    r = swaks_send(run, srv.port, FROM, rcpts, msg, **kw)
    for data in stored_copies(srv.box, rcpts):
        check_stored(data, msg)
    srv.alive()
    return r


def case_plain(run, prog):
    deliver(run, prog, message('plain.eml'), RCPTS[:1])


def case_multi_rcpt(run, prog):
    deliver(run, prog, message('plain.eml'), RCPTS)


def case_dots(run, prog):
    """Lines starting with '.', a lone '.', '..': swaks stuffs, the server
    unstuffs, the stored message is the original."""
    deliver(run, prog, message('dots.eml'), RCPTS[:1])


def case_8bit(run, prog):
    deliver(run, prog, message('utf8.eml'), RCPTS[:1])


def case_pipelining(run, prog):
    """swaks --pipeline sends MAIL, every RCPT and DATA in one go when
    PIPELINING is offered, and checks each reply in order."""
    r = deliver(run, prog, message('plain.eml'), RCPTS, pipeline=True)
    lines = r.stdout.decode(errors='replace').splitlines()
    expect(any(ln.startswith('<-  250') and 'PIPELINING' in ln.upper() for ln in lines),
           'the server did not offer PIPELINING')
    mail = next(i for i, ln in enumerate(lines) if ln.startswith(' -> MAIL FROM'))
    expect(all(ln.startswith(' -> ') for ln in lines[mail:mail + len(RCPTS) + 2]),
           'swaks did not pipeline MAIL/RCPT/DATA:\n' + '\n'.join(lines[mail:mail + 8]))


def _auth(run, prog, mech):
    srv = Smtpd(run, prog, tls=True, passwd=USERS)
    user, password = next(iter(USERS.items()))
    r = deliver(run, prog, message('plain.eml'), RCPTS[:2], server=srv, starttls=True,
                auth=(user, password), mech=mech)
    out = r.stdout.decode(errors='replace')
    expect('TLS started' in out and '~> AUTH %s' % mech in out,
           'no AUTH %s inside TLS in the swaks transcript' % mech)


def case_starttls_auth_plain(run, prog):
    _auth(run, prog, 'PLAIN')


def case_starttls_auth_login(run, prog):
    _auth(run, prog, 'LOGIN')


def case_starttls_auth_cram_md5(run, prog):
    _auth(run, prog, 'CRAM-MD5')


def case_auth_bad_password(run, prog):
    """A wrong password gets 535 and nothing is stored."""
    srv = Smtpd(run, prog, tls=True, passwd=USERS)
    r = swaks_send(run, srv.port, FROM, RCPTS[:1], message('plain.eml'), starttls=True,
                   auth=('alice', 'wrong'), mech='PLAIN', ok=None)
    expect(r.returncode != 0, 'swaks succeeded with a wrong password')
    expect('<~* 535' in r.stdout.decode(errors='replace'), 'no 535 reply to a wrong password')
    expect(maildir_files(srv.box) == [], 'a message was stored')
    srv.alive()


CASES = {n[5:]: f for n, f in sorted(globals().items()) if n.startswith('case_')}

if __name__ == '__main__':
    iop.main(CASES, 1, 'MAILPROTO_SMTPD')
