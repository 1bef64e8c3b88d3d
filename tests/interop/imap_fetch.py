#!/usr/bin/python3
"""mailproto-imap-fetch against a private Dovecot 2.3.

Every case syncs folders of a Dovecot whose Maildir the test filled (or
changed through a second client, Python's imaplib) and compares what the
program stored with Dovecot's own Maildir, message by message: the bytes
(line ends aside: Dovecot may store LF) and the system flags, for every UID
exactly once.  Exit codes only say whether to look further.

usage: imap_fetch.py /path/to/mailproto-imap-fetch [CASE...]
"""

import hashlib
import imaplib
import os
import random
import re
import shutil
import signal
import subprocess
import time

import iop
from iop import CERT, KEY, Fail, Skip, expect, log, read
from imap_dovecot import DOVECOT_CONF, MAIL_GID, MAIL_UID, PASSWORD, USER, DovecotImap, messages

NO_TLS = 'built without TLS'


def dovecot_conf(tls):
    """DOVECOT_CONF with SCRAM, and with TLS (STARTTLS on the imap port,
    implicit TLS on {tls_port}) when asked."""
    c = DOVECOT_CONF.replace('auth_mechanisms = plain login cram-md5',
                             'auth_mechanisms = plain login cram-md5 scram-sha-1 scram-sha-256')
    if tls:
        c = c.replace('ssl = no', 'ssl = yes\nssl_cert = <{d}/tls.crt\nssl_key = <{d}/tls.key')
        c = re.sub(r'inet_listener imaps \{\{\n(\s*)port = 0',
                   r'inet_listener imaps {{\n\1address = 127.0.0.1\n\1port = {tls_port}', c)
    return c


class Server(DovecotImap):
    """The private Dovecot of imap_dovecot.py, with SCRAM and optional TLS."""

    def __init__(self, run, msgs, tls=False):
        self.tls = tls
        if tls:
            d = run.mkdir('dovecot')
            shutil.copy(CERT, os.path.join(d, 'tls.crt'))
            shutil.copy(KEY, os.path.join(d, 'tls.key'))
            super().__init__(run, msgs, dovecot_conf(True), tls_port=iop.free_port)
            self.tls_port = self.extra['tls_port']
        else:
            super().__init__(run, msgs, dovecot_conf(False))
        self.maildir = os.path.join(self.home, 'Maildir')

    def imaplib(self):
        m = imaplib.IMAP4('127.0.0.1', self.port)
        m.login(USER, PASSWORD)
        return m


def run_fetch(run, prog, srv, maildir, *extra, ok=(0,), port=None, timeout=120, name='fetch'):
    argv = [prog, '--server', '127.0.0.1:%d' % (port or srv.port), '--user', USER,
            '--pass', PASSWORD, '--maildir', maildir, '--verbose'] + list(extra)
    if '--starttls' in extra or '--tls' in extra:
        argv += ['--cafile', CERT]
    r = run.cmd(argv, ok=None, timeout=timeout, name=name)
    out = r.stdout.decode(errors='replace')
    if r.returncode == 2 and NO_TLS in out:
        raise Skip('mailproto-imap-fetch ' + NO_TLS)
    if ok is not None and r.returncode not in ok:
        raise Fail('mailproto-imap-fetch exited with %d:\n%s' % (r.returncode, out[-3000:]))
    return out


# ------------------------------------------------------------ comparing

FLAG_LETTERS = set('DFRST')


def lf(data):
    return data.replace(b'\r\n', b'\n')


def info_flags(name):
    return ''.join(sorted(set(name.split(':2,', 1)[1]) & FLAG_LETTERS)) if ':2,' in name else ''


def mutf7(name):
    """RFC 3501 5.1.3 modified UTF-7 (Python's utf-7 codec is another one)."""
    import base64
    out, run = [], []

    def flush():
        if run:
            b = base64.b64encode(''.join(run).encode('utf-16-be')).rstrip(b'=')
            out.append('&' + b.decode().replace('/', ',') + '-')
            run.clear()
    for ch in name:
        if 0x20 <= ord(ch) <= 0x7e:
            flush()
            out.append('&-' if ch == '&' else ch)
        else:
            run.append(ch)
    flush()
    return ''.join(out)


def folder_dirname(name):
    return '' if name == 'INBOX' else '.' + mutf7(name).replace('/', '.')


def dovecot_folder(srv, name):
    """{uid: (bytes LF, flags)} of Dovecot's Maildir folder `name` (Maildir++,
    modified UTF-7), from its dovecot-uidlist."""
    d = os.path.join(srv.maildir, folder_dirname(name)) if name != 'INBOX' else srv.maildir
    files = {}
    for sub in ('cur', 'new'):
        p = os.path.join(d, sub)
        for f in os.listdir(p) if os.path.isdir(p) else []:
            files[f.split(':2,')[0]] = os.path.join(p, f)
    out = {}
    with open(os.path.join(d, 'dovecot-uidlist')) as f:
        next(f)
        for line in f:
            uid, _, rest = line.partition(' ')
            base = rest.split(':', 1)[1].strip() if ':' in rest else rest.strip()
            if base in files:
                out[int(uid)] = (lf(read(files[base])), info_flags(files[base]))
    return out


def our_folder(maildir, dirname, tmp_ok=False):
    """{uid: (bytes LF, flags)} of what mailproto-imap-fetch stored; fails
    on a UID found twice, or (unless tmp_ok: a run was killed) on a file of
    ours left in tmp/."""
    d = os.path.join(maildir, dirname) if dirname else maildir
    out = {}
    for sub in ('cur', 'new'):
        p = os.path.join(d, sub)
        for f in sorted(os.listdir(p)) if os.path.isdir(p) else []:
            m = re.match(r'mpf\.(\d+)\.(\d+)', f)
            expect(m, 'a file the program did not write: %s/%s' % (sub, f))
            uid = int(m.group(2))
            expect(uid not in out, 'UID %d stored twice in %s' % (uid, d))
            out[uid] = (lf(read(os.path.join(p, f))), info_flags(f))
    tmp = os.path.join(d, 'tmp')
    left = [f for f in os.listdir(tmp) if f.startswith('mpf.')] if os.path.isdir(tmp) else []
    expect(tmp_ok or not left, 'left in %s: %r' % (tmp, left))
    return out


def compare(srv, maildir, folder='INBOX', dirname=None):
    """Our copy of `folder` equals Dovecot's: the same UIDs, bytes, flags."""
    if dirname is None:
        dirname = folder_dirname(folder)
    theirs = dovecot_folder(srv, folder)
    ours = our_folder(maildir, dirname)
    expect(sorted(ours) == sorted(theirs), '%s: UIDs differ: ours %r, Dovecot %r'
           % (folder, sorted(ours)[:20], sorted(theirs)[:20]))
    for uid in theirs:
        expect(ours[uid][0] == theirs[uid][0], '%s UID %d: bytes differ (%d vs %d)'
               % (folder, uid, len(ours[uid][0]), len(theirs[uid][0])))
        expect(ours[uid][1] == theirs[uid][1], '%s UID %d: flags %r, Dovecot %r'
               % (folder, uid, ours[uid][1], theirs[uid][1]))
    return len(theirs)


def change(srv, flags, expunge=False, append=None):
    """What another client does to INBOX: {uid set: flags} added, then an
    EXPUNGE and an APPEND (\\Seen) when asked."""
    m = srv.imaplib()
    m.select('INBOX')
    for uids, f in flags.items():
        m.uid('STORE', uids, '+FLAGS', '(%s)' % f)
    if expunge:
        m.expunge()
    if append is not None:
        m.append('INBOX', '(\\Seen)', None, append)
    m.logout()


# ------------------------------------------------------------ cases

def case_plain(run, prog):
    """Plaintext, the best SASL mechanism (SCRAM-SHA-256), then a second
    run that finds nothing new."""
    srv = Server(run, messages())
    change(srv, {'1': '\\Seen', '2': '\\Flagged \\Answered', '3': '\\Draft'})
    md = run.path('local')
    out = run_fetch(run, prog, srv, md)
    expect('AUTHENTICATE SCRAM-SHA-256' in out, 'SCRAM-SHA-256 not chosen:\n' + out[-2000:])
    n = compare(srv, md)
    expect(n == len(messages()), '%d of %d messages' % (n, len(messages())))
    out = run_fetch(run, prog, srv, md, name='fetch2')
    expect('0 messages stored' in out, 'the second run fetched again:\n' + out[-2000:])
    compare(srv, md)


def case_login(run, prog):
    """The LOGIN command (--mech LOGIN) in plaintext."""
    srv = Server(run, messages())
    md = run.path('local')
    out = run_fetch(run, prog, srv, md, '--mech', 'LOGIN')
    expect('LOGIN <credentials>' in out, 'no LOGIN:\n' + out[-2000:])
    compare(srv, md)


def case_starttls_plain(run, prog):
    """STARTTLS required, then SASL PLAIN (SASL-IR) under TLS."""
    srv = Server(run, messages(), tls=True)
    md = run.path('local')
    out = run_fetch(run, prog, srv, md, '--starttls', '--mech', 'PLAIN')
    expect('STARTTLS' in out and 'AUTHENTICATE PLAIN' in out, out[-2000:])
    compare(srv, md)


def case_tls_scram_sha1(run, prog):
    """Implicit TLS (port 993 style) and SCRAM-SHA-1."""
    srv = Server(run, messages(), tls=True)
    md = run.path('local')
    out = run_fetch(run, prog, srv, md, '--tls', '--mech', 'SCRAM-SHA-1', port=srv.tls_port)
    expect('AUTHENTICATE SCRAM-SHA-1' in out, out[-2000:])
    compare(srv, md)


def case_wrong_password(run, prog):
    """A wrong password: exit 5, nothing stored."""
    srv = Server(run, messages())
    md = run.path('local')
    argv = [prog, '--server', '127.0.0.1:%d' % srv.port, '--user', USER, '--pass', 'nope',
            '--maildir', md]
    r = run.cmd(argv, ok=(5,), name='fetch')
    expect(not os.path.exists(os.path.join(md, 'cur')) or not os.listdir(os.path.join(md, 'cur')),
           'stored after a failed login')
    del r


def case_qresync(run, prog):
    """QRESYNC: a second client sets flags, expunges and appends; the next
    run gets the changes in its SELECT (no full flag fetch) and mirrors
    them."""
    srv = Server(run, messages())
    md = run.path('local')
    run_fetch(run, prog, srv, md)
    compare(srv, md)
    change(srv, {'2': '\\Seen \\Flagged', '5': '\\Answered', '3,7': '\\Deleted'}, expunge=True,
           append=b'From: b@example.org\r\nSubject: new\r\n\r\nnew\r\n')
    out = run_fetch(run, prog, srv, md, name='fetch2')
    expect(re.search(r'SELECT INBOX \(QRESYNC \(\d+ \d+\)\)', out), 'no QRESYNC:\n' + out[-2000:])
    expect('UID FETCH 1:' not in out, 'a full flag fetch despite QRESYNC:\n' + out[-2000:])
    n = compare(srv, md)
    expect(n == len(messages()) - 1, '%d messages after 2 expunges and 1 append' % n)


def case_utf8_names(run, prog):
    """Folders with 8-bit / UTF-8 names (modified UTF-7 on the wire: Dovecot
    2.3 offers no UTF8=ACCEPT, so ENABLE leaves it off), --all."""
    srv = Server(run, messages()[:3])
    m = srv.imaplib()
    names = ['Entwürfe', 'Résumé', '日本語', 'Work/Done', 'A&B']
    msg = iop.message('utf8.eml')
    for n in names:
        m.create(mutf7(n))
        m.append(mutf7(n), '(\\Seen)', None, msg)
    m.logout()
    md = run.path('local')
    out = run_fetch(run, prog, srv, md, '--all')
    expect('ENABLE' in out, out[-2000:])
    for n in ['INBOX'] + names:
        expect(compare(srv, md, n) >= 1, 'folder %s empty' % n)


def deliver(srv, msg):
    """A message delivered by Dovecot's LDA when present, else APPENDed."""
    lda = '/usr/lib/dovecot/dovecot-lda'
    conf = os.path.join(os.path.dirname(srv.pidfile), '..', 'dovecot.conf')
    if os.path.exists(lda):
        r = subprocess.run([lda, '-c', os.path.realpath(conf), '-d', USER], input=msg,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20)
        if r.returncode == 0:
            return 'lda'
        log('dovecot-lda: %d %s' % (r.returncode, r.stdout.decode(errors='replace')))
    m = srv.imaplib()
    m.append('INBOX', None, None, msg)
    m.logout()
    return 'append'


def case_idle(run, prog):
    """--idle: a delivery wakes the IDLE; the program prints the arrival and
    stores it."""
    srv = Server(run, messages()[:2])
    md = run.path('local')
    argv = [prog, '--server', '127.0.0.1:%d' % srv.port, '--user', USER, '--pass', PASSWORD,
            '--maildir', md, '--idle', '--verbose']
    p = run.spawn(argv, 'idle')
    state = os.path.join(md, 'mailproto-imap-fetch.state')
    deadline = time.monotonic() + 20
    while not (os.path.exists(state) and b' IDLE' in read(p.log)):
        expect(p.poll() is None, 'exited with %s:\n%s' % (p.returncode, read(p.log)))
        expect(time.monotonic() < deadline, 'no IDLE:\n%s' % read(p.log).decode())
        time.sleep(0.05)
    msg = b'From: lda@example.org\r\nSubject: delivered\r\n\r\nwoke you up\r\n'
    how = deliver(srv, msg)
    while b'arrived INBOX 3 ' not in read(p.log):
        expect(p.poll() is None, 'exited with %s:\n%s' % (p.returncode, read(p.log)))
        expect(time.monotonic() < deadline + 20, 'no arrival (%s):\n%s'
               % (how, read(p.log).decode()))
        time.sleep(0.05)
    iop.stop_proc(p)
    compare(srv, md)


def big_messages(n, size=900):
    out = []
    for i in range(n):
        body = ('line %d of message %d\r\n' % (i, i)) * (size // 24)
        out.append(('m%05d' % i, ('From: bulk@example.org\r\nTo: alice@example.org\r\n'
                                  'Subject: message %d\r\nMessage-ID: <%d@bulk>\r\n\r\n%s'
                                  % (i, i, body)).encode()))
    return out


def in_memory(run):
    """Move the case's (still empty) directory to tmpfs when there is one:
    on a disk, deleting 20,000 files that were fsynced takes about a
    minute at the end of the case, which is no test of ours."""
    if not os.path.isdir('/dev/shm') or os.listdir(run.tmp):
        return
    import tempfile
    d = tempfile.mkdtemp(prefix='mp-iop-%s-' % run.name, dir='/dev/shm')
    os.chmod(d, 0o755)
    os.rmdir(run.tmp)
    run.tmp = d


def case_big_mailbox(run, prog):
    """10,000 messages in one run."""
    in_memory(run)
    srv = Server(run, big_messages(10000))
    md = run.path('local')
    t0 = time.monotonic()
    run_fetch(run, prog, srv, md, timeout=300)
    log('10,000 messages synced in %.1f s' % (time.monotonic() - t0))
    expect(compare(srv, md) == 10000, 'not 10,000 messages')


def case_big_message(run, prog):
    """A 5 MB message (a base64 attachment), byte for byte."""
    blob = hashlib.sha256(b'seed').digest() * (5 * 1024 * 1024 // 32 * 3 // 4)
    import base64
    b64 = base64.encodebytes(blob).replace(b'\n', b'\r\n')
    msg = (b'From: big@example.org\r\nSubject: 5 MB\r\nMIME-Version: 1.0\r\n'
           b'Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n'
           + b64)
    expect(len(msg) > 5 * 1000 * 1000, 'the message is %d bytes' % len(msg))
    srv = Server(run, [('big', msg)] + messages()[:2])
    md = run.path('local')
    run_fetch(run, prog, srv, md)
    compare(srv, md)


def case_append(run, prog):
    """--append uploads a file (LF lines made CRLF); APPENDUID printed."""
    srv = Server(run, messages()[:1])
    f = run.write('up.eml', b'From: up@example.org\nSubject: uploaded\n\nbody\nline 2\n')
    out = run_fetch(run, prog, srv, run.path('unused'), '--append', f, '--folder', 'Drafts')
    mt = re.search(r'appended Drafts (\d+) (\d+)', out)
    expect(mt, 'no APPENDUID:\n' + out[-2000:])
    theirs = dovecot_folder(srv, 'Drafts')
    expect(list(theirs.values())[0][0] == b'From: up@example.org\nSubject: uploaded\n\nbody\nline 2\n',
           'Dovecot stored %r' % theirs)


def case_sigkill(run, prog):
    """Killed with SIGKILL at random moments, run again: at the end every
    message is in the Maildir exactly once (and nothing half-written).
    Three rounds into fresh Maildirs, four killed runs each: two killed
    while logging in or selecting, two a moment after the run's first new
    message shows in cur/ (a batch of 256 made durable)."""
    in_memory(run)
    total = 3000
    srv = Server(run, big_messages(total, size=3000))
    t = time.monotonic()
    run_fetch(run, prog, srv, run.path('timing'), name='timing')
    whole = time.monotonic() - t
    rnd = random.Random(int(os.environ.get('MP_INTEROP_SEED', '0')) or time.time_ns())
    kills = midway = 0
    for r in range(3):
        md = run.path('local-%d' % r)
        argv = [prog, '--server', '127.0.0.1:%d' % srv.port, '--user', USER,
                '--pass', PASSWORD, '--maildir', md]
        cur = os.path.join(md, 'cur')

        def count():
            return len(os.listdir(cur)) if os.path.isdir(cur) else 0
        for attempt in range(4):
            before = count()
            if attempt % 2 == 0:
                killed, _ = iop.kill_when(argv, rnd.uniform(0, 0.3 * whole))
            else:
                killed, _ = iop.kill_when(argv, rnd.uniform(0, 0.05 * whole),
                                          lambda: count() > before)
            after = len(our_folder(md, None, tmp_ok=True))  # never a UID twice
            kills += killed
            midway += killed and before < after < total
        run_fetch(run, prog, srv, md, timeout=120, name='final-%d' % r)
        expect(compare(srv, md) == total, 'round %d: not %d messages' % (r, total))
    log('a whole run %.2f s; killed %d times, %d of them while storing' % (whole, kills, midway))
    expect(midway >= 4, 'only %d of %d kills fell while messages were stored' % (midway, kills))


CASES = {
    'plain': case_plain,
    'login': case_login,
    'starttls_plain': case_starttls_plain,
    'tls_scram_sha1': case_tls_scram_sha1,
    'wrong_password': case_wrong_password,
    'qresync': case_qresync,
    'utf8_names': case_utf8_names,
    'idle': case_idle,
    'big_mailbox': case_big_mailbox,
    'big_message': case_big_message,
    'append': case_append,
    'sigkill': case_sigkill,
}

if __name__ == '__main__':
    iop.main(CASES, 1, '/path/to/mailproto-imap-fetch')
