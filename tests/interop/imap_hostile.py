#!/usr/bin/python3
"""mailproto-imap-fetch against a scripted hostile IMAP server.

Each case is a small Python server that answers the client's commands
from a script and misbehaves at one point: plaintext injected after the
OK to STARTTLS, PREAUTH where TLS is required, a tag never sent, a
completion given twice, a literal flood, a 2^63 literal, deep nesting,
EXISTS going backwards, BYE inside a literal, an endless line.  The
program must end with the documented exit code and a precise error, send
nothing it should not, store nothing incomplete, and stay small (its
memory is bounded whatever the server announces).

usage: imap_hostile.py /path/to/mailproto-imap-fetch [CASE...]
"""

import os
import re
import socket
import subprocess
import threading

import iop
from iop import expect, log
from imap_fetch import in_memory

GREETING = b'* OK [CAPABILITY IMAP4rev1 IDLE] hostile ready\r\n'
SELECT = b'* 5 EXISTS\r\n* OK [UIDVALIDITY 7] x\r\n* OK [UIDNEXT 6] x\r\n{tag} OK [READ-WRITE] ok\r\n'


class Hostile:
    """A one-connection IMAP server: `greeting`, then for each command line
    the answer of `script[verb]` (bytes with {tag}, or a function of the
    socket and the tag); what the client sent is kept in self.rx."""

    def __init__(self, run, greeting=GREETING, **script):
        self.greeting = greeting
        self.script = {
            'LOGIN': b'{tag} OK [CAPABILITY IMAP4rev1 IDLE] logged in\r\n',
            'CAPABILITY': b'* CAPABILITY IMAP4rev1\r\n{tag} OK\r\n',
            'SELECT': SELECT,
            'UID FETCH': b'{tag} OK\r\n',
            'LOGOUT': b'* BYE bye\r\n{tag} OK\r\n',
        }
        self.script.update({k.replace('_', ' '): v for k, v in script.items()})
        self.rx = b''
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        run.at_exit(self.sock.close)

    def _serve(self):
        try:
            c, _ = self.sock.accept()
        except OSError:
            return
        c.settimeout(20)
        try:
            c.sendall(self.greeting)
            buf = b''
            while True:
                data = c.recv(65536)
                if not data:
                    return
                self.rx += data
                buf += data
                while b'\r\n' in buf:
                    line, buf = buf.split(b'\r\n', 1)
                    parts = line.split(b' ')
                    tag = parts[0]
                    verb = b' '.join(parts[1:3]) if parts[1:2] == [b'UID'] else parts[1]
                    ans = self.script.get(verb.decode(errors='replace').upper())
                    if ans is None:
                        c.sendall(tag + b' OK\r\n')
                    elif callable(ans):
                        if ans(c, tag) == 'close':
                            c.close()
                            return
                    else:
                        c.sendall(ans.replace(b'{tag}', tag))
        except OSError:
            pass
        finally:
            c.close()


def fetch(run, prog, srv, *extra, rc, says):
    """Run the program; it must exit with `rc` and name the error `says`,
    and stay within a bounded size whatever the server announced."""
    # GNU time measures the program alone (a fork of this interpreter
    # would count its own size)
    timer = ['/usr/bin/time', '-f', 'maxrss %M'] if os.path.exists('/usr/bin/time') else []
    argv = timer + [prog, '--server', '127.0.0.1:%d' % srv.port, '--user', 'alice', '--pass', 'pw',
            '--maildir', run.path('local'), '--mech', 'LOGIN', '--timeout', '10'] + list(extra)
    log('+ ' + ' '.join(argv))
    logf = run.path('fetch.log')
    run.logs.append(logf)
    with open(logf, 'wb') as f:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT)
    code = p.wait(60)
    out = iop.read(logf).decode(errors='replace')
    if timer:
        expect('Command exited with non-zero status %d' % rc in out or rc == 0,
               'exit status, expected %d:\n%s' % (rc, out[-2000:]))
    else:
        expect(code == rc, 'exit %d, expected %d:\n%s' % (code, rc, out[-2000:]))
    expect(says in out, 'the error does not say %r:\n%s' % (says, out))
    m = re.search(r'maxrss (\d+)', out)
    rss = int(m.group(1)) if m else 0
    log('max RSS %d KiB: %s' % (rss, out.strip().splitlines()[0]))
    # its own memory is a few MiB (buffers, a UID map that is touched
    # only as far as the mailbox goes), whatever the server announces
    expect(rss < 16 * 1024, 'the program grew to %d KiB' % rss)
    return out


def stored(run):
    """Messages in cur/ (complete ones)."""
    cur = run.path('local', 'cur')
    return os.listdir(cur) if os.path.isdir(cur) else []


# ------------------------------------------------------------ cases

def case_starttls_injection(run, prog):
    """Bytes after the OK to STARTTLS, in the same packet: never read."""
    srv = Hostile(run, greeting=b'* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] hi\r\n',
                  STARTTLS=b'{tag} OK Begin TLS\r\n* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake\r\n')
    fetch(run, prog, srv, '--starttls', rc=4, says='plaintext bytes after a transport switch')
    expect(b'LOGIN' not in srv.rx, 'credentials sent: %r' % srv.rx)


def case_preauth_tls_required(run, prog):
    """PREAUTH in plaintext while TLS is required: the connection ends and
    nothing is sent."""
    srv = Hostile(run, greeting=b'* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] logged in\r\n')
    fetch(run, prog, srv, '--starttls', rc=4, says='TLS required')
    expect(srv.rx == b'', 'the client sent %r' % srv.rx)


def case_tag_never_sent(run, prog):
    srv = Hostile(run, LOGIN=b'A7 OK [CAPABILITY IMAP4rev1] logged in\r\n')
    fetch(run, prog, srv, rc=3, says='tagged response for no command in flight')


def case_completion_twice(run, prog):
    """A second completion of a command already completed."""
    srv = Hostile(run, LOGIN=b'{tag} OK [CAPABILITY IMAP4rev1] ok\r\n{tag} OK again\r\n')
    out = fetch(run, prog, srv, rc=3, says='tagged response for no command in flight')
    expect('command completed' in out, out)


def after_select(body):
    def answer(c, tag):
        c.sendall(body(tag) if callable(body) else body)
        return 'close'
    return answer


def case_literal_flood(run, prog):
    """A 64 MiB literal streams through (to a file in tmp/), never into
    memory; the connection ends before its end: nothing stored."""
    def answer(c, tag):
        c.sendall(b'* 1 FETCH (UID 1 FLAGS () BODY[] {67108864}\r\n')
        chunk = b'x' * 65536
        for _ in range(1024 - 1):
            c.sendall(chunk)
        return 'close'
    in_memory(run)
    srv = Hostile(run, UID_FETCH=answer)
    fetch(run, prog, srv, rc=3, says='end of stream')
    expect(stored(run) == [], 'stored %r' % stored(run))


def case_literal_count(run, prog):
    """70,000 literals on one response line: refused at the limit."""
    line = b'* 1 FETCH (' + b' '.join(b'BODY[%d] {0}\r\n' % (i % 9 + 1) for i in range(70000))
    srv = Hostile(run, UID_FETCH=after_select(line + b')\r\n'))
    fetch(run, prog, srv, rc=3, says='too many IMAP literals')


def case_literal_2e63(run, prog):
    srv = Hostile(run, UID_FETCH=after_select(b'* 1 FETCH (UID 1 BODY[] {9223372036854775808}\r\n'))
    fetch(run, prog, srv, rc=3, says='IMAP literal length above the protocol maximum')


def case_deep_nesting(run, prog):
    srv = Hostile(run, UID_FETCH=after_select(b'* 1 FETCH (BODYSTRUCTURE ' + b'(' * 500 + b'\r\n'))
    fetch(run, prog, srv, rc=3, says='nesting too deep')


def case_exists_backwards(run, prog):
    srv = Hostile(run, UID_FETCH=after_select(b'* 3 EXISTS\r\n'))
    out = fetch(run, prog, srv, rc=3, says='mailbox state')
    expect('EXISTS going down' in out, out)


def case_bye_in_literal(run, prog):
    """"* BYE" inside a literal is message data; then the server closes:
    the incomplete message is not stored."""
    srv = Hostile(run, UID_FETCH=after_select(
        b'* 1 FETCH (UID 1 FLAGS () BODY[] {100}\r\n* BYE going away\r\n'))
    fetch(run, prog, srv, rc=3, says='end of stream')
    expect(stored(run) == [], 'stored %r' % stored(run))


def case_endless_line(run, prog):
    """A line that never ends: refused at the line limit, not buffered."""
    def answer(c, tag):
        c.sendall(b'* SEARCH')
        for _ in range(64):
            c.sendall(b' 1' * 32768)
        return 'close'
    srv = Hostile(run, UID_FETCH=answer)
    fetch(run, prog, srv, rc=3, says='line longer than its limit')


CASES = {
    'starttls_injection': case_starttls_injection,
    'preauth_tls_required': case_preauth_tls_required,
    'tag_never_sent': case_tag_never_sent,
    'completion_twice': case_completion_twice,
    'literal_flood': case_literal_flood,
    'literal_count': case_literal_count,
    'literal_2e63': case_literal_2e63,
    'deep_nesting': case_deep_nesting,
    'exists_backwards': case_exists_backwards,
    'bye_in_literal': case_bye_in_literal,
    'endless_line': case_endless_line,
}

if __name__ == '__main__':
    iop.main(CASES, 1, '/path/to/mailproto-imap-fetch')
