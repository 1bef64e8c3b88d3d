#!/usr/bin/python3
"""Our POP3 server (mailproto-pop3d) against Python's poplib, curl,
fetchmail and our own mailproto-pop3-fetch, over a seeded Maildir (dot-leading lines, a last
line without a line end, 8-bit text, a message in cur/ with flags).

Compares the bytes the clients get with the stored originals, not exit
codes: LIST sizes, UIDL values (the Maildir names' unique parts), TOP and
RETR contents; DELE + QUIT removes the file, DELE + a dropped connection
does not; STLS with cleartext logins refused before it; APOP; [IN-USE].

usage: server_pop3.py /path/to/mailproto-pop3d /path/to/mailproto-pop3-fetch [CASE...]
"""

import os
import poplib
import socket
import ssl
import time

import iop
from iop import CERT, KEY, Fail, Skip, expect, free_port, read
from peers import maildir_files

USER, PASSWORD = 'alice', 'S3cret-pass'
NO_TLS = 'built without TLS'
TIMEOUT = 20

# name in the Maildir -> content (LF, as mailproto-smtpd stores)
SEED = [
    ('new', '1700000001.P11Q1.host', b'Subject: one\n\n.a dot-leading line\n..two dots\n.\nend\n'),
    ('new', '1700000002.P11Q2.host', b'Subject: two\n\nno line end at the end'),
    ('cur', '1700000003.P11Q3.host:2,S',
     'Subject: =?utf-8?q?tr=C3=A8s?=\n\nd\u00e9j\u00e0 vu, 8-bit\n'.encode()),
]


def crlf_lines(data):
    """What a POP3 client gets for a stored message: its lines."""
    return data.replace(b'\n', b'\r\n').split(b'\r\n')[:-1] if data.endswith(b'\n') \
        else data.replace(b'\n', b'\r\n').split(b'\r\n')


class Pop3d:
    def __init__(self, run, prog, tls=False, implicit=False, apop=False):
        self.box = run.mkdir('maildir')
        for sub in ('new', 'cur', 'tmp'):
            run.mkdir('maildir', sub)
        for sub, name, data in SEED:
            with open(os.path.join(self.box, sub, name), 'wb') as f:
                f.write(data)
        opts = ['--maildir', self.box,
                '--passwd', run.write('passwd', ('%s:%s\n' % (USER, PASSWORD)).encode())]
        if tls or implicit:
            opts += ['--tls-cert', CERT, '--tls-key', KEY]
        if implicit:
            opts.append('--implicit-tls')
        if apop:
            opts.append('--apop')
        for attempt in range(3):
            self.port = free_port()
            self.proc = run.spawn([prog, '--listen', '127.0.0.1:%d' % self.port] + opts, 'pop3d')
            try:
                run.wait_output(self.proc, 'listening on')
                return
            except Fail:
                out = read(self.proc.log).decode(errors='replace')
                if NO_TLS in out:
                    raise Skip('mailproto-pop3d ' + NO_TLS)
                if attempt == 2 or 'listen' not in out:
                    raise

    def files(self):
        return sorted(os.path.basename(f) for f in maildir_files(self.box))

    def alive(self):
        expect(self.proc.poll() is None, 'mailproto-pop3d exited with %s' % self.proc.returncode)


def insecure():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def login(srv):
    p = poplib.POP3('127.0.0.1', srv.port, timeout=TIMEOUT)
    p.user(USER)
    p.pass_(PASSWORD)
    return p


def case_poplib_read(run, prog, fetch):
    """LIST, UIDL, TOP and RETR give what the Maildir holds."""
    srv = Pop3d(run, prog)
    p = login(srv)
    count, size = p.stat()
    expect(count == 3, 'STAT count %d' % count)
    sizes = [int(x.split()[1]) for x in p.list()[1]]
    want = [len(d.replace(b'\n', b'\r\n')) for _, _, d in SEED]
    expect(sizes == want and size == sum(want), 'LIST %r, STAT %d, want %r' % (sizes, size, want))
    uids = [x.split()[1].decode() for x in p.uidl()[1]]
    expect(uids == [n.split(':')[0] for _, n, _ in SEED], 'UIDL %r' % uids)
    for i, (_, _, data) in enumerate(SEED, 1):
        got = p.retr(i)[1]
        expect(got == crlf_lines(data), 'RETR %d: %r, want %r' % (i, got, crlf_lines(data)))
    top = p.top(1, 1)[1]
    expect(top == crlf_lines(SEED[0][2])[:3], 'TOP 1 1: %r' % top)
    p.quit()
    expect(len(srv.files()) == 3, 'QUIT without DELE removed something')
    srv.alive()


def case_dele_quit_commits(run, prog, fetch):
    srv = Pop3d(run, prog)
    p = login(srv)
    p.dele(2)
    try:
        p.retr(2)
        raise Fail('RETR of a deleted message succeeded')
    except poplib.error_proto:
        pass
    p.quit()
    names = srv.files()
    expect(SEED[1][1] not in names and len(names) == 2, 'after DELE 2 + QUIT: %r' % names)
    srv.alive()


def case_dele_drop_keeps(run, prog, fetch):
    srv = Pop3d(run, prog)
    p = login(srv)
    p.dele(1)
    p.dele(3)
    # No QUIT: the connection drops (poplib's file object holds the socket).
    p.sock.shutdown(socket.SHUT_RDWR)
    p.file.close()
    p.sock.close()
    time.sleep(0.5)
    expect(len(srv.files()) == 3, 'a dropped connection committed: %r' % srv.files())
    # The lock went with the connection; RSET undoes marks too.
    p = login(srv)
    p.dele(1)
    p.rset()
    p.quit()
    expect(len(srv.files()) == 3, 'RSET + QUIT removed something: %r' % srv.files())
    srv.alive()


def case_in_use(run, prog, fetch):
    srv = Pop3d(run, prog)
    first = login(srv)
    second = poplib.POP3('127.0.0.1', srv.port, timeout=TIMEOUT)
    second.user(USER)
    try:
        second.pass_(PASSWORD)
        raise Fail('a second session opened a locked maildrop')
    except poplib.error_proto as e:
        expect(b'[IN-USE]' in e.args[0], 'the second login got %r' % e.args[0])
    second.quit()
    first.quit()
    srv.alive()


def case_stls(run, prog, fetch):
    """STLS: USER refused in cleartext, CAPA says so; after TLS all works."""
    srv = Pop3d(run, prog, tls=True)
    p = poplib.POP3('127.0.0.1', srv.port, timeout=TIMEOUT)
    caps = p.capa()
    expect('STLS' in caps and 'USER' not in caps, 'cleartext CAPA %r' % caps)
    try:
        p.user(USER)
        raise Fail('USER accepted in cleartext')
    except poplib.error_proto:
        pass
    p.stls(context=insecure())
    expect('USER' in p.capa(), 'CAPA after STLS lacks USER')
    p.user(USER)
    p.pass_(PASSWORD)
    expect(p.retr(2)[1] == crlf_lines(SEED[1][2]), 'RETR under TLS')
    p.quit()
    srv.alive()


def case_apop(run, prog, fetch):
    srv = Pop3d(run, prog, apop=True)
    p = poplib.POP3('127.0.0.1', srv.port, timeout=TIMEOUT)
    expect(b'<' in p.getwelcome(), 'no APOP timestamp in %r' % p.getwelcome())
    try:
        p.apop(USER, 'wrong')
        raise Fail('APOP with a wrong secret accepted')
    except poplib.error_proto:
        pass
    p.apop(USER, PASSWORD)
    expect(p.stat()[0] == 3, 'STAT after APOP')
    p.quit()
    srv.alive()


def case_pop3_fetch(run, prog, fetch):
    """Our client downloads everything, byte for byte, and --delete empties
    the maildrop in UPDATE; a second run finds nothing."""
    srv = Pop3d(run, prog)
    md = run.path('fetched')
    argv = [fetch, '--server', '127.0.0.1:%d' % srv.port, '--user', USER, '--pass', PASSWORD,
            '--maildir', md, '--auth-cleartext', '--delete']
    r = run.cmd(argv, ok=(0,), name='fetch')
    got = sorted(read(f) for f in maildir_files(md))
    want = sorted(d if d.endswith(b'\n') else d + b'\n' for _, _, d in SEED)
    expect(got == want, 'fetched %r, want %r' % (got, want))
    expect(srv.files() == [], 'the maildrop after --delete: %r' % srv.files())
    run.cmd(argv, ok=(0,), name='again')
    expect(len(maildir_files(md)) == 3, 'the second run changed the Maildir')
    srv.alive()


def case_implicit_tls_fetch(run, prog, fetch):
    srv = Pop3d(run, prog, implicit=True)
    md = run.path('fetched')
    r = run.cmd([fetch, '--server', '127.0.0.1:%d' % srv.port, '--user', USER, '--pass',
                 PASSWORD, '--maildir', md, '--tls', '--cafile', CERT, '--keep'], ok=None,
                name='fetch')
    out = r.stdout.decode(errors='replace')
    if r.returncode == 2 and NO_TLS in out:
        raise Skip('mailproto-pop3-fetch ' + NO_TLS)
    expect(r.returncode == 0, 'mailproto-pop3-fetch --tls exited with %d:\n%s'
           % (r.returncode, out))
    expect(len(maildir_files(md)) == 3, 'implicit TLS fetched %d' % len(maildir_files(md)))
    expect(len(srv.files()) == 3, '--keep removed something')
    srv.alive()


def curl(run, srv, path, *args, name='curl'):
    iop.need('curl')
    r = run.cmd(['curl', '-sS', '--max-time', str(TIMEOUT), '-u', '%s:%s' % (USER, PASSWORD),
                 'pop3://127.0.0.1:%d/%s' % (srv.port, path)] + list(args), name=name)
    return r.stdout


def case_curl(run, prog, fetch):
    """curl: LIST, RETR under STLS (--ssl-reqd), DELE then its QUIT commits."""
    srv = Pop3d(run, prog, tls=True)
    tls = ['--ssl-reqd', '-k']
    listing = curl(run, srv, '', *tls, name='list')
    want = b''.join(b'%d %d\r\n' % (i, len(d.replace(b'\n', b'\r\n')))
                    for i, (_, _, d) in enumerate(SEED, 1))
    expect(listing == want, 'curl LIST %r, want %r' % (listing, want))
    for i, (_, _, d) in enumerate(SEED, 1):
        got = curl(run, srv, str(i), *tls, name='retr%d' % i)
        full = d if d.endswith(b'\n') else d + b'\n'
        expect(got == full.replace(b'\n', b'\r\n'), 'curl RETR %d: %r' % (i, got))
    curl(run, srv, '2', '-X', 'DELE', '-I', *tls, name='dele')
    names = srv.files()
    expect(SEED[1][1] not in names and len(names) == 2, 'after curl DELE 2: %r' % names)
    srv.alive()


def case_fetchmail(run, prog, fetch):
    """fetchmail (STLS, then UIDL/RETR/DELE/QUIT): every message delivered
    byte for byte after fetchmail's Received field, the maildrop emptied."""
    iop.need('fetchmail')
    srv = Pop3d(run, prog, tls=True)
    out = run.mkdir('delivered')
    mda = run.write('deliver.sh', ('#!/bin/sh\ncat > %s/m.$$\n' % out).encode())
    os.chmod(mda, 0o755)
    rc = run.write('fetchmailrc', (
        'poll 127.0.0.1 port %d protocol pop3 user "%s" password "%s" sslproto "tls1.2+" '
        'no sslcertck mda "%s" no keep\n' % (srv.port, USER, PASSWORD, mda)).encode())
    os.chmod(rc, 0o600)
    run.cmd(['fetchmail', '-f', rc, '--nosyslog', '--nodetach', '--idfile',
             run.path('fetchids')], env={'HOME': run.tmp}, ok=(0,), name='fetchmail')
    got = []
    for n in sorted(os.listdir(out)):
        data = read(os.path.join(out, n))
        lines = data.split(b'\n')
        expect(lines[0].startswith(b'Received: '), 'no Received first: %r' % data[:80])
        i = 1
        while lines[i].startswith(b'\t'):
            i += 1
        got.append(b'\n'.join(lines[i:]))
    want = sorted(d if d.endswith(b'\n') else d + b'\n' for _, _, d in SEED)
    expect(sorted(got) == want, 'fetchmail delivered %r, want %r' % (sorted(got), want))
    expect(srv.files() == [], 'the maildrop after fetchmail: %r' % srv.files())
    srv.alive()


CASES = {n[5:]: f for n, f in sorted(globals().items()) if n.startswith('case_')}

if __name__ == '__main__':
    iop.main(CASES, 2, 'MAILPROTO_POP3D MAILPROTO_POP3_FETCH')
