#!/usr/bin/python3
"""Our SMTP server (mailproto-smtpd) against curl's smtp:// client.

usage: server_curl.py /path/to/mailproto-smtpd [CASE...]
"""

import iop
from iop import expect, message, need
from peers import Smtpd, check_stored, stored_copies

FROM = 'alice@example.org'
RCPTS = ['bob@example.net', 'carol@example.net', 'dave@example.com']
USERS = {'alice': 'S3cret-pass'}


def curl(run, srv, msg, rcpts, extra=(), scheme='smtp'):
    need('curl')
    argv = ['curl', '--silent', '--show-error', '--max-time', '30',
            '--url', '%s://127.0.0.1:%d' % (scheme, srv.port), '--mail-from', FROM]
    for r in rcpts:
        argv += ['--mail-rcpt', r]
    argv += ['--upload-file', run.write('curl.eml', msg), '--verbose']
    return run.cmd(argv + list(extra), name='curl')


def check(srv, msg, rcpts):
    for data in stored_copies(srv.box, rcpts):
        check_stored(data, msg)
    srv.alive()


def case_three_rcpts(run, prog):
    """--mail-rcpt x3 and a dot-stuffed body."""
    srv = Smtpd(run, prog)
    msg = message('dots.eml')
    curl(run, srv, msg, RCPTS)
    check(srv, msg, RCPTS)


def case_starttls(run, prog):
    """--ssl-reqd: STARTTLS required by curl (self-signed, -k)."""
    srv = Smtpd(run, prog, tls=True)
    msg = message('plain.eml')
    r = curl(run, srv, msg, RCPTS, ['--ssl-reqd', '--insecure'])
    expect(b'> STARTTLS' in r.stdout, 'curl did not use STARTTLS')
    check(srv, msg, RCPTS)


def case_starttls_auth(run, prog):
    """STARTTLS then AUTH PLAIN with curl --user."""
    srv = Smtpd(run, prog, tls=True, passwd=USERS)
    msg = message('plain.eml')
    user, password = next(iter(USERS.items()))
    r = curl(run, srv, msg, RCPTS[:1], ['--ssl-reqd', '--insecure', '--user',
                                        '%s:%s' % (user, password),
                                        '--login-options', 'AUTH=PLAIN'])
    expect(b'> AUTH PLAIN' in r.stdout, 'curl did not authenticate with PLAIN')
    check(srv, msg, RCPTS[:1])


def case_implicit_tls(run, prog):
    """smtps:// against --implicit-tls (RFC 8314)."""
    srv = Smtpd(run, prog, implicit_tls=True)
    msg = message('plain.eml')
    r = curl(run, srv, msg, RCPTS[:2], ['--insecure'], scheme='smtps')
    expect(b'SSL connection using' in r.stdout, 'curl did not report a TLS session')
    check(srv, msg, RCPTS[:2])


CASES = {n[5:]: f for n, f in sorted(globals().items()) if n.startswith('case_')}

if __name__ == '__main__':
    iop.main(CASES, 1, 'MAILPROTO_SMTPD')
