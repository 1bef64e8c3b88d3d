#!/usr/bin/python3
"""Our SMTP/LMTP server (mailproto-smtpd) against Python's smtplib.

usage: server_python.py /path/to/mailproto-smtpd [CASE...]
"""

import os
import signal
import smtplib
import socket
import ssl
import struct
import time

import iop
from iop import Fail, expect, log, message, sha256
from peers import Smtpd, check_stored, field_values, maildir_files, stored_copies

FROM = 'alice@example.org'
RCPTS = ['bob@example.net', 'carol@example.net', 'dave@example.com']
USERS = {'alice': 'S3cret-pass'}
TIMEOUT = 30


def insecure():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def connect(srv, lmtp=False, tls=False):
    if tls:
        return smtplib.SMTP_SSL('127.0.0.1', srv.port, local_hostname='client.interop.test',
                                timeout=TIMEOUT, context=insecure())
    if lmtp:
        s = smtplib.LMTP('127.0.0.1', srv.port, timeout=TIMEOUT)
    else:
        s = smtplib.SMTP('127.0.0.1', srv.port, local_hostname='client.interop.test',
                         timeout=TIMEOUT)
    return s


def check(srv, msg, rcpts):
    for data in stored_copies(srv.box, rcpts):
        check_stored(data, msg)
    srv.alive()


def case_multi_rcpt(run, prog):
    srv = Smtpd(run, prog)
    msg = message('plain.eml')
    with connect(srv) as s:
        refused = s.sendmail(FROM, RCPTS, msg)
        expect(refused == {}, 'refused recipients: %r' % refused)
    check(srv, msg, RCPTS)


def _auth(run, prog, mech):
    srv = Smtpd(run, prog, tls=True, passwd=USERS)
    msg = message('plain.eml')
    user, password = next(iter(USERS.items()))
    with connect(srv) as s:
        s.starttls(context=insecure())
        s.ehlo()
        offered = s.esmtp_features.get('auth', '').upper().split()
        expect(mech in offered, 'AUTH %s not offered after STARTTLS: %r' % (mech, offered))
        s.user, s.password = user, password
        code, text = s.auth(mech, getattr(s, 'auth_' + mech.lower().replace('-', '_')),
                            initial_response_ok=(mech == 'PLAIN'))
        expect(code == 235, 'AUTH %s: %d %r' % (mech, code, text))
        s.sendmail(FROM, RCPTS[:1], msg)
    check(srv, msg, RCPTS[:1])


def case_starttls_auth_plain(run, prog):
    _auth(run, prog, 'PLAIN')


def case_starttls_auth_login(run, prog):
    """AUTH LOGIN without initial response: two 334 challenges."""
    _auth(run, prog, 'LOGIN')


def case_implicit_tls_auth(run, prog):
    """SMTP_SSL to --implicit-tls: AUTH offered at once, PLAIN accepted."""
    srv = Smtpd(run, prog, implicit_tls=True, passwd=USERS)
    msg = message('dots.eml')
    user, password = next(iter(USERS.items()))
    with connect(srv, tls=True) as s:
        s.ehlo()
        expect('PLAIN' in s.esmtp_features.get('auth', '').upper().split(),
               'AUTH PLAIN not offered over implicit TLS')
        s.login(user, password)
        s.sendmail(FROM, RCPTS, msg)
    check(srv, msg, RCPTS)


def case_starttls_auth_cram_md5(run, prog):
    _auth(run, prog, 'CRAM-MD5')


def case_auth_needs_tls(run, prog):
    """AUTH is offered only after STARTTLS; AUTH in cleartext is refused."""
    srv = Smtpd(run, prog, tls=True, passwd=USERS)
    with connect(srv) as s:
        s.ehlo()
        expect('starttls' in s.esmtp_features, 'STARTTLS not offered')
        expect('auth' not in s.esmtp_features, 'AUTH offered in cleartext: %r'
               % s.esmtp_features.get('auth'))
        code, text = s.docmd('AUTH', 'PLAIN AGFsaWNlAFMzY3JldC1wYXNz')
        expect(500 <= code < 600, 'cleartext AUTH answered %d %r' % (code, text))
        code, _ = s.noop()
        expect(code == 250, 'session unusable after the refused AUTH')
    srv.alive()


def big_message(size):
    """A message of about size bytes: 76-character lines, some starting with '.'."""
    head = crlf_text('From: alice@example.org\nTo: bob@example.net\n'
                     'Subject: big message\nMessage-ID: <big.1@example.org>\n\n')
    line = b'%08d ' + b'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ+/=-' + b'\r\n'
    out = [head]
    n = 0
    total = len(head)
    while total < size:
        ln = line % n
        if n % 97 == 0:
            ln = b'.' + ln
        out.append(ln)
        total += len(ln)
        n += 1
    return b''.join(out)


def crlf_text(s):
    return s.replace('\n', '\r\n').encode()


def case_big_20mb(run, prog):
    """A 20 MB message: the stored body has the sha256 of the sent one."""
    srv = Smtpd(run, prog, max_size=64 * 1024 * 1024)
    msg = big_message(20 * 1000 * 1000)
    t0 = time.monotonic()
    with connect(srv) as s:
        s.sendmail(FROM, RCPTS[:1], msg)
    dt = time.monotonic() - t0
    log('20 MB sent and accepted in %.2fs (%.1f MB/s)' % (dt, len(msg) / dt / 1e6))
    copy, = stored_copies(srv.box, RCPTS[:1])
    check_stored(copy, msg)
    body = copy.replace(b'\r\n', b'\n')
    body = body[body.index(b'\n\n') + 2:]
    want = msg.replace(b'\r\n', b'\n')
    want = want[want.index(b'\n\n') + 2:]
    expect(sha256(body) == sha256(want), 'body sha256 %s, sent %s' % (sha256(body), sha256(want)))
    srv.alive()


def case_rejected_rcpt(run, prog):
    """A malformed recipient gets 5xx, the others are accepted, the
    message is stored for them and the session goes on."""
    srv = Smtpd(run, prog)
    msg = message('plain.eml')
    with connect(srv) as s:
        s.ehlo()
        code, text = s.mail(FROM)
        expect(code == 250, 'MAIL: %d %r' % (code, text))
        code, text = s.rcpt(RCPTS[0])
        expect(code == 250, 'RCPT: %d %r' % (code, text))
        code, text = s.docmd('RCPT', 'TO:<bad address@example.net>')
        expect(500 <= code < 600, 'malformed RCPT answered %d %r' % (code, text))
        code, text = s.data(msg)
        expect(code == 250, 'DATA: %d %r' % (code, text))
        code, _ = s.noop()
        expect(code == 250, 'session unusable after the transaction')
    check(srv, msg, RCPTS[:1])


def case_max_size(run, prog):
    """--max-size: a bigger message gets 552 (at MAIL with SIZE=, or after
    the data); a small one on the same connection is then stored."""
    limit = 100000
    srv = Smtpd(run, prog, max_size=limit)
    big = big_message(3 * limit)
    small = message('plain.eml')
    with connect(srv) as s:
        s.ehlo()
        size = s.esmtp_features.get('size')
        expect(size == str(limit), 'EHLO SIZE %r, expected %d' % (size, limit))
        try:
            s.sendmail(FROM, RCPTS[:1], big)
            raise Fail('a %d-byte message was accepted with --max-size %d' % (len(big), limit))
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as e:
            expect(e.smtp_code == 552, 'over-size message answered %d %r'
                   % (e.smtp_code, e.smtp_error))
        # The same over-size message without SIZE=: the server must read
        # to the end of the data and then answer 552.
        code, text = s.mail(FROM)
        expect(code == 250, 'MAIL after the refusal: %d %r' % (code, text))
        s.rcpt(RCPTS[0])
        code, text = s.data(big)
        expect(code == 552, 'over-size DATA answered %d %r' % (code, text))
        s.sendmail(FROM, RCPTS[:1], small)
    check(srv, small, RCPTS[:1])


def case_lmtp(run, prog):
    """LMTP (RFC 2033): LHLO, then one reply per accepted recipient after the data."""
    srv = Smtpd(run, prog, lmtp=True)
    msg = message('plain.eml')
    with connect(srv, lmtp=True) as s:
        code, text = s.ehlo('client.interop.test')   # smtplib.LMTP sends LHLO
        expect(code == 250, 'LHLO: %d %r' % (code, text))
        expect(s.mail(FROM)[0] == 250, 'MAIL refused')
        for r in RCPTS:
            code, text = s.rcpt(r)
            expect(code == 250, 'RCPT %s: %d %r' % (r, code, text))
        replies = [s.data(msg)]
        for _ in RCPTS[1:]:
            replies.append(s.getreply())
        expect([c for c, _ in replies] == [250] * len(RCPTS),
               'per-recipient replies %r' % replies)
        code, _ = s.noop()
        expect(code == 250, 'NOOP after the data got %d: replies out of step' % code)
    check(srv, msg, RCPTS)


def lmtp_send(s, rcpts, msg):
    """MAIL (no SIZE=), RCPT for each, DATA: the codes of the end-of-data
    replies, one per recipient (smtplib's data() reads the first)."""
    code, text = s.mail(FROM)
    expect(code == 250, 'MAIL: %d %r' % (code, text))
    for r in rcpts:
        code, text = s.rcpt(r)
        expect(code == 250, 'RCPT %s: %d %r' % (r, code, text))
    codes = [s.data(msg)[0]]
    codes += [s.getreply()[0] for _ in rcpts[1:]]
    return codes


def case_lmtp_refused_then_next(run, prog):
    """LMTP (RFC 2033 4.2): a message refused at the end of its data (over
    --max-size, for 3 and for 100 recipients; a bare LF) gets exactly one
    reply per accepted recipient, so a NOOP sent next gets its own 250 and
    the next message on the same connection is delivered."""
    limit = 20000
    srv = Smtpd(run, prog, lmtp=True, max_size=limit)
    big = big_message(3 * limit)
    msg = message('plain.eml')
    many = ['user%03d@example.net' % i for i in range(100)]
    with connect(srv, lmtp=True) as s:
        code, text = s.ehlo('client.interop.test')
        expect(code == 250, 'LHLO: %d %r' % (code, text))
        for rcpts in (RCPTS, many):
            codes = lmtp_send(s, rcpts, big)
            expect(codes == [552] * len(rcpts), 'over-size message to %d recipients: %r'
                   % (len(rcpts), codes))
            code, text = s.noop()
            expect(code == 250, 'NOOP after the refusal got %d %r: replies out of step'
                   % (code, text))
        # A bare LF in the body (smtplib would fix it): by hand.
        expect(s.mail(FROM)[0] == 250, 'MAIL refused')
        for r in RCPTS:
            expect(s.rcpt(r)[0] == 250, 'RCPT refused')
        code, text = s.docmd('DATA')
        expect(code == 354, 'DATA: %d %r' % (code, text))
        s.send(b'Subject: poisoned\r\n\r\nbare\nLF\r\n.\r\n')
        codes = [s.getreply()[0] for _ in RCPTS]
        expect(codes == [550] * len(RCPTS), 'poisoned message: %r' % codes)
        code, text = s.noop()
        expect(code == 250, 'NOOP after the poisoned message got %d %r' % (code, text))
        codes = lmtp_send(s, RCPTS, msg)
        expect(codes == [250] * len(RCPTS), 'the next message: %r' % codes)
        code, _ = s.noop()
        expect(code == 250, 'NOOP after the next message got %d' % code)
    check(srv, msg, RCPTS)


def case_many_recipients(run, prog):
    """100 recipients with 64-octet local parts, then 1001 (past the
    session's default limit of 1000: the last gets 452 4.5.3), in SMTP and
    LMTP (one reply each): every accepted recipient is recorded
    (X-Original-To) in the stored copy, in order."""
    msg = message('plain.eml')
    for lmtp in (False, True):
        srv = Smtpd(run, prog, lmtp=lmtp)
        what = 'LMTP' if lmtp else 'SMTP'
        for n in (100, 1001):
            rcpts = ['%s@example.net' % ('r%04d' % i).ljust(64, 'x') for i in range(n)]
            accepted = rcpts[:1000]
            with connect(srv, lmtp=lmtp) as s:
                s.ehlo('client.interop.test')
                expect(s.mail(FROM)[0] == 250, 'MAIL refused')
                codes = [s.rcpt(r)[0] for r in rcpts]
                expect(codes == [250] * len(accepted) + [452] * (n - len(accepted)),
                       '%s RCPT codes: %r' % (what, sorted(set(codes))))
                replies = [s.data(msg)[0]]
                if lmtp:
                    replies += [s.getreply()[0] for _ in accepted[1:]]
                expect(replies == [250] * len(replies), '%s end-of-data replies %r'
                       % (what, sorted(set(replies))))
                code, _ = s.noop()
                expect(code == 250, '%s NOOP after the message got %d' % (what, code))
            copy, = stored_copies(srv.box, ['one'])
            fields = check_stored(copy, msg)
            recorded = field_values(fields, 'x-original-to')
            expect(recorded == ['<%s>' % r for r in accepted],
                   '%s: %d recipients accepted, %d recorded (first missing: %r)'
                   % (what, len(accepted), len(recorded),
                      next((r for r in accepted if '<%s>' % r not in recorded), None)))
            log('%s: %d recipients accepted, all recorded' % (what, len(accepted)))
            for f in maildir_files(srv.box):
                os.remove(f)
        srv.alive()


def case_two_transactions(run, prog):
    """Two messages on one connection (RSET in between): both stored."""
    srv = Smtpd(run, prog)
    msgs = [message('plain.eml'), message('dots.eml')]
    with connect(srv) as s:
        s.sendmail(FROM, RCPTS[:1], msgs[0])
        s.rset()
        s.sendmail(FROM, RCPTS[1:2], msgs[1])
    time.sleep(0.3)
    files = maildir_files(srv.box)
    expect(len(files) == 2, '%d files stored for two messages: %r' % (len(files), files))
    stored = sorted(iop.read(f) for f in files)
    sizes = sorted(len(x) for x in stored)
    for m in msgs:
        matches = [x for x in stored if x.replace(b'\r\n', b'\n').endswith(m.replace(b'\r\n', b'\n'))]
        expect(len(matches) == 1, 'message %r stored %d times (sizes %r)'
               % (m[:40], len(matches), sizes))
        check_stored(matches[0], m)
    srv.alive()


def case_starttls_injection(run, prog):
    """Bytes pipelined after STARTTLS in the same packet (CVE-2011-0411):
    the server must not answer them in plaintext; they are discarded or
    taken as the start of the TLS handshake.  The server keeps serving."""
    srv = Smtpd(run, prog, tls=True)
    sock = socket.create_connection(('127.0.0.1', srv.port), timeout=TIMEOUT)
    try:
        got = b''
        while b'\r\n' not in got:
            got += sock.recv(4096)
        expect(got.startswith(b'220'), 'greeting %r' % got)
        sock.sendall(b'EHLO client.interop.test\r\n')
        got = b''
        while not (b'\r\n250 ' in b'\r\n' + got and got.endswith(b'\r\n')):
            more = sock.recv(4096)
            expect(more, 'connection closed during EHLO')
            got += more
        sock.sendall(b'STARTTLS\r\nEHLO injected.example\r\n')
        got = b''
        while b'\r\n' not in got:
            more = sock.recv(4096)
            expect(more, 'connection closed after STARTTLS')
            got += more
        line, _, rest = got.partition(b'\r\n')
        expect(line.startswith(b'220'), 'STARTTLS answered %r' % line)
        sock.settimeout(1.5)
        try:
            rest += sock.recv(4096)
        except socket.timeout:
            pass
        log('after the 220: %r' % rest[:80])
        expect(not rest[:1].isdigit(), 'the injected command was answered in plaintext: %r'
               % rest[:80])
        try:
            sock.settimeout(TIMEOUT)
            tls = insecure().wrap_socket(sock, server_hostname='localhost')
        except (ssl.SSLError, OSError) as e:
            log('TLS handshake after the injected bytes failed (acceptable): %r' % e)
        else:
            tls.sendall(b'EHLO client.interop.test\r\n')
            got = b''
            while not (b'\r\n250 ' in b'\r\n' + got and got.endswith(b'\r\n')):
                more = tls.recv(4096)
                expect(more, 'TLS connection closed during EHLO')
                got += more
            expect(got.count(b'\r\n250 ') + got.startswith(b'250 ') == 1,
                   'more than one EHLO reply inside TLS: %r' % got)
            tls.close()
    finally:
        sock.close()
    # The server still works.
    msg = message('plain.eml')
    with connect(srv) as s:
        s.starttls(context=insecure())
        s.sendmail(FROM, RCPTS[:1], msg)
    check(srv, msg, RCPTS[:1])


class Raw:
    """A plain socket speaking SMTP by hand, for what smtplib will not send."""

    def __init__(self, port):
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=TIMEOUT)
        self.buf = b''

    def reply(self):
        """One reply (all its lines); [] when the server closed."""
        lines = []
        while True:
            while b'\r\n' not in self.buf:
                try:
                    more = self.sock.recv(4096)
                except ConnectionResetError:  # closed with our bytes unread
                    more = b''
                if not more:
                    return lines
                self.buf += more
            ln, _, self.buf = self.buf.partition(b'\r\n')
            lines.append(ln)
            if ln[3:4] != b'-':
                return lines

    def closed_within(self, seconds):
        """True if the server closes within seconds (replies before are read)."""
        self.sock.settimeout(seconds)
        try:
            while self.reply():
                pass
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()

    def tls(self):
        """Start TLS (after STARTTLS, or at once for implicit TLS)."""
        self.sock = strict_tls().wrap_socket(self.sock, suppress_ragged_eofs=False)
        self.buf = b''

    def cmd(self, line, code):
        """Send a command line; its reply must have the code."""
        self.sock.sendall(line + b'\r\n')
        r = self.reply()
        expect(r and r[0][:3] == code, '%r answered %r, expected %r' % (line, r, code))
        return r

    def end(self):
        """Under TLS: how the server ended the connection after its last
        reply ('close_notify', or what it did instead)."""
        try:
            d = self.sock.recv(4096)
        except ssl.SSLEOFError:
            return 'no close_notify'
        except ssl.SSLError as e:
            return 'no close_notify' if 'EOF' in str(e).upper() else 'TLS error %s' % e
        return 'close_notify' if d == b'' else 'more bytes %r' % d


def case_http_verb(run, prog):
    """An HTTP request on the SMTP port (cross-protocol attack): the server
    closes the connection (docs/security.md) and keeps serving others."""
    srv = Smtpd(run, prog)
    raw = Raw(srv.port)
    try:
        expect(raw.reply()[0].startswith(b'220'), 'no greeting')
        raw.sock.sendall(b'POST /cgi-bin/x HTTP/1.1\r\nHost: 127.0.0.1\r\n'
                         b'Content-Length: 40\r\n\r\nMAIL FROM:<a@example.org>\r\n')
        expect(raw.closed_within(5), 'connection still open after an HTTP request')
    finally:
        raw.close()
    with connect(srv) as s:
        expect(s.noop()[0] == 250, 'server unusable after the HTTP request')
    srv.alive()


def case_error_limit(run, prog):
    """Unknown commands get 500 and the session goes on; past the error
    limit the server answers 421 and closes."""
    srv = Smtpd(run, prog)
    raw = Raw(srv.port)
    codes = []
    try:
        expect(raw.reply()[0].startswith(b'220'), 'no greeting')
        raw.sock.sendall(b'EHLO client.interop.test\r\n')
        raw.reply()
        for i in range(40):
            raw.sock.sendall(b'XYZZY%d\r\n' % i)
            r = raw.reply()
            if not r:
                break
            codes.append(int(r[-1][:3]))
            if codes[-1] == 421:
                break
        log('replies to bad commands: %r' % codes)
        expect(codes and codes[0] == 500, 'unknown command answered %r' % codes[:1])
        expect(421 in codes, 'no 421 after %d bad commands: %r' % (len(codes), codes))
        expect(raw.closed_within(5), 'connection still open after 421')
    finally:
        raw.close()
    srv.alive()


def case_bdat(run, prog):
    """CHUNKING (RFC 3030) by hand (no client at hand sends BDAT): the
    message in three chunks, split inside a line and inside a CRLF, lines
    starting with '.' not unstuffed, then BDAT 0 LAST; stored unchanged."""
    srv = Smtpd(run, prog)
    msg = message('dots.eml')
    raw = Raw(srv.port)
    try:
        expect(raw.reply()[0].startswith(b'220'), 'no greeting')
        raw.sock.sendall(b'EHLO client.interop.test\r\n')
        ehlo = b'\n'.join(raw.reply()).upper()
        expect(b'CHUNKING' in ehlo, 'CHUNKING not offered')
        a, b = 37, msg.index(b'\r\n', 120) + 1   # mid-line, then between CR and LF
        chunks = [msg[:a], msg[a:b], msg[b:]]
        raw.sock.sendall(b'MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\n')
        expect(raw.reply()[0][:1] == b'2' and raw.reply()[0][:1] == b'2', 'MAIL/RCPT refused')
        for c in chunks:
            raw.sock.sendall(b'BDAT %d\r\n' % len(c) + c)
            r = raw.reply()
            expect(r and r[0][:3] == b'250', 'BDAT %d answered %r' % (len(c), r))
        raw.sock.sendall(b'BDAT 0 LAST\r\n')
        r = raw.reply()
        expect(r and r[0][:3] == b'250', 'BDAT 0 LAST answered %r' % r)
        raw.sock.sendall(b'QUIT\r\n')
        raw.reply()
    finally:
        raw.close()
    check(srv, msg, RCPTS[:1])


def data_segments_in(sock):
    """TCP segments with data this socket has received (Linux TCP_INFO
    tcpi_data_segs_in, RFC 4898 tcpEStatsDataSegsIn, at offset 152 since
    Linux 4.6).  On 127.0.0.1 one send() of a few KB is one segment, and
    two sends are never merged into one (Nagle holds back, never joins
    with what already went out)."""
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    if len(info) < 156:
        raise iop.Skip('TCP_INFO without tcpi_data_segs_in (Linux < 4.6)')
    return struct.unpack_from('=I', info, 152)[0]


def case_pipelining_one_write(run, prog):
    """RFC 2920: the replies to one pipelined group go out in one write.
    The group (MAIL, 40 RCPT with long addresses, DATA: 10 KB, more than
    the server reads at once) is sent one command per write while the
    server is stopped, so all of it is at hand when it reads; all 42
    replies must arrive in one TCP segment (before: two, one per read).
    Then the message is sent and stored."""
    srv = Smtpd(run, prog)
    msg = message('plain.eml')
    domain = '.'.join(c * 60 for c in 'abc') + '.example'
    rcpts = ['r%02d%s@%s' % (i, 'x' * 57, domain) for i in range(40)]
    group = ([b'MAIL FROM:<%s>\r\n' % FROM.encode()] +
             [b'RCPT TO:<%s>\r\n' % r.encode() for r in rcpts] + [b'DATA\r\n'])
    expect(sum(map(len, group)) > 10000, 'the group must exceed the server\'s 8 KiB reads')
    raw = Raw(srv.port)
    try:
        expect(raw.reply()[0].startswith(b'220'), 'no greeting')
        raw.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        raw.sock.sendall(b'EHLO client.interop.test\r\n')
        expect(b'PIPELINING' in b'\n'.join(raw.reply()).upper(), 'PIPELINING not offered')
        segs = data_segments_in(raw.sock)
        os.kill(srv.proc.pid, signal.SIGSTOP)
        try:
            for cmd in group:
                raw.sock.sendall(cmd)
            time.sleep(0.5)  # every byte in the server's socket
        finally:
            os.kill(srv.proc.pid, signal.SIGCONT)
        replies = [raw.reply() for _ in group]
        codes = [r[0][:3] if r else b'---' for r in replies]
        log('replies: %s' % b' '.join(codes).decode())
        expect(codes[0] == b'250', 'MAIL answered %r' % replies[0])
        # 250, or 452 from a server out of room for more recipients
        accepted = [a for a, c in zip(rcpts, codes[1:-1]) if c == b'250']
        expect(all(c in (b'250', b'452') for c in codes[1:-1]) and accepted,
               'RCPT answered %r' % codes[1:-1])
        expect(codes[-1] == b'354', 'DATA answered %r' % replies[-1])
        got = data_segments_in(raw.sock) - segs
        expect(got == 1, 'the replies to one pipelined group came in %d TCP segments' % got)
        raw.sock.sendall(msg + b'.\r\n')
        r = raw.reply()
        expect(r and r[0][:3] == b'250', 'end of data answered %r' % r)
        raw.sock.sendall(b'QUIT\r\n')
        raw.reply()
    finally:
        raw.close()
    for data in stored_copies(srv.box, accepted):
        check_stored(data, msg)
    srv.alive()


def smuggle(raw, after):
    """Open a transaction, then send in one piece a body with a bare-LF
    end-of-data lookalike, a forged transaction, the real CRLF.CRLF and
    `after` (what the client pipelines behind it).  The reply to the body."""
    expect(raw.reply()[0].startswith(b'220'), 'no greeting')
    raw.sock.sendall(b'EHLO client.interop.test\r\n')
    raw.reply()
    for cmd in (b'MAIL FROM:<alice@example.org>\r\n', b'RCPT TO:<bob@example.net>\r\n',
                b'DATA\r\n'):
        raw.sock.sendall(cmd)
        r = raw.reply()
        expect(r and r[0][:1] in (b'2', b'3'), '%r answered %r' % (cmd, r))
    raw.sock.sendall(b'Subject: first\r\n\r\nbody\n.\nMAIL FROM:<admin@example.org>\r\n'
                     b'RCPT TO:<bob@example.net>\r\nDATA\r\nSubject: forged\r\n\r\n'
                     b'forged\r\n.\r\n' + after)
    r = raw.reply()
    log('reply to the poisoned data: %r' % r)
    expect(r and r[0][:3] == b'550', 'poisoned data answered %r, expected 550' % r)
    return r


NEXT = (b'MAIL FROM:<alice@example.org>\r\nRCPT TO:<carol@example.net>\r\nDATA\r\n')


def case_smuggling(run, prog):
    """SMTP smuggling (docs/security.md): a bare-LF end-of-data lookalike
    followed by a forged transaction, the real CRLF.CRLF and, in the same
    packet, the client's next transaction.  The data must not end early:
    550 at the real end, the forged commands never answered; the session
    goes on (RFC 5321 3.8): the pipelined transaction is answered and its
    message stored, nothing else."""
    srv = Smtpd(run, prog)
    msg = message('plain.eml')
    raw = Raw(srv.port)
    try:
        smuggle(raw, NEXT)
        codes = [raw.reply()[0][:3] for _ in range(3)]
        expect(codes == [b'250', b'250', b'354'],
               'the transaction pipelined after the real end answered %r '
               '(forged commands executed?)' % codes)
        raw.sock.sendall(msg + b'.\r\nQUIT\r\n')
        r = raw.reply()
        expect(r and r[0][:3] == b'250', 'the next message answered %r' % r)
        r = raw.reply()
        expect(r and r[0][:3] == b'221', 'QUIT answered %r' % r)
    finally:
        raw.close()
    copy, = stored_copies(srv.box, ['carol@example.net'])
    check_stored(copy, msg)
    expect(b'forged' not in copy, 'the forged message was stored')
    srv.alive()


def case_smuggling_close(run, prog):
    """--close-on-poison (Postfix's smtpd_forbid_bare_newline): the same
    smuggling attempt gets 550 at the real end, then 421 and the close;
    the transaction pipelined behind is never executed, nothing stored."""
    srv = Smtpd(run, prog, extra=['--close-on-poison'])
    raw = Raw(srv.port)
    try:
        smuggle(raw, NEXT)
        r = raw.reply()
        expect(r and r[0][:4] == b'421 ', 'after the 550: %r, expected 421' % r)
        raw.sock.settimeout(5)
        rest = []
        try:
            while True:
                r = raw.reply()
                if not r:
                    break
                rest.append(r)
        except socket.timeout:
            raise Fail('connection still open after the 421; then %r' % rest)
        expect(rest == [], 'replies after the 421 (pipelined commands executed?): %r' % rest)
    finally:
        raw.close()
    time.sleep(0.3)
    expect(maildir_files(srv.box) == [], 'stored: %r' % maildir_files(srv.box))
    srv.alive()


# ------------------------------------------------------------ how TLS sessions end
# Issue 13 item 4: the server closes a TLS connection with close_notify,
# after QUIT and when it shuts down; a client that reads on after the last
# reply sees a clean end (b''), not a TCP close without it (SSLEOFError).

def strict_tls():
    """A client context that reports a TCP close without close_notify
    (Python ignores it by default)."""
    ctx = insecure()
    ctx.options &= ~getattr(ssl, 'OP_IGNORE_UNEXPECTED_EOF', 0)
    return ctx


def tls_session(srv, implicit=False):
    c = Raw(srv.port)
    if implicit:
        c.tls()
    r = c.reply()
    expect(r and r[0][:3] == b'220', 'no greeting: %r' % r)
    if not implicit:
        c.cmd(b'EHLO client.interop.test', b'250')
        c.cmd(b'STARTTLS', b'220')
        c.tls()
    c.cmd(b'EHLO client.interop.test', b'250')
    return c


def case_tls_quit_close_notify(run, prog):
    """QUIT under STARTTLS and under implicit TLS: 221, then close_notify;
    a client that closes TLS without QUIT gets close_notify back."""
    for implicit in (False, True):
        srv = Smtpd(run, prog, tls=not implicit, implicit_tls=implicit)
        c = tls_session(srv, implicit)
        c.cmd(b'QUIT', b'221')
        how = c.end()
        expect(how == 'close_notify', 'after 221 (implicit=%s): %s' % (implicit, how))
        srv.alive()
    c = tls_session(srv, implicit=True)
    try:
        c.sock.unwrap()  # sends close_notify, waits for the server's
    except (ssl.SSLError, OSError) as e:
        raise Fail('no close_notify in answer to the client\'s: %r' % e)
    srv.alive()


def case_tls_shutdown_close_notify(run, prog):
    """SIGTERM with a TLS session open: 421, then close_notify (before the
    fix the server closed the socket under the client's TLS)."""
    srv = Smtpd(run, prog, tls=True)
    c = tls_session(srv)
    srv.proc.send_signal(signal.SIGTERM)
    r = c.reply()
    expect(r and r[0].startswith(b'421 '), 'no 421 at shutdown: %r' % r)
    how = c.end()
    expect(how == 'close_notify', 'after the 421: %s' % how)
    expect(srv.proc.wait(10) == 0, 'mailproto-smtpd exited with %s' % srv.proc.returncode)


def case_implicit_tls_busy(run, prog):
    """--implicit-tls with every slot taken: the extra connection is closed
    without a plaintext 421 (bytes that are no TLS record on a TLS port)."""
    srv = Smtpd(run, prog, implicit_tls=True, extra=['--max-conns', '1'])
    first = tls_session(srv, implicit=True)
    extra = socket.create_connection(('127.0.0.1', srv.port), timeout=TIMEOUT)
    got = extra.recv(4096)
    expect(got == b'', 'the extra connection got %r' % got)
    first.cmd(b'QUIT', b'221')
    srv.alive()


CASES = {n[5:]: f for n, f in sorted(globals().items()) if n.startswith('case_')}

if __name__ == '__main__':
    iop.main(CASES, 1, 'MAILPROTO_SMTPD')
