#!/usr/bin/python3
"""Our IMAP server (mailproto-imapd) against real clients: Python's imaplib,
mbsync, fetchmail, curl and our own IMAP client (mailproto-imap-fetch),
over a Maildir laid out as mailproto-smtpd writes it.

Every case compares what the client received or caused with the files of
the Maildir: the bytes (the file's LF lines are CRLF on the wire), the
flags in the file names, which files exist; exit codes only say whether to
look further.

usage: server_imapd.py /path/to/mailproto-imapd /path/to/mailproto-imap-fetch [CASE...]
"""

import imaplib
import os
import random
import re
import socket
import ssl
import time

import iop
from iop import CERT, KEY, Fail, Skip, expect, log, read
from imap_dovecot import FETCHMAILRC, MBSYNCRC  # the clients' settings, any server
from imap_fetch import in_memory

USER, PASSWORD = 'alice', 'S3cret-pass'
NO_TLS = 'built without TLS'
LETTER = {'\\Seen': 'S', '\\Answered': 'R', '\\Flagged': 'F', '\\Deleted': 'T', '\\Draft': 'D'}


def sample_messages(n=5):
    """Messages as mailproto-smtpd stores them (LF lines), one multipart."""
    out = []
    for i in range(n):
        body = ''.join('line %d of message %d\n' % (k, i) for k in range(3 + i))
        out.append(('From: sender%d@example.org\nTo: alice@example.org\nSubject: message %d\n'
                    'Message-ID: <%d@interop.test>\n\n%s' % (i, i, i, body)).encode())
    out.append(b'From: mime@example.org\nSubject: parts\nMIME-Version: 1.0\n'
               b'Content-Type: multipart/mixed; boundary="b1"\n\n--b1\n'
               b'Content-Type: text/plain; charset=utf-8\n\nfirst part\n--b1\n'
               b'Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n'
               b'AAECAwQF\n--b1--\n')
    return out


class Imapd:
    """mailproto-imapd on 127.0.0.1:port over the Maildir self.box, filled
    with `msgs` in new/ (as a delivery leaves them)."""

    def __init__(self, run, prog, msgs=(), tls=False, implicit_tls=False, box=None):
        self.run, self.prog = run, prog
        self.box = box or run.mkdir('maildir')
        for sub in ('new', 'cur', 'tmp'):
            os.makedirs(os.path.join(self.box, sub), exist_ok=True)
        for i, data in enumerate(msgs):
            with open(os.path.join(self.box, 'new', '%d.P1Q%d.interop' % (1700000000 + i, i)),
                      'wb') as f:
                f.write(data)
        self.opts = ['--maildir', self.box,
                     '--passwd', run.write('passwd', ('%s:%s\n' % (USER, PASSWORD)).encode())]
        if tls or implicit_tls:
            self.opts += ['--tls-cert', CERT, '--tls-key', KEY]
        if implicit_tls:
            self.opts.append('--implicit-tls')
        self.start()

    def start(self):
        for attempt in range(3):
            self.port = iop.free_port()
            self.proc = self.run.spawn([self.prog, '--listen', '127.0.0.1:%d' % self.port]
                                       + self.opts, 'imapd')
            try:
                self.run.wait_output(self.proc, 'listening on')
                return
            except Fail:
                out = read(self.proc.log).decode(errors='replace')
                if self.proc.returncode == 2 and NO_TLS in out:
                    raise Skip('mailproto-imapd ' + NO_TLS)
                if 'cannot listen' not in out or attempt == 2:
                    raise

    def login(self):
        m = imaplib.IMAP4('127.0.0.1', self.port, timeout=20)
        m.login(USER, PASSWORD)
        return m

    def alive(self):
        expect(self.proc.poll() is None, 'mailproto-imapd exited with %s' % self.proc.returncode)


def maildir(box):
    """{uid: (path, bytes, flag letters)} from the UID list and the files."""
    files = {}
    for sub in ('new', 'cur'):
        for f in os.listdir(os.path.join(box, sub)):
            base, _, info = f.partition(':2,')
            expect(base not in files, 'message %s twice (new/ and cur/)' % base)
            files[base] = (os.path.join(box, sub, f), ''.join(sorted(c for c in info if c.isupper())))
    out = {}
    with open(os.path.join(box, 'mailproto-imapd.uids')) as f:
        head = f.readline().split()
        expect(head[:2] == ['mailproto-imapd', '1'], 'bad UID list head %r' % head)
        for line in f:
            uid, base = line.split()
            expect(base in files, 'UID %s lists %s, which is not there' % (uid, base))
            out[int(uid)] = (files[base][0], read(files[base][0]), files[base][1])
    expect(len(out) == len(files), 'files without UID: %d files, %d UIDs' % (len(files), len(out)))
    return out


def wire(data):
    return data.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')


def fetch_all(m):
    """{uid: (flags, BODY[])} through imaplib."""
    typ, data = m.uid('FETCH', '1:*', '(FLAGS BODY.PEEK[])')
    expect(typ == 'OK', 'UID FETCH: %s %r' % (typ, data))
    out = {}
    for item in data:
        if not isinstance(item, tuple):
            continue
        head = item[0].decode()
        uid = int(re.search(r'UID (\d+)', head).group(1))
        flags = re.search(r'FLAGS \(([^)]*)\)', head).group(1).split()
        out[uid] = (''.join(sorted(LETTER[f] for f in flags if f in LETTER)), item[1])
    return out


def same_as_files(m, box):
    files = maildir(box)
    got = fetch_all(m)
    expect(sorted(got) == sorted(files), 'UIDs: IMAP %r, files %r' % (sorted(got), sorted(files)))
    for uid, (path, data, letters) in files.items():
        expect(got[uid][1] == wire(data), 'UID %d: BODY[] differs from %s' % (uid, path))
        expect(got[uid][0] == letters, 'UID %d: FLAGS %r, file name %r' % (uid, got[uid][0], letters))
    return files


# ------------------------------------------------------------ cases

def case_imaplib(run, prog, fetch_prog):
    """LOGIN, LIST, SELECT, FETCH (bytes against the files, ENVELOPE,
    BODYSTRUCTURE, a section, a partial), STORE (flags in the file names),
    APPEND (APPENDUID, the stored file), SEARCH, COPY, EXPUNGE (files gone)."""
    msgs = sample_messages()
    srv = Imapd(run, prog, msgs)
    m = srv.login()
    typ, lst = m.list()
    expect(typ == 'OK' and any(b'"INBOX"' in x or b' INBOX' in x for x in lst), 'LIST %r' % lst)
    typ, n = m.select('INBOX')
    expect(typ == 'OK' and int(n[0]) == len(msgs), 'SELECT: %s %r' % (typ, n))
    same_as_files(m, srv.box)
    typ, d = m.fetch('6', '(ENVELOPE BODYSTRUCTURE BODY.PEEK[1] BODY.PEEK[HEADER.FIELDS (Subject)] '
                          'BODY.PEEK[]<5.7>)')
    text = b''.join(x[0] + x[1] if isinstance(x, tuple) else x for x in d)
    expect(b'"parts"' in text and b'"mixed"' in text and b'"base64"' in text,
           'ENVELOPE/BODYSTRUCTURE: %r' % text)
    parts = [x[1] for x in d if isinstance(x, tuple)]
    expect(parts == [b'first part', b'Subject: parts\r\n\r\n', wire(msgs[5])[5:12]],
           'sections: %r' % parts)
    # STORE: the flags go into the file names
    typ, d = m.store('1', '+FLAGS', '(\\Seen \\Flagged)')
    expect(typ == 'OK' and b'\\Flagged' in d[0], 'STORE: %r' % d)
    m.uid('STORE', '2', '+FLAGS.SILENT', '(\\Answered)')
    files = same_as_files(m, srv.box)
    expect(files[1][2] == 'FS' and files[2][2] == 'R', 'flags in names: %r'
           % {u: f[2] for u, f in files.items()})
    # a non-PEEK body fetch sets \Seen
    m.fetch('3', '(BODY[TEXT])')
    expect(maildir(srv.box)[3][2] == 'S', 'BODY[] did not set \\Seen')
    # APPEND
    new = b'From: up@example.org\r\nSubject: appended\r\n\r\nappended body\r\n'
    typ, d = m.append('INBOX', '(\\Draft)', None, new)
    mt = re.search(rb'APPENDUID (\d+) (\d+)', d[0])
    expect(typ == 'OK' and mt, 'APPEND: %s %r' % (typ, d))
    files = maildir(srv.box)
    uid = int(mt.group(2))
    expect(files[uid][1] == new.replace(b'\r\n', b'\n') and files[uid][2] == 'D',
           'appended file %r' % (files[uid],))
    # SEARCH
    typ, d = m.search(None, 'FLAGGED')
    expect(d == [b'1'], 'SEARCH FLAGGED: %r' % d)
    typ, d = m.uid('SEARCH', 'SUBJECT', 'appended')
    expect(d == [str(uid).encode()], 'UID SEARCH SUBJECT: %r' % d)
    typ, d = m.search(None, 'OR', 'FROM', 'sender2', 'DRAFT')
    expect(d == [b'3 7'], 'SEARCH OR: %r' % d)
    # COPY into a new folder
    expect(m.create('Archive')[0] == 'OK', 'CREATE')
    typ, d = m.copy('1:2', 'Archive')
    expect(typ == 'OK' and b'COPYUID' in d[0], 'COPY: %r' % d)
    expect(len(maildir(os.path.join(srv.box, '.Archive'))) == 2, 'COPY: not 2 files')
    typ, lst = m.list()
    expect(any(b'\\Archive' in x and b'Archive' in x for x in lst), 'SPECIAL-USE: %r' % lst)
    # EXPUNGE
    m.store('2:3', '+FLAGS', '(\\Deleted)')
    typ, d = m.expunge()
    expect(typ == 'OK' and d == [b'3', b'2'], 'EXPUNGE: %r' % d)
    files = same_as_files(m, srv.box)
    expect(sorted(files) == [1, 4, 5, 6, uid], 'after EXPUNGE: %r' % sorted(files))
    m.logout()
    srv.alive()


def case_auth_plain_starttls(run, prog, fetch_prog):
    """TLS configured: LOGINDISABLED before STARTTLS; after it AUTHENTICATE
    PLAIN; a wrong password is refused."""
    srv = Imapd(run, prog, sample_messages(2), tls=True)
    m = imaplib.IMAP4('127.0.0.1', srv.port, timeout=20)
    expect('LOGINDISABLED' in m.capabilities, 'capabilities before TLS: %r' % (m.capabilities,))
    ctx = ssl.create_default_context(cafile=CERT)
    ctx.check_hostname = False
    m.starttls(ssl_context=ctx)
    try:
        m.authenticate('PLAIN', lambda _: ('\0%s\0wrong' % USER).encode())
        raise Fail('a wrong password was accepted')
    except imaplib.IMAP4.error:
        pass
    typ, _ = m.authenticate('PLAIN', lambda _: ('\0%s\0%s' % (USER, PASSWORD)).encode())
    expect(typ == 'OK', 'AUTHENTICATE PLAIN')
    m.select('INBOX')
    same_as_files(m, srv.box)
    m.logout()


def run_fetch(run, fetch_prog, srv, local, *extra, name='fetch'):
    argv = [fetch_prog, '--server', '127.0.0.1:%d' % srv.port, '--user', USER,
            '--pass', PASSWORD, '--maildir', local, '--verbose'] + list(extra)
    r = run.cmd(argv, ok=(0,), timeout=60, name=name)
    return r.stdout.decode(errors='replace')


def fetched(local):
    """{uid: (bytes, letters)} of what mailproto-imap-fetch stored."""
    out = {}
    for sub in ('new', 'cur'):
        d = os.path.join(local, sub)
        for f in os.listdir(d) if os.path.isdir(d) else []:
            mt = re.match(r'mpf\.(\d+)\.(\d+)', f)
            expect(mt, 'unexpected file %s' % f)
            info = f.partition(':2,')[2]
            out[int(mt.group(2))] = (read(os.path.join(d, f)).replace(b'\r\n', b'\n'),
                                     ''.join(sorted(c for c in info if c in 'DFRST')))
    return out


def compare_sync(srv, local):
    ours = maildir(srv.box)
    theirs = fetched(local)
    expect(sorted(ours) == sorted(theirs), 'UIDs: server %r, synced %r'
           % (sorted(ours), sorted(theirs)))
    for uid in ours:
        expect(theirs[uid][0] == ours[uid][1], 'UID %d: bytes differ' % uid)
        expect(theirs[uid][1] == ours[uid][2], 'UID %d: flags %r, server %r'
               % (uid, theirs[uid][1], ours[uid][2]))
    return len(ours)


def case_imap_fetch(run, prog, fetch_prog):
    """mailproto-imap-fetch syncs from mailproto-imapd (SCRAM-SHA-256, the
    best mechanism offered): bytes and flags; a second run fetches
    nothing; flag changes and an expunge made through imaplib are mirrored
    by the next run."""
    msgs = sample_messages()
    srv = Imapd(run, prog, msgs)
    m = srv.login()
    m.select('INBOX')
    m.store('2', '+FLAGS', '(\\Seen)')
    m.logout()
    local = run.path('local')
    out = run_fetch(run, fetch_prog, srv, local)
    expect('AUTHENTICATE SCRAM-SHA-256' in out, 'SCRAM-SHA-256 not used:\n' + out[-2000:])
    expect(compare_sync(srv, local) == len(msgs), 'not every message synced')
    out = run_fetch(run, fetch_prog, srv, local, name='fetch2')
    expect('0 messages stored' in out, 'the second run fetched again:\n' + out[-2000:])
    m = srv.login()
    m.select('INBOX')
    m.store('1,3', '+FLAGS', '(\\Flagged)')
    m.store('4', '+FLAGS', '(\\Deleted)')
    m.expunge()
    m.append('INBOX', None, None, b'From: late@example.org\r\nSubject: late\r\n\r\nlate\r\n')
    m.logout()
    run_fetch(run, fetch_prog, srv, local, name='fetch3')
    expect(compare_sync(srv, local) == len(msgs), 'after changes: wrong count')
    srv.alive()


def case_idle_delivery(run, prog, fetch_prog):
    """A client in IDLE hears "* n EXISTS" when a message is delivered into
    new/ (as mailproto-smtpd does: tmp/, then a rename), and another
    session's STORE as a FETCH."""
    srv = Imapd(run, prog, sample_messages(2))
    s = socket.create_connection(('127.0.0.1', srv.port), timeout=10)
    f = s.makefile('rb')

    def until(prefix):
        while True:
            line = f.readline()
            expect(line, 'connection closed')
            if line.startswith(prefix):
                return line
    until(b'* OK')
    s.sendall(b'a LOGIN %s %s\r\nb SELECT INBOX\r\n' % (USER.encode(), PASSWORD.encode()))
    until(b'b OK')
    s.sendall(b'c IDLE\r\n')
    until(b'+')
    t0 = time.monotonic()
    tmp = os.path.join(srv.box, 'tmp', '1800000000.P9Q9.interop')
    with open(tmp, 'wb') as out:
        out.write(b'From: new@example.org\nSubject: delivered\n\nwake up\n')
    os.rename(tmp, os.path.join(srv.box, 'new', '1800000000.P9Q9.interop'))
    line = until(b'* 4 EXISTS')  # 3 messages before it
    log('EXISTS %.2f s after the delivery' % (time.monotonic() - t0))
    m = srv.login()
    m.select('INBOX')
    m.store('1', '+FLAGS', '(\\Flagged)')
    m.logout()
    line = until(b'* 1 FETCH')
    expect(b'\\Flagged' in line, 'flag change: %r' % line)
    s.sendall(b'DONE\r\n')
    until(b'c OK')
    s.sendall(b'd LOGOUT\r\n')
    until(b'd OK')
    s.close()


def client_loop(srv, rnd, state, lock, tag):
    """APPENDs and EXPUNGEs until the server dies under it; what the server
    confirmed goes into state (told: uid -> bytes, expunged: uids; doomed:
    uids flagged \\Deleted, which an EXPUNGE cut by the kill may have taken)."""
    try:
        m = srv.login()
        m.select('INBOX')
        k = 0
        while True:
            body = ('From: k@example.org\r\nSubject: %s msg %d\r\n\r\n%s\r\n'
                    % (tag, k, 'x' * rnd.randrange(10, 3000))).encode()
            typ, d = m.append('INBOX', None, None, body)
            uid = int(re.search(rb'APPENDUID \d+ (\d+)', d[0]).group(1))
            with lock:
                if uid in state['told'] or uid in state['expunged']:
                    state['errors'].append('UID %d handed out twice' % uid)
                state['told'][uid] = body.replace(b'\r\n', b'\n')
                victim = rnd.choice(sorted(state['told'])) if k % 3 == 2 else None
                if victim is not None:
                    # flagged \Deleted: any later EXPUNGE may take it
                    state['doomed'].add(victim)
            if victim is not None:
                m.uid('STORE', str(victim), '+FLAGS.SILENT', '(\\Deleted)')
                typ, _ = m.expunge()
                if typ == 'OK':
                    with lock:
                        state['expunged'].add(victim)
                        state['told'].pop(victim, None)
            k += 1
    except (imaplib.IMAP4.abort, imaplib.IMAP4.error, OSError, EOFError, AttributeError):
        return


def case_sigkill(run, prog, fetch_prog):
    """mailproto-imapd killed with SIGKILL at random moments while two
    clients APPEND and EXPUNGE: after each restart every message file is
    listed exactly once, every APPEND confirmed with its APPENDUID is there
    byte for byte, no expunge confirmed comes back, and UIDNEXT is above
    every UID a client was told (so none is ever reused)."""
    import threading
    srv = Imapd(run, prog, sample_messages(3))
    seed = int(os.environ.get('MP_INTEROP_SEED', '0')) or time.time_ns()
    rnd = random.Random(seed)
    state = {'told': {}, 'expunged': set(), 'doomed': set(), 'errors': []}
    lock = threading.Lock()
    for r in range(6):
        threads = [threading.Thread(target=client_loop,
                                    args=(srv, random.Random(seed + 10 * r + t), state, lock,
                                          'r%dt%d' % (r, t))) for t in range(2)]
        for t in threads:
            t.start()
        time.sleep(rnd.uniform(0.1, 0.5))
        srv.proc.kill()
        srv.proc.wait()
        for t in threads:
            t.join(10)
        expect(not state['errors'], '; '.join(state['errors']))
        srv.start()
        files = maildir(srv.box)  # every file once, every UID once
        for uid, body in state['told'].items():
            if uid in state['doomed'] and uid not in files:
                continue
            expect(uid in files and files[uid][1] == body,
                   'round %d: confirmed UID %d lost or changed' % (r, uid))
        for uid in state['expunged']:
            expect(uid not in files, 'round %d: expunged UID %d is back' % (r, uid))
        with open(os.path.join(srv.box, 'mailproto-imapd.uids')) as f:
            uidnext = int(f.readline().split()[3])
        seen = set(state['told']) | state['expunged']
        expect(not seen or uidnext > max(seen), 'round %d: UIDNEXT %d not above %d'
               % (r, uidnext, max(seen)))
    m = srv.login()
    m.select('INBOX')
    same_as_files(m, srv.box)
    m.logout()
    log('seed %d: killed 6 times under 2 clients; %d messages confirmed, %d expunged'
        % (seed, len(state['told']), len(state['expunged'])))


def no_tuid(data):
    """Without the X-TUID field mbsync adds to the copies it writes or
    uploads (its own marker to find them again)."""
    return re.sub(rb'(?m)^X-TUID: [^\n]*\n', b'', data, count=1)


def mbsync_side(inbox):
    """{Subject: (bytes LF, letters)} of mbsync's Maildir."""
    out = {}
    for sub in ('new', 'cur'):
        d = os.path.join(inbox, sub)
        for f in os.listdir(d) if os.path.isdir(d) else []:
            data = no_tuid(read(os.path.join(d, f)).replace(b'\r\n', b'\n'))
            key = re.search(rb'^Subject: (.*)$', data, re.M).group(1)
            out[key] = (data, ''.join(sorted(c for c in f.partition(':2,')[2] if c in 'DFRST')))
    return out


def server_side(box):
    out = {}
    for uid, (path, data, letters) in maildir(box).items():
        data = no_tuid(data)
        key = re.search(rb'^Subject: (.*)$', data, re.M).group(1)
        out[key] = (data, letters)
    return out


def case_mbsync(run, prog, fetch_prog):
    """mbsync (isync): a full sync from the server (bytes and flags equal),
    local changes pushed back (a new message APPENDed, flags set, one
    deleted: UID STORE, EXPUNGE) and seen in the server's files, a folder
    created on the server synced down, then a sync that changes nothing."""
    iop.need('mbsync')
    msgs = sample_messages()
    srv = Imapd(run, prog, msgs)
    m = srv.login()
    m.select('INBOX')
    m.store('1', '+FLAGS', '(\\Seen)')
    m.store('2', '+FLAGS', '(\\Flagged \\Answered)')
    m.create('Work')
    m.append('Work', '(\\Seen)', None, b'From: w@example.org\r\nSubject: work item\r\n\r\nw\r\n')
    m.logout()
    local = run.mkdir('mbsync-local')
    rc = run.write('mbsyncrc', MBSYNCRC.format(port=srv.port, user=USER, password=PASSWORD,
                                               local=local).encode())
    os.chmod(rc, 0o600)
    run.cmd(['mbsync', '-c', rc, '-V', 'all'], name='mbsync1', timeout=40)
    inbox = os.path.join(local, 'INBOX')
    expect(mbsync_side(inbox) == server_side(srv.box), 'INBOX after the first sync differs')
    expect(mbsync_side(os.path.join(local, 'Work')) == server_side(os.path.join(srv.box, '.Work')),
           'Work after the first sync differs')
    # local changes
    with open(os.path.join(inbox, 'new', '1800000000.local1.host'), 'wb') as f:
        f.write(b'From: near@example.org\nSubject: from mbsync\n\nbody\n')
    got = sorted(os.listdir(os.path.join(inbox, 'cur')) + os.listdir(os.path.join(inbox, 'new')))
    def move(name, letters):
        sub = 'cur' if os.path.exists(os.path.join(inbox, 'cur', name)) else 'new'
        os.rename(os.path.join(inbox, sub, name),
                  os.path.join(inbox, 'cur', name.split(':2,')[0] + ':2,' + letters))
    move(got[2], 'FRS')
    move(got[3], 'ST')
    run.cmd(['mbsync', '-c', rc, '-V', 'all'], name='mbsync2', timeout=40)
    theirs, ours = mbsync_side(inbox), server_side(srv.box)
    expect(b'from mbsync' in ours, 'the local message was not appended')
    expect(len(ours) == len(msgs), 'server holds %d messages, want %d (one new, one deleted)'
           % (len(ours), len(msgs)))
    expect(theirs == ours, 'INBOX after the second sync differs: %r vs %r'
           % (sorted((k, v[1]) for k, v in theirs.items()), sorted((k, v[1]) for k, v in ours.items())))
    before = sorted(os.listdir(os.path.join(srv.box, 'cur')) + os.listdir(os.path.join(srv.box, 'new')))
    r = run.cmd(['mbsync', '-c', rc, '-V', 'all'], name='mbsync3', timeout=40)
    after = sorted(os.listdir(os.path.join(srv.box, 'cur')) + os.listdir(os.path.join(srv.box, 'new')))
    expect(before == after, 'the third sync changed the server: %r -> %r' % (before, after))
    expect(mbsync_side(inbox) == server_side(srv.box), 'INBOX after the third sync differs')
    del r
    srv.alive()


def case_curl(run, prog, fetch_prog):
    """curl imap://: LIST, a message by UID (bytes equal to the file), a
    section, SEARCH, a custom FETCH, STATUS, an APPEND upload."""
    iop.need('curl')
    msgs = sample_messages()
    srv = Imapd(run, prog, msgs)
    base = 'imap://127.0.0.1:%d' % srv.port
    user = ['--user', '%s:%s' % (USER, PASSWORD), '--silent', '--show-error', '--max-time', '20']
    r = run.cmd(['curl', *user, base + '/'], name='curl-list')
    expect(b'INBOX' in r.stdout, 'curl LIST: %r' % r.stdout)
    files = maildir(srv.box)
    r = run.cmd(['curl', *user, base + '/INBOX;UID=2'], name='curl-uid')
    expect(r.stdout == wire(files[2][1]), 'curl UID=2 differs from the file')
    r = run.cmd(['curl', *user, base + '/INBOX;UID=6/;SECTION=1'], name='curl-section')
    expect(r.stdout == b'first part', 'curl SECTION=1: %r' % r.stdout)
    r = run.cmd(['curl', *user, base + '/INBOX?SUBJECT%20parts'], name='curl-search')
    expect(r.stdout.strip() == b'* SEARCH 6', 'curl SEARCH: %r' % r.stdout)
    r = run.cmd(['curl', *user, base + '/INBOX', '-X', 'FETCH 1:* (FLAGS ENVELOPE)'],
                name='curl-fetch')
    expect(r.stdout.count(b'FETCH') == len(msgs), 'curl FETCH: %r' % r.stdout)
    r = run.cmd(['curl', *user, base + '/', '-X', 'STATUS INBOX (MESSAGES UIDNEXT)'],
                name='curl-status')
    expect(b'MESSAGES %d' % len(msgs) in r.stdout, 'curl STATUS: %r' % r.stdout)
    up = run.write('upload.eml', b'From: curl@example.org\r\nSubject: by curl\r\n\r\nbody\r\n')
    run.cmd(['curl', *user, base + '/INBOX', '-T', up], name='curl-append')
    expect(any(d == b'From: curl@example.org\nSubject: by curl\n\nbody\n'
               for _, d, _ in maildir(srv.box).values()), 'curl APPEND not stored')
    srv.alive()


def case_slow_reader(run, prog, fetch_prog):
    """One client asks for every body of 2,000 messages and reads nothing;
    another is answered meanwhile (the FETCH goes out as the first one
    reads, between the others' turns); then the first reads the start of
    its answer (all of it through an 8 KB window would take 10 s).  The
    server that answered a FETCH in one go held the other client 10 s."""
    n = 2000
    in_memory(run)  # 2,000 files: seconds on this disk
    msgs = [b'From: bulk@example.org\nSubject: bulk %d\n\n%s' % (i, b'y' * 2000 + b'\n')
            for i in range(n)]
    srv = Imapd(run, prog, msgs)
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    slow.settimeout(20)
    slow.connect(('127.0.0.1', srv.port))
    slow.sendall(b'a LOGIN %s %s\r\nb SELECT INBOX\r\nc FETCH 1:* BODY.PEEK[]\r\n'
                 % (USER.encode(), PASSWORD.encode()))
    time.sleep(0.5)
    t0 = time.monotonic()
    m = srv.login()
    m.select('INBOX')
    typ, d = m.fetch(str(n), '(BODY.PEEK[])')
    took = time.monotonic() - t0
    expect(typ == 'OK' and d[0][1] == wire(msgs[-1]), 'the other client: %s %r' % (typ, d[:1]))
    expect(took < 3, 'the other client waited %.1f s' % took)
    m.logout()
    got = bytearray()
    while got.count(b' FETCH (BODY[] {') < 200:
        chunk = slow.recv(1 << 16)
        expect(chunk, 'the slow client was disconnected after %d bytes' % len(got))
        got += chunk
    first = got.index(b'* 1 FETCH (BODY[] {')
    expect(got[first:].startswith(b'* 1 FETCH (BODY[] {%d}\r\n%s)\r\n* 2 FETCH'
                                  % (len(wire(msgs[0])), wire(msgs[0]))), 'the first body')
    slow.close()
    log('the other client was answered in %.2f s' % took)
    srv.alive()


def case_fetchmail(run, prog, fetch_prog):
    """fetchmail over IMAP: every message delivered to its MDA with the
    bytes of the file, then deleted on the server (STORE \\Deleted,
    EXPUNGE): the Maildir is empty afterwards."""
    iop.need('fetchmail')
    msgs = sample_messages()
    srv = Imapd(run, prog, msgs)
    home = run.mkdir('fetchmail')
    out = os.path.join(home, 'mbox')
    rc = run.write('fetchmailrc', FETCHMAILRC.format(port=srv.port, user=USER,
                                                     password=PASSWORD, out=out).encode())
    os.chmod(rc, 0o600)
    run.cmd(['fetchmail', '-f', rc, '--nodetach', '-v', '--pidfile', os.path.join(home, 'pid')],
            name='fetchmail', timeout=40, env={'FETCHMAILHOME': home, 'HOME': home})
    got = read(out).replace(b'\r\n', b'\n')
    for data in msgs:
        # fetchmail adds its Received field on top; the message follows
        expect(data in got, 'fetchmail did not deliver %r' % data[:60])
    expect(maildir(srv.box) == {}, 'left on the server: %r' % sorted(maildir(srv.box)))
    srv.alive()


class Raw:
    """A plain IMAP connection: one command at a time, its lines back."""

    def __init__(self, port):
        self.s = socket.create_connection(('127.0.0.1', port), timeout=10)
        self.f = self.s.makefile('rb')
        self.n = 0
        expect(self.f.readline().startswith(b'* OK'), 'no greeting')

    def cmd(self, text):
        self.n += 1
        tag = b'r%d' % self.n
        self.s.sendall(tag + b' ' + text.encode() + b'\r\n')
        lines = []
        while True:
            line = self.f.readline()
            expect(line, 'connection closed after %r' % text)
            lines.append(line)
            if line.startswith(tag + b' '):
                expect(line.startswith(tag + b' OK'), '%s: %r' % (text, line))
                return lines


def modseqs(lines):
    return {int(m.group(1)): int(m.group(2)) for m in
            (re.search(rb'UID (\d+).*MODSEQ \((\d+)\)', x) for x in lines) if m}


def case_condstore(run, prog, fetch_prog):
    """CONDSTORE (RFC 7162): HIGHESTMODSEQ in SELECT, FETCH MODSEQ, a STORE
    raising one message above it, CHANGEDSINCE giving only that one,
    UNCHANGEDSINCE refused with [MODIFIED], SEARCH MODSEQ; after a SIGKILL
    and a restart every modseq and HIGHESTMODSEQ are above the old ones."""
    srv = Imapd(run, prog, sample_messages(3))
    r = Raw(srv.port)
    r.cmd('LOGIN %s %s' % (USER, PASSWORD))
    sel = b''.join(r.cmd('SELECT INBOX (CONDSTORE)'))
    hms = int(re.search(rb'HIGHESTMODSEQ (\d+)', sel).group(1))
    ms = modseqs(r.cmd('UID FETCH 1:* (MODSEQ)'))
    expect(sorted(ms) == [1, 2, 3, 4] and max(ms.values()) <= hms, 'MODSEQ %r, HMS %d' % (ms, hms))
    out = b''.join(r.cmd('UID STORE 2 +FLAGS (\\Flagged)'))
    new = int(re.search(rb'MODSEQ \((\d+)\)', out).group(1))
    expect(new > hms, 'STORE: modseq %d not above %d' % (new, hms))
    ch = modseqs(r.cmd('UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)' % hms))
    expect(ch == {2: new}, 'CHANGEDSINCE %d: %r' % (hms, ch))
    out = b''.join(r.cmd('UID STORE 1:2 (UNCHANGEDSINCE %d) +FLAGS (\\Seen)' % hms))
    expect(b'[MODIFIED 2]' in out, 'UNCHANGEDSINCE: %r' % out)
    expect(maildir(srv.box)[1][2] == 'S' and maildir(srv.box)[2][2] == 'F', 'flags in names')
    out = b''.join(r.cmd('UID SEARCH MODSEQ %d' % (new + 1)))
    expect(re.search(rb'\* SEARCH 1 \(MODSEQ \d+\)', out), 'SEARCH MODSEQ: %r' % out)
    top = int(re.search(rb'HIGHESTMODSEQ (\d+)', b''.join(r.cmd('STATUS INBOX (HIGHESTMODSEQ)')))
              .group(1))
    srv.proc.kill()
    srv.proc.wait()
    srv.start()
    r = Raw(srv.port)
    r.cmd('LOGIN %s %s' % (USER, PASSWORD))
    r.cmd('ENABLE CONDSTORE')
    sel = b''.join(r.cmd('SELECT INBOX'))
    hms2 = int(re.search(rb'HIGHESTMODSEQ (\d+)', sel).group(1))
    ms2 = modseqs(r.cmd('UID FETCH 1:* (MODSEQ)'))
    expect(hms2 > top and min(ms2.values()) > top, 'after the restart: HMS %d, modseqs %r, '
           'before %d' % (hms2, ms2, top))


def case_whole_mailbox(run, prog, fetch_prog):
    """FETCH 1:* BODY.PEEK[] of 3,000 messages (8 MB, many output buffers:
    answered across many poll rounds) with every body equal to its file,
    then ENVELOPE of all of them twice (the second from memory)."""
    in_memory(run)
    n = 3000
    msgs = [b'From: bulk@example.org\nSubject: bulk %d\nMessage-ID: <%d@bulk>\n\n%s'
            % (i, i, b'line of a bulk message\n' * 110) for i in range(n)]
    srv = Imapd(run, prog, msgs)
    m = srv.login()
    m.select('INBOX', readonly=True)
    t0 = time.monotonic()
    typ, d = m.fetch('1:*', '(BODY.PEEK[])')
    took = time.monotonic() - t0
    bodies = [x[1] for x in d if isinstance(x, tuple)]
    expect(typ == 'OK' and len(bodies) == n, '%s: %d bodies of %d' % (typ, len(bodies), n))
    expect(all(b == wire(msgs[i]) for i, b in enumerate(bodies)), 'a body differs from its file')
    for _ in range(2):
        typ, d = m.fetch('1:*', '(ENVELOPE)')
        expect(typ == 'OK' and len(d) == n and b'"bulk 2999"' in d[-1], 'ENVELOPE: %s %d'
               % (typ, len(d)))
    m.logout()
    log('%d bodies (%.1f MB) in %.2f s' % (n, sum(map(len, bodies)) / 1e6, took))


def case_implicit_tls(run, prog, fetch_prog):
    """Implicit TLS (port 993 style): imaplib over TLS logs in, every body
    against its file; mailproto-imap-fetch --tls syncs the same."""
    msgs = sample_messages(2)
    srv = Imapd(run, prog, msgs, implicit_tls=True)
    ctx = ssl.create_default_context(cafile=CERT)
    ctx.check_hostname = False
    m = imaplib.IMAP4_SSL('127.0.0.1', srv.port, ssl_context=ctx, timeout=20)
    m.login(USER, PASSWORD)
    m.select('INBOX')
    same_as_files(m, srv.box)
    m.logout()
    local = run.path('local')
    run_fetch(run, fetch_prog, srv, local, '--tls', '--cafile', CERT)
    expect(compare_sync(srv, local) == len(msgs), 'not every message synced over TLS')


CASES = {
    'imaplib': case_imaplib,
    'auth_plain_starttls': case_auth_plain_starttls,
    'imap_fetch': case_imap_fetch,
    'idle_delivery': case_idle_delivery,
    'sigkill': case_sigkill,
    'mbsync': case_mbsync,
    'curl': case_curl,
    'slow_reader': case_slow_reader,
    'fetchmail': case_fetchmail,
    'condstore': case_condstore,
    'whole_mailbox': case_whole_mailbox,
    'implicit_tls': case_implicit_tls,
}

if __name__ == '__main__':
    iop.main(CASES, 2, '/path/to/mailproto-imapd /path/to/mailproto-imap-fetch')
