#!/usr/bin/python3
"""Our IMAP parsers (mailproto-dump --proto imap) against a real Dovecot 2.3
and real IMAP clients.

  * server streams: a raw Python client logs in to a private Dovecot whose
    Maildir holds tests/interop/data/imap/*.eml and runs a sync-like
    sequence (CAPABILITY, ENABLE, LIST-EXTENDED, SELECT (CONDSTORE), UID
    FETCH of everything, ESEARCH, SORT, THREAD, STORE UNCHANGEDSINCE, COPY,
    MOVE, EXPUNGE, QUOTA, METADATA, APPEND, IDLE ...).  Every byte Dovecot
    sent goes through `mailproto-dump --proto imap --side client`, whole and
    in random small pieces (MP_DUMP_PIECE): exit 0, no error event, the same
    events, and the events must match what the test knows (one FETCH per
    message, BODY[] literals equal to the files, nested message/rfc822).
  * client streams: Python imaplib, mbsync (isync), fetchmail and curl talk
    to Dovecot through a logging TCP proxy; what they sent goes through
    `mailproto-dump --proto imap --side server`: exit 0, no bad command.

usage: imap_dovecot.py /path/to/mailproto-dump [CASE...]
"""

import glob
import os
import re
import signal
import socket
import subprocess
import time

import iop
from iop import Fail, Skip, expect, free_port, log, need, read
from peers import HoldProxy, reap_group

MSG_DIR = os.path.join(iop.DATA, 'imap')
USER, PASSWORD = 'alice', 'S3cret pass'
MAIL_UID = 65534  # nobody: above Dovecot's first_valid_uid
MAIL_GID = 65534


def messages():
    """(name, wire bytes) of the test messages, in UID order."""
    out = []
    for p in sorted(glob.glob(os.path.join(MSG_DIR, '*.eml'))):
        with open(p, 'rb') as f:
            out.append((os.path.basename(p), iop.crlf(f.read())))
    return out


# ------------------------------------------------------------ Dovecot

DOVECOT_CONF = """\
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login cram-md5
default_login_user = dovenull
default_internal_user = dovecot
mail_location = maildir:~/Maildir
mail_plugins = quota
mail_attribute_dict = file:%h/dovecot-attributes
imap_capability = +{extra_caps}
imap_id_send = name version os os-version support-url support-email revision
protocol imap {{
  mail_plugins = $mail_plugins imap_quota
  imap_metadata = yes
}}
plugin {{
  quota = maildir:User quota
  quota_rule = *:storage=100M
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
  mailbox Archive {{
    special_use = \\Archive
    auto = create
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {d}/users
}}
userdb {{
  driver = passwd-file
  args = {d}/users
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


class DovecotImap:
    """A private Dovecot IMAP server on 127.0.0.1:port; user alice has a
    Maildir holding the test messages (UIDs 1..n in file order)."""

    def __init__(self, run, msgs, template=None, **fmt):
        """template: another configuration (DOVECOT_CONF's fields and the
        `fmt` ones); a field given as a callable is called on each attempt
        (a second listener's free port)."""
        need('dovecot')
        if not os.path.exists('/usr/lib/dovecot/imap'):
            raise Skip('dovecot-imapd not installed')
        if os.geteuid() != 0:
            raise Skip('a private Dovecot instance needs root')
        d = run.mkdir('dovecot')
        run.mkdir('dovecot', 'run')
        run.mkdir('dovecot', 'state')
        self.home = run.mkdir('dovecot', 'home')
        self.pidfile = os.path.join(d, 'run', 'master.pid')
        self.log = os.path.join(d, 'log')
        run.logs.append(self.log)
        self.fill(msgs)
        with open(os.path.join(d, 'users'), 'w') as f:
            f.write('%s:{PLAIN}%s:%d:%d::%s\n' % (USER, PASSWORD, MAIL_UID, MAIL_GID, self.home))
        self.master = None
        run.at_exit(self.stop)
        for attempt in range(3):
            self.port = free_port()
            conf = os.path.join(d, 'dovecot.conf')
            with open(conf, 'w') as f:
                extra = {k: v() if callable(v) else v for k, v in fmt.items()}
                self.extra = extra
                f.write((template or DOVECOT_CONF).format(d=d, port=self.port,
                                                      extra_caps='X-MP-INTEROP', **extra))
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

    def fill(self, msgs):
        """Maildir/cur holds the messages, named so that readdir order does
        not matter (Dovecot sorts new files by name)."""
        md = os.path.join(self.home, 'Maildir')
        for sub in ('cur', 'new', 'tmp'):
            os.makedirs(os.path.join(md, sub), exist_ok=True)
        base = 1790000000
        for i, (_, data) in enumerate(msgs):
            # W= is the size with CRLF line ends (Dovecot trusts it)
            wire = len(data) + data.count(b'\n') - data.count(b'\r\n')
            name = '%d.M%dP1.interop,S=%d,W=%d:2,' % (base + i, i, len(data), wire)
            p = os.path.join(md, 'new', name.split(':')[0])
            with open(p, 'wb') as f:
                f.write(data)
            t = base + i * 3600
            os.utime(p, (t, t))
        for root, dirs, files in os.walk(self.home):
            os.chown(root, MAIL_UID, MAIL_GID)
            for n in files:
                os.chown(os.path.join(root, n), MAIL_UID, MAIL_GID)

    def _wait_ready(self, timeout):
        """Until a login succeeds (the auth process answers)."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                c = RawImap(self.port, timeout=5)
                c.greeting()
                c.login()
                c.cmd('LOGOUT')
                c.close()
                return
            except (OSError, Fail) as e:
                last = e
                time.sleep(0.05)
        raise Fail('Dovecot on port %d not ready: %r\n%s'
                   % (self.port, last, read(self.log).decode(errors='replace')))

    def _master(self):
        try:
            with open(self.pidfile) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def stop(self):
        master = self._master()
        if master is None:
            return
        try:
            os.kill(master, signal.SIGTERM)
        except OSError:
            pass
        reap_group(master, 'Dovecot')
        try:
            os.unlink(self.pidfile)
        except OSError:
            pass


# ------------------------------------------------------------ raw client

class RawImap:
    """A minimal IMAP client on a socket: commands in lock step, responses
    read line by line with their literals; every received byte is kept in
    self.rx (the stream the dump parses)."""

    def __init__(self, port, timeout=15):
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=timeout)
        self.rx = bytearray()
        self.tx = bytearray()  # what we sent (for the command parser)
        self.sent = {}  # tag -> command text
        self.buf = bytearray()
        self.n = 0

    def close(self):
        self.sock.close()

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise Fail('Dovecot closed the connection')
        self.rx += data
        self.buf += data

    def _line(self):
        while True:
            i = self.buf.find(b'\r\n')
            if i >= 0:
                line = bytes(self.buf[:i + 2])
                del self.buf[:i + 2]
                return line
            self._fill()

    def _bytes(self, n):
        while len(self.buf) < n:
            self._fill()
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    LIT = re.compile(rb'~?\{(\d+)\+?\}\r\n$')

    def response(self):
        """One response: its lines and literals joined."""
        out = b''
        while True:
            line = self._line()
            out += line
            m = self.LIT.search(line)
            if not m:
                return out
            out += self._bytes(int(m.group(1)))

    def greeting(self):
        r = self.response()
        expect(r.startswith(b'* OK') or r.startswith(b'* PREAUTH'), 'greeting %r' % r)
        return r

    def send(self, data):
        self.tx += data
        self.sock.sendall(data)

    def tag(self):
        self.n += 1
        return 'a%03d' % self.n

    def cmd(self, text, ok=('OK',), lits=()):
        """Send a command; lits are sync literals sent after each '+'.
        Returns (untagged responses, tagged line)."""
        try:
            return self._cmd(text, ok, lits)
        except socket.timeout:
            raise Fail('no answer to %r within %ss; last bytes received: %r'
                       % (text, self.sock.gettimeout(), bytes(self.rx[-300:])))

    def _cmd(self, text, ok, lits):
        if isinstance(text, str):
            text = text.encode()
        t = self.tag().encode()
        self.sent[t.decode()] = text
        parts = text.split(b'\0') if lits else [text]  # \0: where a sync literal goes
        expect(len(parts) == len(lits) + 1, 'literal placeholders')
        untagged = []
        self.send(t + b' ' + parts[0] + (b'{%d}\r\n' % len(lits[0]) if lits else b'\r\n'))
        for i, lit in enumerate(lits):
            while True:
                r = self.response()
                if r.startswith(b'+'):
                    break
                if r.startswith(t + b' '):
                    raise Fail('%s: %r instead of a continuation' % (text, r))
                untagged.append(r)
            tail = parts[i + 1]
            nxt = b'{%d}\r\n' % len(lits[i + 1]) if i + 1 < len(lits) else b'\r\n'
            self.send(lit + tail + nxt)
        while True:
            r = self.response()
            if r.startswith(t + b' '):
                status = r.split(b' ', 2)[1].decode()
                if status not in ok:
                    raise Fail('%r -> %r (last untagged: %r)'
                               % (text[:300], r, [u[:300] for u in untagged[-2:]]))
                return untagged, r
            untagged.append(r)

    def login(self):
        return self.cmd('LOGIN %s "%s"' % (USER, PASSWORD))


# ------------------------------------------------------------ the dump

_ESC = re.compile(rb'\\(x[0-9a-fA-F]{2}|r|n|\\)')
_ESC_MAP = {b'r': b'\r', b'n': b'\n', b'\\': b'\\'}


def unescape(s):
    """Inverse of dump_escaped (\\r \\n \\\\ \\xHH)."""
    b = s.encode('utf-8', 'surrogateescape')
    return _ESC.sub(lambda m: _ESC_MAP.get(m.group(1)) or bytes([int(m.group(1)[1:], 16)]), b)


def run_dump(run, prog, side, data, name, piece=None, allow_bad=(), quirks=None,
             tolerate=False):
    """mailproto-dump --proto imap --side SIDE on data; its output lines
    with consecutive chunk lines merged (pieces split them differently).
    allow_bad: tags of commands meant to be bad (only with --side server).
    quirks: MP_DUMP_IMAP_QUIRKS.  tolerate: return the lines even with
    errors."""
    env = dict(os.environ)
    env.pop('MP_DUMP_PIECE', None)
    env.pop('MP_DUMP_IMAP_QUIRKS', None)
    if quirks:
        env['MP_DUMP_IMAP_QUIRKS'] = quirks
    if piece:
        env['MP_DUMP_PIECE'] = str(piece)
    inp = run.write('%s.bin' % name, bytes(data))
    with open(inp, 'rb') as f:
        r = subprocess.run([prog, '--proto', 'imap', '--side', side], stdin=f,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, env=env)
    if b'runtime error:' in r.stderr or b'Sanitizer' in r.stderr:
        raise Fail('mailproto-dump --side %s on %s: sanitizer report:\n%s'
                   % (side, name, r.stderr.decode(errors='replace')[-3000:]))
    out = r.stdout.decode('utf-8', 'surrogateescape')
    run.write('%s%s.dump' % (name, '.p%s' % piece if piece else ''), r.stdout)
    lines = []
    run_parts = None  # the chunk line being merged, as parts
    head = 'chunk ' if side == 'client' else 'chunk literal '
    for ln in out.split('\n')[:-1]:
        if ln.startswith(head):
            if run_parts is None:
                run_parts = [ln]
            else:
                run_parts.append(ln[len(head):])
            continue
        if run_parts is not None:
            lines.append(''.join(run_parts))
            run_parts = None
        lines.append(ln)
    if run_parts is not None:
        lines.append(''.join(run_parts))
    errors = [ln for ln in lines if ln.startswith('error ') or ln.startswith('end pending')
              or (ln.startswith('bad ') and ln.split()[1] not in allow_bad)]
    if tolerate:
        return lines
    if (r.returncode != 0 and not allow_bad) or errors:
        ctx = []
        for i, ln in enumerate(lines):
            if ln in errors:
                ctx += lines[max(0, i - 6):i + 1] + ['...']
        raise Fail('mailproto-dump --side %s%s on %s: exit %d, %d errors:\n%s\n%s\n'
                   '(input kept as %s.bin; MP_INTEROP_KEEP=1 keeps it)'
                   % (side, ' MP_DUMP_PIECE=%s' % piece if piece else '', name,
                      r.returncode, len(errors), '\n'.join(ctx[:60]),
                      r.stderr.decode(errors='replace'), name))
    return lines


def dump_all_ways(run, prog, side, data, name, allow_bad=(), quirks=None):
    """The dump whole, byte by byte and in pieces of 1..7 and 1..200 bytes:
    identical events, no error.  Returns the events."""
    whole = run_dump(run, prog, side, data, name, allow_bad=allow_bad, quirks=quirks)
    # Byte by byte only up to 1 MB (a line of output per literal byte).
    for piece in (1, 7, 200) if len(data) <= 1 << 20 else (7, 200):
        other = run_dump(run, prog, side, data, name, piece, allow_bad=allow_bad,
                         quirks=quirks)
        if other != whole:
            i = next((k for k, (a, b) in enumerate(zip(whole, other)) if a != b),
                     min(len(whole), len(other)))
            raise Fail('%s: MP_DUMP_PIECE=%d gives other events than the whole stream at '
                       'event %d: %r vs %r' % (name, piece, i, whole[i:i + 3], other[i:i + 3]))
    log('%s: %d bytes, %d events, same in pieces' % (name, len(data), len(whole)))
    return whole


def wire_literals(data):
    """The payloads of the literals in a server stream and the number of
    responses, found the simple way (a line ending in {n} or ~{n} is
    followed by n bytes and goes on after them)."""
    out = []
    i = 0
    nresp = 0
    cont = False
    lit = re.compile(rb'~?\{(\d+)\}\r\n')
    while True:
        j = data.find(b'\r\n', i)
        if j < 0:
            return out, nresp
        if not cont:
            nresp += 1
        m = lit.search(data, i, j + 2)
        if m and m.end() == j + 2:
            n = int(m.group(1))
            out.append(data[j + 2:j + 2 + n])
            i = j + 2 + n
            cont = True
        else:
            i = j + 2
            cont = False


def dump_literals(lines):
    """The literal payloads the response parser reported, in order: values
    marked :lit and streamed literals (lit / chunk / lit_end)."""
    out = []
    cur = None
    for ln in lines:
        head, _, rest = ln.partition(' ')
        if head == 'lit':
            cur = []
        elif head == 'chunk' and cur is not None:
            cur.append(unescape(rest))
        elif head == 'lit_end':
            out.append(b''.join(cur))
            cur = None
        elif head.endswith(':lit'):
            out.append(unescape(rest))
    return out


def check_literals(data, lines, name):
    """Every literal on the wire is reported once, with its bytes, and
    every response begins once."""
    want, nresp = wire_literals(bytes(data))
    got = dump_literals(lines)
    begins = sum(1 for ln in lines if ln.startswith('begin '))
    expect(begins == nresp, '%s: %d responses on the wire, %d begin events'
           % (name, nresp, begins))
    if got != want:
        i = next((k for k, (a, b) in enumerate(zip(want, got)) if a != b), min(len(want), len(got)))
        raise Fail('%s: the parser reported %d literals, the wire has %d; first difference '
                   'at #%d: wire %r, parser %r' % (name, len(got), len(want), i,
                                                    want[i][:80] if i < len(want) else None,
                                                    got[i][:80] if i < len(got) else None))
    return len(want)


class Resp:
    def __init__(self, head):
        parts = head.split()
        self.kind = parts[1]
        self.tag = None
        self.num = None
        for p in parts[2:]:
            if p.startswith('tag='):
                self.tag = p[4:]
            elif p.startswith('#'):
                self.num = int(p[1:])
        self.events = []
        self.lits = []  # (field, declared length, payload, binary)

    def values(self, field):
        return [unescape(e.split(' ', 1)[1]) if ' ' in e else b''
                for e in self.events if e.split(' ', 1)[0].split(':')[0] == field]


def responses(lines):
    """The dump's events grouped by response."""
    out = []
    cur = None
    lit = None
    for ln in lines:
        if ln.startswith('begin '):
            cur = Resp(ln)
            out.append(cur)
        elif ln.startswith('lit '):
            f = ln.split()
            lit = [f[1], int(f[2]), [], len(f) > 3 and f[3] == 'binary']
            cur.events.append(ln)
        elif ln.startswith('chunk '):
            lit[2].append(unescape(ln[6:]))
        elif ln == 'lit_end':
            lit[2] = b''.join(lit[2])
            cur.lits.append(tuple(lit))
            cur.events.append(ln)
            lit = None
        elif cur is not None:
            cur.events.append(ln)
    return out


def tagged(resps, tag):
    r = [x for x in resps if x.tag == tag]
    expect(len(r) == 1, 'no single tagged response %s in the dump' % tag)
    return r[0]


def between(resps, tag_before, tag):
    """Untagged responses of command `tag` (after the completion of tag_before)."""
    out = []
    on = False
    for r in resps:
        if r.tag == tag_before:
            on = True
            continue
        if r.tag == tag:
            return out
        if on:
            out.append(r)
    raise Fail('no response tagged %s' % tag)


# ------------------------------------------------------------ server-stream cases

def sync_session(run, srv, msgs, utf8=False):
    """The sync-like sequence; returns (RawImap, tags by step name)."""
    c = RawImap(srv.port)
    c.greeting()
    tags = {}

    def step(name, text, **kw):
        u, t = c.cmd(text, **kw)
        tags[name] = t.split(b' ', 1)[0].decode()
        return u, t

    step('capa0', 'CAPABILITY')
    step('login', 'LOGIN %s "%s"' % (USER, PASSWORD))
    step('capa', 'CAPABILITY')
    if utf8:
        step('enable', 'ENABLE UTF8=ACCEPT')
    else:
        step('enable', 'ENABLE CONDSTORE QRESYNC')
    step('id', 'ID ("name" "mp-interop" "version" "1.0" "os" NIL)')
    step('namespace', 'NAMESPACE')
    step('create', 'CREATE "Archive/2026"')
    step('create_utf7', 'CREATE "Entw&APw-rfe"')
    step('list', 'LIST "" "*" RETURN (SPECIAL-USE SUBSCRIBED CHILDREN STATUS (MESSAGES UIDNEXT UNSEEN))')
    step('list_special', 'LIST (SPECIAL-USE) "" "*"')
    step('lsub', 'LSUB "" "*"')
    step('status', 'STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN SIZE)')
    if utf8:
        step('select', 'SELECT INBOX')
    else:
        step('select', 'SELECT INBOX (CONDSTORE)')
    att = 'UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE'
    if not utf8:
        att += ' MODSEQ'
    step('fetch_meta', 'UID FETCH 1:* (%s)' % att)
    # 11-uuencode.eml: BINARY[1] fails, the FETCH ends NO [UNKNOWN-CTE]
    # after every message's other items (RFC 3516 §4.1).
    step('fetch_body', 'UID FETCH 1:* (BODY.PEEK[] BINARY.PEEK[1] '
         'BODY.PEEK[HEADER.FIELDS (From Subject)] BODY.PEEK[1.MIME]<0.100>)', ok=('NO',))
    step('fetch_more', 'FETCH 1:* (FLAGS INTERNALDATE RFC822.SIZE BODY BINARY.SIZE[1] BODY.PEEK[TEXT]<2.40> '
         'RFC822.HEADER BODY.PEEK[HEADER.FIELDS.NOT (Received Date)])', ok=('NO',))
    step('fetch_parts', 'UID FETCH 4 (BODY.PEEK[2.2.1.MIME] BODY.PEEK[2.HEADER] '
         'BODY.PEEK[2.2.1.1.TEXT] BODY.PEEK[2.2.1.1.1] BINARY.PEEK[2.2.1.1.1] BODY.PEEK[2.2] '
         'BINARY.SIZE[2.1])')
    step('search', 'SEARCH ALL')
    step('search_charset', 'SEARCH CHARSET UTF-8 SUBJECT \0', lits=('Grüße'.encode(),))
    step('uid_search', 'UID SEARCH RETURN (MIN MAX COUNT ALL) ALL')
    step('uid_search_none', 'UID SEARCH RETURN (MIN MAX COUNT) SUBJECT "no such subject"')
    step('search_or', 'SEARCH OR FROM "alice" TO "alice" NOT DELETED SINCE 1-Jan-2020')
    step('sort', 'SORT (REVERSE DATE SUBJECT) UTF-8 ALL')
    step('uid_sort', 'UID SORT RETURN (MIN MAX COUNT ALL) (ARRIVAL) UTF-8 ALL')
    step('thread', 'THREAD REFERENCES UTF-8 ALL')
    step('thread_subj', 'THREAD ORDEREDSUBJECT UTF-8 ALL')
    if utf8:
        step('store', 'UID STORE 1 +FLAGS (\\Seen $Important)')
    else:
        step('store', 'UID STORE 1 (UNCHANGEDSINCE 9223372036854775807) +FLAGS (\\Seen $Important)')
        # A modseq every message passed: [MODIFIED] (RFC 7162 §3.1.3).
        step('store_modified', 'UID STORE 2:3 (UNCHANGEDSINCE 1) +FLAGS.SILENT (\\Flagged)')
    step('store_silent', 'STORE 2 FLAGS.SILENT (\\Answered \\Draft)')
    # Less common answers: literal8 with NUL bytes, partial bodies, PREVIEW,
    # SAVEDATE, MODSEQ searches, ESORT, SEARCHRES, MULTIAPPEND, CATENATE.
    step('fetch_binary', 'UID FETCH 2 (BINARY.PEEK[2] BINARY.SIZE[2] BODY.PEEK[]<0.10> '
         'BODY.PEEK[TEXT]<1000000.5> BINARY.PEEK[3]<4.6>)')
    step('fetch_preview', 'FETCH 1:* (PREVIEW SAVEDATE)')
    step('fetch_empty', 'UID FETCH 7,10 (BODY.PEEK[TEXT] BODY.PEEK[1] BINARY.PEEK[1] '
         'RFC822.TEXT)')
    if not utf8:
        step('search_modseq', 'SEARCH MODSEQ 1')
        step('esearch_modseq', 'UID SEARCH RETURN (MIN MAX) MODSEQ 1')
    step('esort', 'SORT RETURN (MIN MAX COUNT ALL) (SUBJECT) UTF-8 ALL')
    step('searchres', 'SEARCH RETURN (SAVE) SUBJECT "nested"')
    step('fetch_saved', 'FETCH $ (UID ENVELOPE)')
    step('search_within', 'SEARCH YOUNGER 999999999 OLDER 1')
    step('thread_refs', 'UID THREAD REFS UTF-8 ALL')
    step('multiappend', 'APPEND Drafts (\\Draft) \0 (\\Seen) "01-Jan-2026 00:00:00 +0000" \0',
         lits=(b'Subject: one\r\n\r\n1\r\n', b'Subject: two\r\n\r\n2\r\n'))
    step('catenate', 'APPEND Drafts CATENATE (URL "/INBOX;UIDVALIDITY=%s/;UID=1/;SECTION=HEADER" '
         'TEXT \0)' % uidvalidity(c), lits=(b'catenated body\r\n',))
    binmsg = b'Subject: binary\r\n\r\nNUL \0 byte\r\n'
    step('append_binary', b'APPEND Drafts ~{%d+}\r\n%s' % (len(binmsg), binmsg))
    step('status_size', 'STATUS Drafts (MESSAGES SIZE HIGHESTMODSEQ)')
    step('list_status', 'LIST "" "%" RETURN (CHILDREN STATUS (MESSAGES SIZE HIGHESTMODSEQ))')

    step('copy', 'UID COPY 1:3 "Archive/2026"')
    step('move', 'UID MOVE 9 Trash')
    step('store_del', 'UID STORE 8 +FLAGS (\\Deleted)')
    step('expunge', 'EXPUNGE')
    step('quota', 'GETQUOTAROOT INBOX')
    step('quota2', 'GETQUOTA "User quota"')
    step('setmeta', 'SETMETADATA INBOX (/private/comment \0)', lits=(b'a comment\r\nwith two lines',))
    step('getmeta', 'GETMETADATA INBOX (/private/comment /shared/comment)')
    step('getmeta_opts', 'GETMETADATA (DEPTH infinity MAXSIZE 1000) "" /private')
    app = msgs[0][1]
    step('append', 'APPEND INBOX (\\Seen) "05-Nov-2026 10:00:00 +0100" \0', lits=(app,))
    step('append_plus', b'APPEND Drafts (\\Draft) {%d+}\r\n%s' % (len(app), app))
    step('noop', 'NOOP')
    # IDLE: a second session changes a flag; Dovecot tells the first.
    t = c.tag()
    c.send(t.encode() + b' IDLE\r\n')
    r = c.response()
    expect(r.startswith(b'+'), 'IDLE: %r' % r)
    other = RawImap(srv.port)
    other.greeting()
    other.login()
    other.cmd('SELECT INBOX')
    other.cmd('STORE 1 +FLAGS (\\Flagged)')
    other.cmd('LOGOUT')
    other.close()
    c.sock.settimeout(3)
    try:
        r = c.response()  # the FETCH (or EXISTS) of the change
    except socket.timeout:
        r = None
    c.sock.settimeout(15)
    c.send(b'DONE\r\n')
    while True:
        r = c.response()
        if r.startswith(t.encode() + b' '):
            expect(b' OK' in r, 'IDLE ended with %r' % r)
            break
    tags['idle'] = t
    step('unselect', 'UNSELECT')
    step('examine', 'EXAMINE "Archive/2026"')
    if not utf8:
        step('qresync', 'SELECT INBOX (QRESYNC (1 1 1:20))', ok=('OK', 'NO'))
        step('changedsince', 'UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)')
    step('close', 'CLOSE', ok=('OK', 'BAD', 'NO'))
    step('bad', 'NOSUCHCOMMAND', ok=('BAD',))
    step('delete', 'DELETE "Entw&APw-rfe"')
    step('rename', 'RENAME "Archive/2026" "Archive/2026-old"')
    step('logout', 'LOGOUT')
    c.close()
    return c, tags


# Valid commands (of extensions Dovecot offers) that our command parser
# refuses, by the start of their text, each written up under
# /work/wt/prompts/dovecot-bugs/.  The cases check everything else, and
# fail when one of these parses, so that the list shrinks with the parser.
KNOWN_REFUSED = {}  # ESORT and NOTIFY parse since issue 11 item 2


def check_known_refused(c, lines, expected_bad=()):
    """The command dump of RawImap c's stream: every command parsed but
    the expected bad ones and the KNOWN_REFUSED."""
    known = {t: why for t, text in c.sent.items() for pre, why in KNOWN_REFUSED.items()
             if text.startswith(pre)}
    bad = {ln.split()[1] for ln in lines if ln.startswith('bad ')}
    unexpected = bad - set(known) - set(expected_bad)
    expect(not unexpected, 'command parser refused %r' % sorted(unexpected))
    for t in expected_bad:
        expect(t in bad, 'command %s (%r) was not reported bad' % (t, c.sent[t]))
    for t, why in sorted(known.items()):
        expect(t in bad, 'command %s (%r) parses now: remove it from KNOWN_REFUSED'
               % (t, c.sent[t]))
        log('KNOWN GAP of the command parser (for the lead): %s %r refused: %s'
            % (t, c.sent[t][:60], why))
    # Every command the client sent was seen, under its tag.
    seen = {ln.split()[-1] for ln in lines if ln.startswith('command ')} | bad
    missing = sorted(set(c.sent) - seen)
    expect(not missing, 'command parser: no command or bad event for %r' % missing)
    return known


def uidvalidity(c):
    m = re.findall(rb'\[UIDVALIDITY (\d+)\]', bytes(c.rx))
    expect(m, 'no UIDVALIDITY seen')
    return m[-1].decode()


def check_sync(resps, tags, msgs, utf8):
    n = len(msgs)
    # One FETCH per message for each whole-mailbox FETCH.
    for step in ('fetch_meta', 'fetch_body', 'fetch_more'):
        prev = list(tags)[list(tags).index(step) - 1]
        f = [r for r in between(resps, tags[prev], tags[step]) if r.kind == 'FETCH']
        expect(len(f) == n, '%s: %d FETCH responses for %d messages' % (step, len(f), n))
        expect([r.num for r in f] == list(range(1, n + 1)),
               '%s: message numbers %r' % (step, [r.num for r in f]))
    meta = [r for r in between(resps, tags['select'], tags['fetch_meta']) if r.kind == 'FETCH']
    for (name, data), r in zip(msgs, meta):
        size = r.values('RFC822_SIZE')
        expect(size == [str(len(data)).encode()], '%s: RFC822.SIZE %r, file has %d bytes'
               % (name, size, len(data)))
        expect(len(r.values('ENV_DATE')) >= 1, '%s: no ENVELOPE date' % name)
        if not utf8:
            expect(len(r.values('MODSEQ')) == 1, '%s: no MODSEQ' % name)
        types = [v.lower() for v in r.values('BODY_TYPE')]
        subtypes = [v.lower() for v in r.values('BODY_SUBTYPE')]
        if name.startswith('04-'):
            nested = sum(1 for t in types if t == b'message')
            expect(nested == 3 and subtypes.count(b'rfc822') == 3,
                   '%s: BODYSTRUCTURE has %d message/rfc822 parts, expected 3: %r %r'
                   % (name, nested, types, subtypes))
            expect(len(r.values('ENV_SUBJECT')) == 4, '%s: %d envelopes (1 + 3 nested)'
                   % (name, len(r.values('ENV_SUBJECT'))))
        if name.startswith('02-'):
            expect(subtypes[-1:] == [b'mixed'] and types.count(b'text') == 2 and
                   b'application' in types, '%s: BODYSTRUCTURE %r %r' % (name, types, subtypes))
            expect(b'report.pdf' in r.values('PARAM_VALUE'), '%s: no filename parameter' % name)
        if name.startswith('03-'):
            expect(subtypes == [b'plain', b'html', b'alternative'],
                   '%s: BODYSTRUCTURE subtypes %r' % (name, subtypes))
        if name.startswith('08-'):
            # Groups: a NIL host starts and ends each one (RFC 3501 §7.4.2).
            hosts = r.values('ADDR_HOST')
            mboxes = r.values('ADDR_MAILBOX')
            expect(b'undisclosed-recipients' in mboxes and b'Team' in mboxes,
                   '%s: group names missing from %r' % (name, mboxes))
            expect(hosts.count(b'NIL') >= 8, '%s: group markers (NIL hosts) %r' % (name, hosts))
        if name.startswith('09-'):
            expect(b'john..doe' in r.values('ADDR_MAILBOX'), '%s: quoted local part %r'
                   % (name, r.values('ADDR_MAILBOX')))
            expect(b'a"b' in r.values('ADDR_MAILBOX'), '%s: escaped quote in local part %r'
                   % (name, r.values('ADDR_MAILBOX')))
    body = [r for r in between(resps, tags['fetch_meta'], tags['fetch_body'])
            if r.kind == 'FETCH']
    for (name, data), r in zip(msgs, body):
        whole = [lit for lit in r.lits if lit[1] == len(data) and lit[2] == data]
        expect(whole, '%s: no BODY[] literal equal to the file (%d bytes); literals %r'
               % (name, len(data), [(f, ln) for f, ln, _, _ in r.lits]))
        for field, ln, payload, _ in r.lits:
            expect(len(payload) == ln, '%s: literal of %d bytes delivered %d'
                   % (name, ln, len(payload)))
        if name.startswith('02-'):
            expect(any(b and p == 'See the attached files. Grüße.\r\n\r\n'.encode()
                       for _, _, p, b in r.lits) or
                   any(p.startswith('See the attached files. Grüße.'.encode())
                       for _, _, p, _ in r.lits),
                   '%s: BINARY[1] not decoded: %r' % (name, [p[:60] for _, _, p, _ in r.lits]))
    cte = tagged(resps, tags['fetch_body'])
    expect(cte.kind == 'NO' and any(e == 'code UNKNOWN_CTE' for e in cte.events),
           'BINARY of x-uuencode: %s %r' % (cte.kind, cte.events))
    search = between(resps, tags['fetch_parts'], tags['search'])
    nums = [v for r in search if r.kind == 'SEARCH' for v in r.values('NUMBER')]
    expect(len(nums) == n, 'SEARCH ALL: %d numbers for %d messages' % (len(nums), n))
    es = [r for r in between(resps, tags['search_charset'], tags['uid_search'])
          if r.kind == 'ESEARCH']
    expect(len(es) == 1, 'UID SEARCH RETURN: %d ESEARCH responses' % len(es))
    vals = es[0].values('SEARCH_VALUE')
    expect(str(n).encode() in vals and b'1' in vals,
           'ESEARCH MIN/MAX/COUNT/ALL values %r' % vals)
    th = [r for r in between(resps, tags['uid_sort'], tags['thread']) if r.kind == 'THREAD']
    expect(len(th) == 1 and len(th[0].values('THREAD_MEMBER')) == n,
           'THREAD: %r' % [r.events[:20] for r in th])
    if not utf8:
        mod = tagged(resps, tags['store_modified'])
        expect(any(e.startswith('code MODIFIED') for e in mod.events),
               'STORE UNCHANGEDSINCE 1 gave no [MODIFIED]: %r' % mod.events)
    cp = tagged(resps, tags['copy'])
    expect(any(e.startswith('code COPYUID') for e in cp.events), 'COPY without COPYUID')
    q = [r.kind for r in between(resps, tags['expunge'], tags['quota'])]
    expect(q == ['QUOTAROOT', 'QUOTA'], 'GETQUOTAROOT: %r' % q)
    md = [r for r in between(resps, tags['setmeta'], tags['getmeta']) if r.kind == 'METADATA']
    expect(md and any(lit[2] == b'a comment\r\nwith two lines' for lit in md[0].lits) or
           any(b'a comment\r\nwith two lines' in v for r in md for v in r.values('META_VALUE')),
           'GETMETADATA did not return the value set: %r' % [r.events for r in md])
    bad = tagged(resps, tags['bad'])
    expect(bad.kind == 'BAD', 'unknown command: %s' % bad.kind)


def server_stream(run, prog, utf8):
    msgs = messages()
    srv = DovecotImap(run, msgs)
    c, tags = sync_session(run, srv, msgs, utf8=utf8)
    lines = dump_all_ways(run, prog, 'client', c.rx, 'dovecot')
    log('%d literals, all reported with their bytes' % check_literals(c.rx, lines, 'dovecot'))
    check_sync(responses(lines), tags, msgs, utf8)
    # Our own commands through the command parser too: all good but the
    # unknown command and the known gaps.
    lines = dump_all_ways(run, prog, 'server', c.tx, 'client', allow_bad=set(c.sent))
    check_known_refused(c, lines, expected_bad=(tags['bad'],))


def case_sync_condstore(run, prog):
    """Sync sequence with ENABLE CONDSTORE QRESYNC; Dovecot's bytes parsed
    whole and in pieces, checked against the test messages."""
    server_stream(run, prog, utf8=False)


def case_sync_utf8(run, prog):
    """The same with ENABLE UTF8=ACCEPT instead (Dovecot 2.3 does not offer
    it: the ENABLED response is empty and the session stays rev1)."""
    server_stream(run, prog, utf8=True)


def stress_messages():
    """Generated messages at the edges of what real mail holds."""
    out = []
    # A 3 MB attachment (BODY[] streamed as one literal).
    blob = bytes((i * 7 + (i >> 8)) & 0xff for i in range(2 * 1024 * 1024))
    import base64
    b64 = base64.encodebytes(blob).replace(b'\n', b'\r\n')
    out.append(('big-attachment', b'From: big@example.org\r\nSubject: big\r\nMIME-Version: 1.0\r\n'
                b'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n'
                b'Content-Type: text/plain\r\n\r\nsee attachment\r\n--b\r\n'
                b'Content-Type: application/octet-stream\r\n'
                b'Content-Transfer-Encoding: base64\r\n\r\n' + b64 + b'--b--\r\n'))
    # 40 recipients with raw UTF-8 names: Dovecot sends each name as a literal.
    rcpts = ',\r\n '.join('"Empfänger Nr. %d – ü" <r%d@example.de>' % (i, i)
                           for i in range(40))
    out.append(('utf8-recipients', ('From: "Jürgen" <j@example.de>\r\nTo: %s\r\n'
                'Subject: Grüße an alle\r\n\r\nHallo.\r\n' % rcpts).encode()))
    # multipart nested 20 deep, then message/rfc822 nested 6 deep.
    body = b'Content-Type: text/plain\r\n\r\ninnermost\r\n'
    for i in range(20):
        body = (b'Content-Type: multipart/mixed; boundary=n%d\r\n\r\n--n%d\r\n%s\r\n--n%d--\r\n'
                % (i, i, body, i))
    for i in range(6):
        body = (b'Content-Type: message/rfc822\r\n\r\nFrom: level%d@example.org\r\n'
                b'Subject: level %d\r\nMIME-Version: 1.0\r\n%s' % (i, i, body))
    out.append(('deep-nesting', b'From: deep@example.org\r\nSubject: deep\r\n'
                b'MIME-Version: 1.0\r\n' + body))
    # A Subject folded over 100 lines (6 KB unfolded: Dovecot sends it as
    # one quoted string; above MP_IMAP_MAX_QUOTED, 8 KiB, our parser gives
    # up, see dovecot-bugs/long-quoted-subject.bin), a parameter list of 50.
    params = b''.join(b';\r\n p%d="value %d"' % (i, i) for i in range(50))
    subject = b'\r\n '.join([b'subject-words-' * 4] * 100)
    out.append(('huge-fields', b'From: huge@example.org\r\nSubject: ' + subject +
                b'\r\nMIME-Version: 1.0\r\nContent-Type: text/plain' + params +
                b'\r\n\r\nx\r\n'))
    return out


def case_stress(run, prog):
    """Edge-sized messages (3 MB attachment, 40 UTF-8 names as literals, 26
    nesting levels, a 6 KB folded subject, 50 parameters) and 600 more small
    messages: FETCH of everything, SEARCH ALL, parsed whole and in pieces."""
    msgs = stress_messages()
    small = [('small-%d' % i, b'From: s%d@example.org\r\nSubject: small %d\r\n\r\nx\r\n' % (i, i))
             for i in range(600)]
    allm = msgs + small
    srv = DovecotImap(run, allm)
    c = RawImap(srv.port, timeout=30)
    c.greeting()
    c.login()
    c.cmd('SELECT INBOX')
    c.cmd('FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE BODYSTRUCTURE)')
    c.cmd('FETCH 1:%d (BODY.PEEK[])' % len(msgs))
    c.cmd('SEARCH ALL')
    c.cmd('UID SEARCH RETURN (ALL COUNT) ALL')
    c.cmd('STORE 1:* +FLAGS.SILENT (\\Seen)')
    c.cmd('FETCH 1:* (FLAGS)')
    c.cmd('LOGOUT')
    c.close()
    lines = dump_all_ways(run, prog, 'client', c.rx, 'stress')
    check_literals(c.rx, lines, 'stress')
    resps = responses(lines)
    fetches = [r for r in resps if r.kind == 'FETCH']
    expect(len(fetches) == 2 * len(allm) + len(msgs), '%d FETCH responses, expected %d'
           % (len(fetches), 2 * len(allm) + len(msgs)))
    bodies = [r for r in fetches[len(allm):len(allm) + len(msgs)]]
    for (name, data), r in zip(msgs, bodies):
        expect(any(lit[2] == data for lit in r.lits), '%s: BODY[] differs from the file' % name)
    search = [r for r in resps if r.kind == 'SEARCH']
    expect(len(search) == 1 and len(search[0].values('NUMBER')) == len(allm),
           'SEARCH ALL numbers: %d' % (len(search[0].values('NUMBER')) if search else -1))


# Commands as the big clients send them (Thunderbird, Apple Mail, K-9,
# Outlook style), and extension syntax Dovecot 2.3 understands.  Each
# must be answered OK (or NO where noted) and parse on both sides.
VARIETY = [
    ('ID NIL', 'OK'),
    ('ENABLE QRESYNC', 'OK'),
    ('LIST "" ""', 'OK'),
    ('LIST "" "%"', 'OK'),
    ('LIST (SUBSCRIBED) "" "*" RETURN (CHILDREN SPECIAL-USE)', 'OK'),
    ('LIST (SPECIAL-USE RECURSIVEMATCH) "" ("INBOX" "Sent" "Tr*")', 'OK'),
    ('LSUB "" "%"', 'OK'),
    ('SUBSCRIBE "Archive"', 'OK'),
    ('UNSUBSCRIBE "Archive"', 'OK'),
    ('STATUS "INBOX" (UIDNEXT MESSAGES UNSEEN RECENT)', 'OK'),
    ('SELECT "INBOX" (QRESYNC (1 1 1:10 (1,5,9 1,5,9)))', 'OK'),
    ('UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject '
     'Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type '
     'Reply-To)])', 'OK'),
    ('UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)', 'OK'),
    ('FETCH 1:* (FLAGS) (CHANGEDSINCE 1)', 'OK'),
    ('FETCH 1 (BODY.PEEK[1]<0.2048> BODY.PEEK[HEADER.FIELDS.NOT (Received)] RFC822.HEADER)', 'OK'),
    ('FETCH 2 (BODY[1] BODY[2]<0.100>)', 'OK'),
    ('FETCH 1:2 (INTERNALDATE UID RFC822.SIZE FLAGS BODY.PEEK[HEADER])', 'OK'),
    ('FETCH 1 ALL', 'OK'),
    ('FETCH 1 FULL', 'OK'),
    ('FETCH 1 FAST', 'OK'),
    ('UID FETCH 1:4 (BODYSTRUCTURE BODY)', 'OK'),
    ('SEARCH CHARSET UTF-8 TEXT {7+}\r\nGrüße', 'OK'),
    ('SEARCH NOT (OR SEEN FLAGGED) SMALLER 100000 LARGER 1 HEADER "X-Priority" "" UID 1:*', 'OK'),
    ('SEARCH 1:3,5 UNKEYWORD $Junk KEYWORD $Important SENTBEFORE 1-Jan-2030 ON 5-Nov-2026', 'OK'),
    ('SEARCH HEADER Message-ID "<plain-1@example.org>"', 'OK'),
    ('SEARCH RETURN (PARTIAL 1:3) ALL', 'OK'),
    ('SEARCH RETURN () UNDELETED', 'OK'),
    ('UID SEARCH RETURN (COUNT) UID 2:* NOT DELETED', 'OK'),
    ('SEARCH BEFORE 1-Jan-2100 SINCE 01-Jan-1990 NEW OLD RECENT UNANSWERED UNDRAFT UNFLAGGED', 'OK'),
    ('SEARCH SUBJECT {6}\r\nnested', 'OK'),
    ('SORT (DISPLAYFROM REVERSE DISPLAYTO SIZE CC) US-ASCII ALL', 'OK'),
    ('UID SORT (DATE) UTF-8 SINCE 1-Jan-2000', 'OK'),
    ('THREAD REFS UTF-8 SUBJECT "nested"', 'OK'),
    ('UID STORE 1:3 +FLAGS.SILENT ($Label1 Junk)', 'OK'),
    ('UID STORE 1:3 -FLAGS.SILENT ($Label1)', 'OK'),
    ('STORE 1:* (UNCHANGEDSINCE 9223372036854775807) FLAGS.SILENT (\\Seen)', 'OK'),
    ('UID COPY 1:2,4 "Trash"', 'OK'),
    ('UID MOVE 3 "Archive"', 'OK'),
    ('UID STORE 2 +FLAGS.SILENT (\\Deleted)', 'OK'),
    ('UID EXPUNGE 2', 'OK'),
    ('NOTIFY SET (selected (MessageNew (UID FLAGS) MessageExpunge FlagChange)) '
     '(personal (MessageNew MessageExpunge MailboxName))', 'OK'),
    ('NOTIFY NONE', 'OK'),
    ('SETMETADATA INBOX (/private/comment NIL)', 'OK'),
    ('SETMETADATA "" (/private/vendor/mp/x "1" /private/vendor/mp/y {3+}\r\n\x01\x02\x03)', 'OK'),
    ('GETMETADATA (DEPTH 1) "" (/private/vendor)', 'OK'),
    ('GETMETADATA (MAXSIZE 1) "" /private/vendor/mp/y', 'OK'),
    ('CREATE "Folder with spaces"', 'OK'),
    ('CREATE "Folder with spaces/Sub folder"', 'OK'),
    ('CREATE {7}\r\nLiteral', 'OK'),
    ('RENAME "Folder with spaces" "Renamed &ZeVnLIqe-"', 'OK'),
    ('LIST "" "Renamed*"', 'OK'),
    ('STATUS "Renamed &ZeVnLIqe-/Sub folder" (MESSAGES)', 'OK'),
    ('DELETE "Renamed &ZeVnLIqe-/Sub folder"', 'OK'),
    ('APPEND "Renamed &ZeVnLIqe-" {28+}\r\nSubject: lit+\r\n\r\nbody text\r\n', 'OK'),
    ('APPEND Nonexistent {5+}\r\nabcde', 'NO'),
    ('SELECT "Nonexistent &ZeVnLIqe-"', 'NO'),
    ('EXAMINE "Renamed &ZeVnLIqe-"', 'OK'),
    ('FETCH 1 (UID BODY[])', 'OK'),
    ('CHECK', 'OK'),
    ('UNSELECT', 'OK'),
    ('SELECT INBOX', 'OK'),
    ('UID FETCH * (UID)', 'OK'),
    ('UID SEARCH UID *', 'OK'),
    ('FETCH * (FLAGS)', 'OK'),
    ('STORE 1 FLAGS ()', 'OK'),
    ('CLOSE', 'OK'),
    ('GETQUOTA ""', 'NO'),
    # Answers with response codes (RFC 5530 and others).
    ('CREATE "Trash"', 'NO'),                           # [ALREADYEXISTS]
    ('DELETE "No such folder"', 'NO'),                  # [NONEXISTENT]
    ('SELECT INBOX', 'OK'),
    ('SEARCH CHARSET X-NO-SUCH-CHARSET ALL', 'NO'),     # [BADCHARSET (...)]
    ('UID FETCH 11 (BINARY.PEEK[1])', 'NO'),              # [UNKNOWN-CTE]
    ('FETCH 99 (FLAGS)', 'BAD'),
    ('UID FETCH 99 (FLAGS)', 'OK'),
    ('LIST (SUBSCRIBED RECURSIVEMATCH) "" "*"', 'OK'),  # CHILDINFO extended data
    ('LIST "" "*" RETURN (STATUS (MESSAGES UNSEEN SIZE))', 'OK'),
    ('STORE 1 +FLAGS (kw1 kw2 kw3 kw4 kw5 kw6 kw7 kw8 kw9 kw10 kw11 kw12 kw13 kw14 kw15)', 'OK'),
    # Mailbox names that need quoting, escapes or a literal.
    ('CREATE "quote\\"back\\\\slash"', 'OK'),
    ('CREATE "with ] bracket (and) {braces} 100%"', 'OK'),
    ('CREATE {13}\r\nlit\\"name {1}', 'OK'),
    ('CREATE "' + 'long-name-' * 20 + '"', 'OK'),
    ('LIST "" "*" RETURN (STATUS (MESSAGES UIDNEXT))', 'OK'),
    ('LIST "" "quote*"', 'OK'),
    ('STATUS "quote\\"back\\\\slash" (MESSAGES)', 'OK'),
    ('UID COPY 1:3,5,7:9 "with ] bracket (and) {braces} 100%"', 'OK'),
    ('ESEARCH', 'BAD'),                                 # no such command: bad for us too
]


def case_variety(run, prog):
    """Client commands in the styles of the big clients and extension
    syntax (QRESYNC seq-match-data, NOTIFY, PARTIAL, LITERAL+, mUTF-7 names,
    FETCH macros): Dovecot must accept them; both directions parse."""
    msgs = messages()
    srv = DovecotImap(run, msgs)
    c = RawImap(srv.port)
    c.greeting()
    c.login()
    tags = []
    for text, want in VARIETY:
        raw = text.encode('utf-8')
        m = re.search(rb'\{(\d+)\}\r\n', raw)
        if m:
            # A sync literal: send up to it, wait for "+", send the rest.
            n = int(m.group(1))
            lit = raw[m.end():m.end() + n]
            c.cmd(raw[:m.start()] + b'\0' + raw[m.end() + n:], ok=(want,), lits=(lit,))
        else:
            c.cmd(raw, ok=(want,))
        tags.append('a%03d' % c.n)
    c.cmd('LOGOUT')
    c.close()
    # Dovecot puts the UTF-8 form of a mailbox name into resp-text
    # ("NO Mailbox doesn't exist: Nonexistent \u65e5\u672c\u8a9e") although
    # rev1 text is 7-bit (RFC 3501 TEXT-CHAR): strictly parsed, that line
    # and no other is an error; with the quirk MP_IMAP_Q_8BIT_TEXT all parse.
    strict = responses(run_dump(run, prog, 'client', c.rx, 'dovecot-strict', tolerate=True))
    errs = [(r.tag, e) for r in strict for e in r.events if e.startswith('error ')]
    nonexist = tags[[t for t, _ in VARIETY].index('SELECT "Nonexistent &ZeVnLIqe-"')]
    expect([t for t, _ in errs] == [nonexist] and 'MP_ERR_8BIT' in errs[0][1],
           'strict parse: errors %r, expected one MP_ERR_8BIT at %s' % (errs, nonexist))
    check_literals(c.rx, dump_all_ways(run, prog, 'client', c.rx, 'dovecot', quirks='8bit-text'),
                   'dovecot')
    lines = dump_all_ways(run, prog, 'server', c.tx, 'client', allow_bad=set(c.sent))
    check_known_refused(c, lines, expected_bad=[t for t, x in c.sent.items() if x == b'ESEARCH'])


# ------------------------------------------------------------ client-stream cases

def check_client_streams(run, prog, proxy, who, min_conns=1, must=()):
    time.sleep(0.2)  # the pumps flush after the client exits
    streams = proxy.streams()
    expect(len(streams) >= min_conns, '%s: %d connections through the proxy'
           % (who, len(streams)))
    total = 0
    seen = b''
    for i, (cli, srv) in enumerate(streams):
        # Dovecot's answers to this client go through the response parser.
        alines = dump_all_ways(run, prog, 'client', srv, '%s-%d-answers' % (who, i))
        check_literals(srv, alines, '%s-%d-answers' % (who, i))
        resps = responses(alines)
        expect(resps and resps[-1].tag is not None,
               '%s: the session did not end with a tagged response' % who)
        lines = dump_all_ways(run, prog, 'server', cli, '%s-%d' % (who, i))
        cmds = ['_'.join(ln.split()[1:-1]) for ln in lines if ln.startswith('command ')]
        total += len(cmds)
        seen += (' '.join(cmds) + ' ').encode()
        expect(len(cmds) >= 1, '%s: no command parsed' % who)
        log('%s connection %d: %d commands: %s' % (who, i, len(cmds), ' '.join(cmds)[:400]))
    for m in must:
        expect(m.encode() in seen.upper(), '%s: no %s command among %r' % (who, m, seen))
    return total


IMAPLIB_SCRIPT = r'''
import imaplib, sys, time
port = int(sys.argv[1])
M = imaplib.IMAP4('127.0.0.1', port)
M.login(sys.argv[2], sys.argv[3])
M.capability()
M.enable('CONDSTORE')
M.list()
M.list('""', '*')
M.lsub()
M.namespace()
M.select('INBOX')
M.status('INBOX', '(MESSAGES UIDNEXT UNSEEN)')
M.fetch('1:*', '(UID FLAGS RFC822.SIZE ENVELOPE BODYSTRUCTURE)')
M.uid('FETCH', '1:*', '(BODY.PEEK[] INTERNALDATE)')
M.search(None, 'ALL')
M.search('UTF-8', 'SUBJECT', 'nested')
M.uid('SEARCH', 'FROM', '"alice"')
M.sort('(REVERSE DATE)', 'UTF-8', 'ALL')
M.thread('REFERENCES', 'UTF-8', 'ALL')
M.store('1', '+FLAGS', '(\\Seen \\Flagged)')
M.uid('STORE', '2', '-FLAGS', '(\\Seen)')
M.create('Work/Projects')
M.create('Entw&APw-rfe')
M.rename('Work/Projects', 'Work/Done')
M.subscribe('Work/Done')
M.copy('1:2', 'Work/Done')
M.uid('MOVE', '3', 'Trash')
M.append('Work/Done', '(\\Seen)', imaplib.Time2Internaldate(time.time()),
         b'From: a@example.org\r\nSubject: appended by imaplib\r\n\r\nbody\r\n')
M.getquotaroot('INBOX')
M.setannotation if False else None
M.store('4', '+FLAGS', '(\\Deleted)')
M.expunge()
M.check()
M.noop()
M.select('Work/Done', readonly=True)
M.fetch('1', '(RFC822)')
M.close() if False else None
M.unselect() if hasattr(M, 'unselect') else None
M.delete('Entw&APw-rfe')
M.logout()
# SASL: AUTHENTICATE PLAIN (imaplib sends no initial response), CRAM-MD5.
M = imaplib.IMAP4('127.0.0.1', port)
M.authenticate('PLAIN', lambda c: b'\0' + sys.argv[2].encode() + b'\0' + sys.argv[3].encode())
M.select('"Work/Done"')
M.uid('FETCH', '1:*', '(FLAGS BODY.PEEK[HEADER])')
M.logout()
M = imaplib.IMAP4('127.0.0.1', port)
M.login_cram_md5(sys.argv[2], sys.argv[3])
M.examine('INBOX') if hasattr(M, 'examine') else M.select('INBOX', readonly=True)
M.logout()
'''


def case_client_imaplib(run, prog):
    """Python imaplib's commands (login, list, select, fetch, search, sort,
    thread, store, copy, move, append with a sync literal, expunge)."""
    srv = DovecotImap(run, messages())
    proxy = HoldProxy(run, srv.port, hold=0)
    script = run.write('imaplib_client.py', IMAPLIB_SCRIPT.encode())
    run.cmd(['/usr/bin/python3', script, str(proxy.port), USER, PASSWORD], name='imaplib',
            timeout=30)
    check_client_streams(run, prog, proxy, 'imaplib', min_conns=3,
                         must=('LOGIN', 'FETCH', 'APPEND', 'THREAD', 'UID_MOVE', 'SORT', 'LOGOUT'))


MBSYNCRC = """\
IMAPAccount dovecot
Host 127.0.0.1
Port {port}
User {user}
Pass "{password}"
SSLType None
AuthMechs LOGIN
Timeout 20
PipelineDepth 8

IMAPStore remote
Account dovecot

MaildirStore local
Path {local}/
Inbox {local}/INBOX
SubFolders Verbatim

Channel all
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
SyncState *
Sync All
CopyArrivalDate yes
"""


def case_client_mbsync(run, prog):
    """mbsync (isync): a full two-way sync, then local changes (a new
    message, flags, a deletion) pushed back: APPEND, UID STORE, EXPUNGE."""
    need('mbsync')
    srv = DovecotImap(run, messages())
    proxy = HoldProxy(run, srv.port, hold=0)
    local = run.mkdir('mbsync-local')
    rc = run.write('mbsyncrc', MBSYNCRC.format(port=proxy.port, user=USER, password=PASSWORD,
                                               local=local).encode())
    os.chmod(rc, 0o600)
    run.cmd(['mbsync', '-c', rc, '-V', 'all'], name='mbsync1', timeout=40)
    inbox = os.path.join(local, 'INBOX')
    got = sorted(os.listdir(os.path.join(inbox, 'new')))
    # mbsync skips a message without the empty line after its header
    # ("incomplete header", 10-no-body-no-blank.eml).
    expect(len(got) == len(messages()) - 1, 'mbsync fetched %d of %d messages'
           % (len(got), len(messages()) - 1))
    # Local changes: a new message, flags on one, another deleted (T).
    with open(os.path.join(inbox, 'new', '1800000000.local1.host'), 'wb') as f:
        f.write(b'From: near@example.org\r\nSubject: from mbsync\r\n\r\nbody\r\n')
    os.rename(os.path.join(inbox, 'new', got[0]),
              os.path.join(inbox, 'cur', got[0].split(':2,')[0] + ':2,FRS'))
    os.rename(os.path.join(inbox, 'new', got[1]),
              os.path.join(inbox, 'cur', got[1].split(':2,')[0] + ':2,ST'))
    run.cmd(['mbsync', '-c', rc, '-V', 'all'], name='mbsync2', timeout=40)
    check_client_streams(run, prog, proxy, 'mbsync', min_conns=2,
                         must=('LOGIN', 'UID_FETCH', 'APPEND', 'UID_STORE', 'LOGOUT'))


FETCHMAILRC = """\
set no bouncemail
poll 127.0.0.1 port {port} proto IMAP auth password timeout 20
  user "{user}" password "{password}"
  no keep fetchall no idle
  mda "/bin/sh -c 'cat >> {out}'"
  sslproto ''
"""


def case_client_fetchmail(run, prog):
    """fetchmail over IMAP: every message fetched, delivered to an MDA,
    then deleted on the server (STORE \\Deleted, EXPUNGE)."""
    need('fetchmail')
    srv = DovecotImap(run, messages())
    proxy = HoldProxy(run, srv.port, hold=0)
    home = run.mkdir('fetchmail')
    out = os.path.join(home, 'mbox')
    rc = run.write('fetchmailrc', FETCHMAILRC.format(port=proxy.port, user=USER,
                                                     password=PASSWORD, out=out).encode())
    os.chmod(rc, 0o600)
    run.cmd(['fetchmail', '-f', rc, '--nodetach', '-v', '--pidfile',
             os.path.join(home, 'pid')], name='fetchmail', timeout=40,
            env={'FETCHMAILHOME': home, 'HOME': home}, ok=(0, 1))
    got = read(out)
    expect(got.count(b'Message-ID:') + got.count(b'Message-Id:') >= len(messages()) - 1,
           'fetchmail delivered %d bytes' % len(got))
    check_client_streams(run, prog, proxy, 'fetchmail',
                         must=('LOGIN', 'FETCH', 'STORE', 'EXPUNGE', 'LOGOUT'))


def case_client_curl(run, prog):
    """curl imap://: LIST, EXAMINE, a message by UID and by section, SEARCH,
    FETCH by -X, an APPEND upload (sync literal)."""
    need('curl')
    srv = DovecotImap(run, messages())
    proxy = HoldProxy(run, srv.port, hold=0)
    base = 'imap://127.0.0.1:%d' % proxy.port
    user = ['--user', '%s:%s' % (USER, PASSWORD), '--silent', '--show-error',
            '--max-time', '20']
    msgs = messages()
    r = run.cmd(['curl', *user, base + '/'], name='curl-list')
    expect(b'INBOX' in r.stdout, 'curl LIST: %r' % r.stdout)
    r = run.cmd(['curl', *user, base + '/INBOX;UID=1'], name='curl-uid')
    expect(r.stdout == msgs[0][1], 'curl UID=1 differs from the file')
    run.cmd(['curl', *user, base + '/INBOX;UID=4/;SECTION=2.2.1.1.1'], name='curl-section')
    r = run.cmd(['curl', *user, base + '/INBOX?SUBJECT%20nested'], name='curl-search')
    expect(b'SEARCH' in r.stdout, 'curl SEARCH: %r' % r.stdout)
    run.cmd(['curl', *user, base + '/INBOX', '-X', 'FETCH 1:* (FLAGS ENVELOPE)'],
            name='curl-fetch')
    run.cmd(['curl', *user, base + '/', '-X', 'STATUS INBOX (MESSAGES UIDNEXT)'],
            name='curl-status')
    run.cmd(['curl', *user, base + '/', '-X', 'EXAMINE "Archive"'], name='curl-examine')
    up = run.write('upload.eml', b'From: curl@example.org\r\nSubject: by curl\r\n\r\nbody\r\n')
    run.cmd(['curl', *user, base + '/Drafts', '-T', up], name='curl-append')
    run.cmd(['curl', *user, '--login-options', 'AUTH=LOGIN', base + '/INBOX;UID=2'],
            name='curl-auth-login')
    check_client_streams(run, prog, proxy, 'curl', min_conns=7,
                         must=('AUTHENTICATE', 'SELECT', 'EXAMINE', 'FETCH', 'APPEND'))


CASES = {
    'sync_condstore': case_sync_condstore,
    'sync_utf8': case_sync_utf8,
    'stress': case_stress,
    'variety': case_variety,
    'client_imaplib': case_client_imaplib,
    'client_mbsync': case_client_mbsync,
    'client_fetchmail': case_client_fetchmail,
    'client_curl': case_client_curl,
}

if __name__ == '__main__':
    iop.main(CASES, 1, '/path/to/mailproto-dump')
