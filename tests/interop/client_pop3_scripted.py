#!/usr/bin/python3
"""Our POP3 client (mailproto-pop3-fetch) against a scripted hostile POP3
server in Python (issue 9 item 5, security regressions), and against the
server behaviours real servers do not show on demand:

 - bytes after the +OK to STLS, in the same write: the run ends (exit 4)
   before any credential crosses the connection;
 - a UIDL value with a space, one over 70 octets: refused (exit 3), nothing
   fetched;
 - an endless multi-line answer: refused at --max-size (exit 3), nothing
   stored, the run ends at once;
 - an answer written before its command could have been read (the CAPA
   answer with the greeting): refused (exit 3);
 - a -ERR greeting, a RETR refused with [SYS/TEMP], a QUIT refused;
 - a server without UIDL: messages identified by their content, stored
   once over several runs.

usage: client_pop3_scripted.py /path/to/mailproto-pop3-fetch [CASE...]
"""

import os
import socket
import threading

import iop
from iop import expect, read
from peers import maildir_files

USER, PASSWORD = 'alice', 'S3cret-pass'

MSGS = [
    b'Subject: one\r\n\r\n.dot line\r\nend\r\n',
    b'Subject: two\r\n\r\n\xc3\xa9t\xc3\xa9\r\n.\r\n',
    b'Subject: three\r\n\r\nthree\r\n',
]


def stuffed(msg):
    return b''.join((b'.' + l if l.startswith(b'.') else l)
                    for l in msg.splitlines(True)) + b'.\r\n'


class ScriptedPop3:
    """A POP3 server in a thread, one connection at a time, that answers
    like a plain RFC 1939 server with CAPA, UIDL and PIPELINING, except
    where the case's `hooks` (verb -> function(conn, arg) returning True
    when it answered) say otherwise.  Records every command line."""

    def __init__(self, run, hooks=None, capa=(b'UIDL', b'USER', b'PIPELINING', b'TOP'),
                 greeting=b'+OK scripted ready\r\n', msgs=MSGS):
        self.hooks = hooks or {}
        self.capa = capa
        self.greeting = greeting
        self.msgs = list(msgs)
        self.commands = []
        self.deleted = set()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        run.at_exit(self.close)

    def close(self):
        self.stop = True
        self.sock.close()

    def _serve(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            c.settimeout(15)
            try:
                self._session(c)
            except OSError:
                pass
            finally:
                c.close()

    def _session(self, c):
        buf = b''
        marked = set()
        c.sendall(self.greeting)
        if not self.greeting.startswith(b'+OK'):
            return
        while True:
            while b'\r\n' not in buf:
                data = c.recv(4096)
                if not data:
                    return
                buf += data
            line, buf = buf.split(b'\r\n', 1)
            self.commands.append(line.decode(errors='replace'))
            verb, _, arg = line.partition(b' ')
            verb = verb.upper().decode(errors='replace')
            hook = self.hooks.get(verb)
            if hook is not None and hook(c, arg):
                if verb == 'QUIT':
                    return
                continue
            live = [i for i in range(len(self.msgs)) if i not in self.deleted]
            if verb == 'CAPA':
                c.sendall(b'+OK\r\n' + b''.join(l + b'\r\n' for l in self.capa) + b'.\r\n')
            elif verb in ('USER', 'NOOP', 'RSET'):
                c.sendall(b'+OK\r\n')
            elif verb == 'PASS':
                c.sendall(b'+OK logged in\r\n' if arg == PASSWORD.encode()
                          else b'-ERR [AUTH] wrong\r\n')
            elif verb == 'STAT':
                c.sendall(b'+OK %d %d\r\n' % (len(live), sum(len(self.msgs[i]) for i in live)))
            elif verb == 'UIDL' and b'UIDL' in self.capa:
                c.sendall(b'+OK\r\n' + b''.join(b'%d uid-%d\r\n' % (i + 1, i + 1) for i in live)
                          + b'.\r\n')
            elif verb == 'RETR':
                c.sendall(b'+OK\r\n' + stuffed(self.msgs[int(arg) - 1]))
            elif verb == 'DELE':
                marked.add(int(arg) - 1)
                c.sendall(b'+OK marked\r\n')
            elif verb == 'QUIT':
                self.deleted |= marked
                c.sendall(b'+OK bye\r\n')
                return
            else:
                c.sendall(b'-ERR unknown command\r\n')


def fetch(run, prog, srv, md, *args, ok=(0,)):
    argv = [prog, '--server', '127.0.0.1:%d' % srv.port, '--user', USER, '--pass', PASSWORD,
            '--maildir', md, '--auth-cleartext', '--verbose', '--timeout', '10'] + list(args)
    if '--starttls' in args:
        argv += ['--cafile', iop.CERT]
    r = run.cmd(argv, ok=ok, name='fetch')
    return r.stdout.decode(errors='replace')


def stored(md):
    return sorted(read(f) for f in maildir_files(md))


def lf(msg):
    return msg.replace(b'\r\n', b'\n')


def nothing_stored(md):
    expect(stored(md) == [], 'messages stored: %r' % stored(md))
    tmp = os.path.join(md, 'tmp')
    expect(not os.path.isdir(tmp) or os.listdir(tmp) == [], 'files left in tmp/')


# ------------------------------------------------------------ cases

def case_stls_injection(run, prog):
    """The +OK to STLS and a forged answer in one write: exit 4, and
    nothing after STLS was sent in clear (no credentials)."""
    def stls(c, arg):
        c.sendall(b'+OK Begin TLS negotiation\r\n+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n')
        return True
    srv = ScriptedPop3(run, {'STLS': stls}, capa=(b'STLS', b'USER', b'UIDL'))
    md = run.path('Maildir')
    r = run.cmd([prog, '--server', '127.0.0.1:%d' % srv.port, '--user', USER, '--pass',
                 PASSWORD, '--maildir', md, '--starttls', '--cafile', iop.CERT],
                ok=None, name='fetch')
    out = r.stdout.decode(errors='replace')
    if r.returncode == 2 and 'built without TLS' in out:
        raise iop.Skip('built without TLS')
    expect(r.returncode == 4, 'exit %d:\n%s' % (r.returncode, out))
    expect('plaintext bytes after a transport switch' in out, out)
    expect(srv.commands == ['CAPA', 'STLS'], 'commands sent: %r' % srv.commands)
    nothing_stored(md)


def case_uidl_space(run, prog):
    def uidl(c, arg):
        c.sendall(b'+OK\r\n1 uid-1\r\n2 uid two\r\n3 uid-3\r\n.\r\n')
        return True
    srv = ScriptedPop3(run, {'UIDL': uidl})
    md = run.path('Maildir')
    out = fetch(run, prog, srv, md, ok=(3,))
    expect('unique-id' in out, out)
    expect(not any(c.startswith('RETR') for c in srv.commands), srv.commands)
    nothing_stored(md)


def case_uidl_too_long(run, prog):
    def uidl(c, arg):
        c.sendall(b'+OK\r\n1 ' + b'u' * 71 + b'\r\n.\r\n')
        return True
    srv = ScriptedPop3(run, {'UIDL': uidl})
    md = run.path('Maildir')
    out = fetch(run, prog, srv, md, ok=(3,))
    expect('unique-id' in out, out)
    nothing_stored(md)


def case_endless_answer(run, prog):
    """RETR answered by a body that never ends: the run stops at
    --max-size, nothing of it stored."""
    def retr(c, arg):
        c.sendall(b'+OK\r\n')
        line = b'x' * 78 + b'\r\n'
        try:
            while True:
                c.sendall(line * 1000)
        except OSError:
            return True
    srv = ScriptedPop3(run, {'RETR': retr})
    md = run.path('Maildir')
    out = fetch(run, prog, srv, md, '--max-size', '1000000', ok=(3,))
    expect('above the host\'s limit' in out, out)
    nothing_stored(md)


def case_answer_before_command(run, prog):
    """The answer to CAPA written with the greeting, before the client
    could send CAPA: refused."""
    srv = ScriptedPop3(run, greeting=b'+OK ready\r\n+OK\r\nUSER\r\n.\r\n')
    md = run.path('Maildir')
    out = fetch(run, prog, srv, md, ok=(3,))
    expect('before its command was sent' in out, out)
    expect(not any(c.startswith(('USER', 'PASS')) for c in srv.commands), srv.commands)


def case_greeting_refused(run, prog):
    srv = ScriptedPop3(run, greeting=b'-ERR [IN-USE] maildrop busy\r\n')
    md = run.path('Maildir')
    out = fetch(run, prog, srv, md, ok=(3,))
    expect('refused the session' in out, out)


def case_retr_refused(run, prog):
    """One RETR refused with [SYS/TEMP]: the others are stored, exit 1, and
    a second run fetches the refused one."""
    refused = []

    def retr(c, arg):
        if arg == b'2' and not refused:
            refused.append(1)
            c.sendall(b'-ERR [SYS/TEMP] try later\r\n')
            return True
        return False
    srv = ScriptedPop3(run, {'RETR': retr})
    md = run.path('Maildir')
    out = fetch(run, prog, srv, md, ok=(1,))
    expect('refused' in out, out)
    expect(stored(md) == sorted(lf(MSGS[i]) for i in (0, 2)), 'stored: %r' % stored(md))
    fetch(run, prog, srv, md)
    expect(stored(md) == sorted(lf(m) for m in MSGS), 'stored: %r' % stored(md))


def case_quit_refused(run, prog):
    """--delete and QUIT refused (RFC 1939 §6: deletions not committed):
    exit 1; the messages are stored, and stored once after a second run."""
    refusals = []

    def quit(c, arg):
        if refusals:
            return False
        refusals.append(1)
        c.sendall(b'-ERR some deleted messages not removed\r\n')
        return True
    srv = ScriptedPop3(run, {'QUIT': quit})
    md = run.path('Maildir')
    out = fetch(run, prog, srv, md, '--delete', ok=(1,))
    expect('QUIT refused' in out, out)
    fetch(run, prog, srv, md, '--delete')
    expect(stored(md) == sorted(lf(m) for m in MSGS), 'stored: %r' % stored(md))
    expect(srv.deleted == {0, 1, 2}, 'deleted on the server: %r' % srv.deleted)


def case_no_uidl(run, prog):
    """A server without UIDL (no capability, the command refused): every
    message downloaded, stored once by its content; a second run with
    --keep stores nothing."""
    srv = ScriptedPop3(run, capa=(b'USER',))
    md = run.path('Maildir')
    fetch(run, prog, srv, md, '--keep')
    expect(stored(md) == sorted(lf(m) for m in MSGS), 'stored: %r' % stored(md))
    out = fetch(run, prog, srv, md, '--keep')
    expect('0 stored, 3 already here' in out, out)
    expect(stored(md) == sorted(lf(m) for m in MSGS), 'stored twice')
    expect('UIDL' not in srv.commands and srv.commands.count('STAT') == 2, srv.commands)


CASES = {
    'stls_injection': case_stls_injection,
    'uidl_space': case_uidl_space,
    'uidl_too_long': case_uidl_too_long,
    'endless_answer': case_endless_answer,
    'answer_before_command': case_answer_before_command,
    'greeting_refused': case_greeting_refused,
    'retr_refused': case_retr_refused,
    'quit_refused': case_quit_refused,
    'no_uidl': case_no_uidl,
}

if __name__ == '__main__':
    iop.main(CASES, 1, 'mailproto-pop3-fetch')
