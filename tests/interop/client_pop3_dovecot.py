#!/usr/bin/python3
"""Our POP3 client against a private Dovecot 2.3 pop3 (issue 9 item 5).

Dovecot serves a passwd-file user whose Maildir is seeded with messages
that carry the hard parts: lines starting with dots and a line that is a
lone ".", a last line without a line break, 8-bit bytes (UTF-8 and
Latin-1), and a 5 MB message.

 - mailproto-pop3-fetch in plain, STLS and implicit TLS, logging in with
   SCRAM-SHA-256 and SCRAM-SHA-1 (the server's proof checked), SASL PLAIN,
   CRAM-MD5, APOP and USER/PASS: every downloaded file is compared with the
   message it came from (LF line ends in the Maildir, the line break the
   server adds to a last line without one), a second run fetches nothing,
   --delete empties the server's Maildir.
 - Killed with SIGKILL at random moments, many times, then run to the
   end: every message is in our Maildir exactly once (the Maildir and the
   state file do that; Dovecot commits DELE only at QUIT).
 - pop3-probe (the session command by command, pipelined: Dovecot offers
   PIPELINING): STAT, LIST, LIST n, UIDL (compared with Python poplib's),
   UIDL n, TOP n 0 and TOP n 2 (compared with the message's header and
   lines), RETR, DELE then RSET, NOOP, CAPA after login.

usage: client_pop3_dovecot.py mailproto-pop3-fetch pop3-probe [CASE...]
"""

import os
import poplib
import random
import subprocess
import time

import iop
from iop import Fail, Skip, expect, free_port, log, need, read
from peers import maildir_files, stop_dovecot

USER, PASSWORD = 'alice', 'S3cret-pass'
MAIL_UID = MAIL_GID = 65534  # nobody: above Dovecot's first_valid_uid


_MESSAGES = []


def messages():
    """The seeded messages as stored (LF line ends), in order."""
    if _MESSAGES:
        return list(_MESSAGES)
    rnd = random.Random(9)
    # 5 MB of printable text in lines of 0..119 bytes, one in 40 starting
    # with a dot.
    raw = rnd.randbytes(5 * 1024 * 1024).translate(bytes(32 + i % 95 for i in range(256)))
    lines, i = [], 0
    while i < len(raw):
        n = rnd.randrange(0, 120)
        lines.append((b'.' if rnd.randrange(40) == 0 else b'') + raw[i:i + n] + b'\n')
        i += n
    big = (b'From: big@example.org\nTo: alice@example.net\nSubject: five megabytes\n\n' +
           b''.join(lines))
    _MESSAGES.extend([
        b'From: a@example.org\nSubject: dots\n\n.\n..\n.leading dot\n...three\nend\n.\n',
        b'From: a@example.org\nSubject: no final newline\n\nthe last line has no line break',
        ('From: =?utf-8?q?J=C3=BCrgen?= <j@example.org>\nSubject: 8-bit\n'
         'Content-Type: text/plain; charset=utf-8\n\n'
         'Grüße, ÅÄÖ, ☃\n').encode() + b'latin-1: \xe9t\xe9\n',
        big,
        b'From: a@example.org\nSubject: plain\n\nHello.\n',
    ])
    return list(_MESSAGES)


def expected(msg):
    """What our Maildir must hold for a seeded message: LF line ends, and
    the line break a server adds to a last line without one (RFC 1939
    multi-line responses are lines)."""
    return msg if msg.endswith(b'\n') else msg + b'\n'


CONF = """\
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/log
protocols = pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
default_login_user = dovenull
default_internal_user = dovecot
auth_mechanisms = {mechs}
auth_failure_delay = 0
mail_location = maildir:~/Maildir
pop3_uidl_format = %08Xu%08Xv
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {d}/users
}}
userdb {{
  driver = passwd-file
  args = {d}/users
}}
service pop3-login {{
  chroot =
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener pop3s {{
    address = 127.0.0.1
    port = {sport}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""


class DovecotPop3:
    """A private Dovecot pop3 on 127.0.0.1: `port` (plain and STLS) and
    `sport` (implicit TLS); user alice's Maildir holds `msgs`."""

    def __init__(self, run, msgs, mechs='plain login cram-md5 scram-sha-1 scram-sha-256 apop'):
        need('dovecot')
        if not os.path.exists('/usr/lib/dovecot/pop3'):
            raise Skip('dovecot-pop3d not installed')
        if os.geteuid() != 0:
            raise Skip('a private Dovecot instance needs root')
        d = run.mkdir('dovecot')
        run.mkdir('dovecot', 'run')
        run.mkdir('dovecot', 'state')
        self.home = run.mkdir('dovecot', 'home')
        self.maildir = os.path.join(self.home, 'Maildir')
        self.pidfile = os.path.join(d, 'run', 'master.pid')
        self.log = os.path.join(d, 'log')
        run.logs.append(self.log)
        self.fill(msgs)
        with open(os.path.join(d, 'users'), 'w') as f:
            f.write('%s:{PLAIN}%s:%d:%d::%s\n' % (USER, PASSWORD, MAIL_UID, MAIL_GID, self.home))
        run.at_exit(self.stop)
        for attempt in range(3):
            self.port, self.sport = free_port(), free_port()
            conf = os.path.join(d, 'dovecot.conf')
            with open(conf, 'w') as f:
                f.write(CONF.format(d=d, port=self.port, sport=self.sport, mechs=mechs,
                                    cert=iop.CERT, key=iop.KEY))
            rc = run.daemon(['dovecot', '-c', conf])
            if rc != 0:
                raise Fail('dovecot -c %s exited with %d:\n%s'
                           % (conf, rc, read(self.log).decode(errors='replace')))
            try:
                self._wait_ready(10)
                return
            except Fail:
                self.stop()
                if attempt == 2:
                    raise

    def fill(self, msgs, first=0):
        """Maildir/new gets msgs[first:], named so that Dovecot's order (by
        name) is theirs."""
        for sub in ('cur', 'new', 'tmp'):
            os.makedirs(os.path.join(self.maildir, sub), exist_ok=True)
        for i, data in list(enumerate(msgs))[first:]:
            with open(os.path.join(self.maildir, 'new', '%d.M%dP1.interop' % (1790000000 + i, i)),
                      'wb') as f:
                f.write(data)
        for root, dirs, files in os.walk(self.home):
            os.chown(root, MAIL_UID, MAIL_GID)
            for n in files:
                os.chown(os.path.join(root, n), MAIL_UID, MAIL_GID)

    def count(self):
        """Messages left in the server's Maildir."""
        return sum(len(os.listdir(os.path.join(self.maildir, s))) for s in ('new', 'cur'))

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                p = poplib.POP3('127.0.0.1', self.port, timeout=5)
                p.user(USER)
                p.pass_(PASSWORD)
                p.quit()
                return
            except (OSError, poplib.error_proto) as e:
                last = e
                time.sleep(0.05)
        raise Fail('Dovecot pop3 on port %d not ready: %r\n%s'
                   % (self.port, last, read(self.log).decode(errors='replace')))

    def stop(self):
        if stop_dovecot(self.pidfile) is not None:
            try:
                os.unlink(self.pidfile)
            except OSError:
                pass


# ------------------------------------------------------------ helpers

NO_TLS = 'built without TLS'


def fetch(run, prog, srv, maildir, *args, ok=(0,), port=None, name='fetch'):
    argv = [prog, '--server', '127.0.0.1:%d' % (port or srv.port), '--user', USER,
            '--pass', PASSWORD, '--maildir', maildir, '--verbose'] + list(args)
    if '--starttls' in args or '--tls' in args:
        argv += ['--cafile', iop.CERT]
    r = run.cmd(argv, ok=None, name=name)
    out = r.stdout.decode(errors='replace')
    if r.returncode == 2 and NO_TLS in out:
        raise Skip('mailproto-pop3-fetch ' + NO_TLS)
    if ok is not None and r.returncode not in ok:
        raise Fail('mailproto-pop3-fetch exited with %d:\n%s' % (r.returncode, out))
    return out


def stored(maildir):
    """The messages of our Maildir (new/ and cur/), sorted by content."""
    return sorted(read(f) for f in maildir_files(maildir))


def check_all(maildir, msgs):
    got = stored(maildir)
    want = sorted(expected(m) for m in msgs)
    expect(len(got) == len(want), '%d messages stored, %d expected' % (len(got), len(want)))
    for g, w in zip(got, want):
        if g != w:
            raise Fail('a stored message differs from its original: %r... (%d bytes) vs '
                       '%r... (%d bytes)' % (g[:60], len(g), w[:60], len(w)))
    tmp = os.listdir(os.path.join(maildir, 'tmp'))
    expect(tmp == [], 'files left in tmp/: %r' % tmp)


def fetch_and_check(run, prog, msgs, *args, mechs=None, implicit=False):
    srv = DovecotPop3(run, msgs, **({'mechs': mechs} if mechs else {}))
    md = run.path('Maildir')
    out = fetch(run, prog, srv, md, *args, port=srv.sport if implicit else None)
    check_all(md, msgs)
    # A second run finds nothing new.
    out2 = fetch(run, prog, srv, md, *args, port=srv.sport if implicit else None, name='again')
    check_all(md, msgs)
    expect('0 stored, %d already here' % len(msgs) in out2,
           'the second run stored again:\n' + out2)
    return srv, out


# ------------------------------------------------------------ cases

def case_plain_best(run, prog, probe):
    """No TLS, the best method: SCRAM-SHA-256 (allowed in clear, the
    server's proof checked)."""
    srv, out = fetch_and_check(run, prog, messages())
    expect('logging in with AUTH SCRAM-SHA-256' in out, 'not SCRAM-SHA-256:\n' + out)
    expect(srv.count() == len(messages()), '--keep left %d' % srv.count())


def case_starttls_plain(run, prog, probe):
    """STLS required, SASL PLAIN under TLS."""
    srv, out = fetch_and_check(run, prog, messages(), '--starttls', '--mech', 'PLAIN')
    expect('C: STLS' in out and 'logging in with AUTH PLAIN' in out, out)


def case_tls_scram_sha1(run, prog, probe):
    """Implicit TLS (pop3s), SCRAM-SHA-1."""
    fetch_and_check(run, prog, messages(), '--tls', '--mech', 'SCRAM-SHA-1', implicit=True)


def case_cram_md5(run, prog, probe):
    fetch_and_check(run, prog, messages()[:3], '--mech', 'CRAM-MD5')


def case_apop(run, prog, probe):
    """APOP: Dovecot's greeting carries the timestamp."""
    srv, out = fetch_and_check(run, prog, messages()[:3], '--mech', 'APOP')
    expect('logging in with APOP' in out, out)


def case_user_pass(run, prog, probe):
    """USER/PASS: refused in clear without --auth-cleartext (nothing
    sent), accepted with it."""
    srv = DovecotPop3(run, messages()[:2])
    md = run.path('Maildir')
    out = fetch(run, prog, srv, md, '--mech', 'USER', ok=(5,))
    expect('C: USER' not in out and 'C: PASS' not in out, out)
    out = fetch(run, prog, srv, md, '--mech', 'USER', '--auth-cleartext')
    expect('C: USER alice' in out and 'C: PASS <credentials>' in out, out)
    check_all(md, messages()[:2])


def case_delete(run, prog, probe):
    """--delete under STLS: every message stored, the server's Maildir
    empty (DELE only after the fsync; committed at QUIT)."""
    msgs = messages()
    srv = DovecotPop3(run, msgs)
    md = run.path('Maildir')
    out = fetch(run, prog, srv, md, '--starttls', '--delete')
    check_all(md, msgs)
    expect(srv.count() == 0, '%d messages left on the server' % srv.count())
    expect('%d deleted' % len(msgs) in out, out)


def case_delete_known(run, prog, probe):
    """--delete when most messages are stored already: their DELEs fill
    the queue, the new ones' RETRs go out at the next READY, and QUIT waits
    for their DELEs (a run that queued QUIT behind those RETRs left them on
    the server)."""
    msgs = kill_messages()[:10]
    srv = DovecotPop3(run, msgs[:8])
    md = run.path('Maildir')
    fetch(run, prog, srv, md, '--keep')
    srv.fill(msgs, 8)  # two more arrive
    out = fetch(run, prog, srv, md, '--delete', name='delete')
    check_all(md, msgs)
    expect(srv.count() == 0, '%d messages left on the server:\n%s' % (srv.count(), out))


def case_wrong_password(run, prog, probe):
    srv = DovecotPop3(run, messages()[:1])
    argv = [prog, '--server', '127.0.0.1:%d' % srv.port, '--user', USER, '--pass', 'wrong',
            '--maildir', run.path('Maildir')]
    r = run.cmd(argv, ok=(5,), name='wrong')
    expect(b'login refused' in r.stdout, r.stdout.decode(errors='replace'))


def kill_messages():
    """Thirty messages of 1 to 500 KB, lines with dots among them."""
    rnd = random.Random(4)
    out = []
    for i in range(30):
        raw = rnd.randbytes(rnd.randrange(1000, 500000)).translate(
            bytes(97 + i % 26 for i in range(256)))
        lines, j = [], 0
        while j < len(raw):
            n = rnd.randrange(70)
            lines.append((b'.' if rnd.randrange(9) == 0 else b'') + raw[j:j + n] + b'\n')
            j += n
        out.append(b'From: k@example.org\nSubject: kill %d\n\n' % i + b''.join(lines))
    return out


def kill_rounds(run, prog, srv, msgs, rounds, kills, mode, rnd):
    """`rounds` times: a fresh Maildir, `kills` runs each killed with
    SIGKILL at a random moment of a whole run's time, then a run to the
    end.  After every run each file is a whole message, none twice; after
    the last, each exactly once.  Returns (kills, kills that stored)."""
    want = set(expected(m) for m in msgs)
    t = time.monotonic()
    run.cmd([prog, '--server', '127.0.0.1:%d' % srv.port, '--user', USER, '--pass', PASSWORD,
             '--maildir', run.path('timing'), '--keep'], name='timing')
    whole = time.monotonic() - t
    killed = midway = 0
    for r in range(rounds):
        md = run.path('Maildir-%s-%d' % (mode, r))
        argv = [prog, '--server', '127.0.0.1:%d' % srv.port, '--user', USER,
                '--pass', PASSWORD, '--maildir', md, '--' + mode]
        for i in range(kills):
            before = len(stored(md)) if os.path.isdir(md) else 0
            k, rc = iop.kill_when(argv, rnd.uniform(0, 0.03 + whole * (len(msgs) - before) / len(msgs)))
            killed += k
            got = stored(md)
            if rc < 0 and before < len(got) < len(msgs):
                midway += 1
            expect(len(got) == len(set(got)), 'round %d run %d: a message twice' % (r, i))
            expect(all(g in want for g in got),
                   'round %d run %d: a stored file is not a whole message' % (r, i))
        run.cmd(argv, ok=(0,), name='final-%s-%d' % (mode, r))
        check_all(md, msgs)
    return killed, midway, whole


def case_kill_restart(run, prog, probe):
    """SIGKILL at random moments: five rounds of ten killed runs with
    --keep (each round into a fresh Maildir), then ten with --delete; each
    round ends with a run to the end.  Every message is in the Maildir
    exactly once; after --delete the server is empty (Dovecot commits DELE
    only at QUIT: a killed run deletes nothing)."""
    msgs = kill_messages()
    srv = DovecotPop3(run, msgs)
    rnd = random.Random(int(os.environ.get('MP_KILL_SEED', '1')))
    t0 = time.monotonic()
    k1, m1, whole = kill_rounds(run, prog, srv, msgs, 5, 10, 'keep', rnd)
    k2, m2, _ = kill_rounds(run, prog, srv, msgs, 1, 10, 'delete', rnd)
    expect(srv.count() == 0, '%d messages left on the server' % srv.count())
    log('a whole run %.2f s; %d runs killed, %d of them while storing (%.1f s)'
        % (whole, k1 + k2, m1 + m2, time.monotonic() - t0))
    expect(m1 + m2 >= 5, 'only %d runs were killed while storing' % (m1 + m2))


def case_probe_commands(run, prog, probe):
    """The session command by command, pipelined (Dovecot offers
    PIPELINING): typed answers, TOP and RETR bytes, UIDL as poplib sees
    it, DELE undone by RSET."""
    msgs = messages()
    srv = DovecotPop3(run, msgs)
    p = poplib.POP3('127.0.0.1', srv.port, timeout=10)
    p.user(USER)
    p.pass_(PASSWORD)
    uidls = [l.decode() for l in p.uidl()[1]]
    p.quit()
    top0, top2, retr = run.path('top0'), run.path('top2'), run.path('retr')
    r = run.cmd([probe, '127.0.0.1', str(srv.port), USER, PASSWORD,
                 'capa', 'stat', 'list', 'list:3', 'uidl', 'uidl:2', 'top:1:0:' + top0,
                 'top:2:2:' + top2, 'retr:4:' + retr, 'dele:1', 'rset', 'noop', 'stat'],
                name='probe')
    out = r.stdout.decode(errors='replace')
    lines = out.splitlines()
    crlf = iop.crlf
    # RFC 1939 §5: sizes of the messages as the server has them (CRLF),
    # without the line break it adds to a last line that lacks one.
    total = sum(len(crlf(m)) for m in msgs)
    expect('resp STAT 0 ok %d %d' % (len(msgs), total) in lines, out)
    for i, m in enumerate(msgs):
        expect('list %d %d' % (i + 1, len(crlf(m))) in lines, out)
    expect('resp LIST 3 ok 3 %d' % len(crlf(msgs[2])) in lines, out)
    got_uidl = ['%s %s' % tuple(l.split()[1:3]) for l in lines if l.startswith('uidl ')]
    expect(got_uidl == uidls, 'UIDL differs from poplib\'s: %r vs %r' % (got_uidl, uidls))
    expect(any(l.startswith('resp UIDL 2 ok 2 ' + uidls[1].split()[1]) for l in lines), out)
    # TOP n 0: the header and the blank line; TOP 2 2: two body lines.
    head1 = crlf(msgs[0].split(b'\n\n', 1)[0] + b'\n\n')
    expect(read(top0) == head1, 'TOP 1 0: %r' % read(top0))
    h2, b2 = msgs[1].split(b'\n\n', 1)
    expect(read(top2) == crlf(h2 + b'\n\n' + b2 + b'\n'), 'TOP 2 2: %r' % read(top2))
    expect(read(retr) == crlf(expected(msgs[3])), 'RETR 4 differs')
    expect('resp DELE 1 ok' in out and 'closed ok' in out, out)
    expect(srv.count() == len(msgs), 'RSET did not undo the DELE')
    expect(lines.count('resp STAT 0 ok %d %d' % (len(msgs), total)) == 2, out)
    expect('capa PIPELINING' in lines, out)


CASES = {
    'plain_best': case_plain_best,
    'starttls_plain': case_starttls_plain,
    'tls_scram_sha1': case_tls_scram_sha1,
    'cram_md5': case_cram_md5,
    'apop': case_apop,
    'user_pass': case_user_pass,
    'delete': case_delete,
    'delete_known': case_delete_known,
    'wrong_password': case_wrong_password,
    'kill_restart': case_kill_restart,
    'probe_commands': case_probe_commands,
}

if __name__ == '__main__':
    iop.main(CASES, 2, 'mailproto-pop3-fetch pop3-probe')
