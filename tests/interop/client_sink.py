#!/usr/bin/python3
"""Our SMTP client (mailproto-smtp-send) against Postfix smtp-sink.

smtp-sink (Postfix 3.7) offers PIPELINING, 8BITMIME, DSN, AUTH, XCLIENT,
XFORWARD and an empty EHLO keyword line, but neither CHUNKING nor
SMTPUTF8 (client_postfix.py covers those).

smtp-sink dumps every transaction (envelope as X-*-Args fields, then the
message after dot-unstuffing); each case compares that dump with the sent
message byte for byte and checks the envelope.

usage: client_sink.py /path/to/mailproto-smtp-send [CASE...]
       (the program 'swaks' checks the harness itself)
"""

import os
import time

import iop
from iop import check_delivered, expect, field_values, files_in, message
from peers import HoldProxy, SmtpSink, mp_send, need_client_tls

FROM = 'alice@example.org'
RCPTS = ['bob@example.net', 'carol@example.net', 'dave@example.com']


def deliver(run, prog, msg, rcpts, flags=(), sender=FROM, proxy=False, sent=None, **kw):
    """Send msg through smtp-sink; the dump must equal sent (default msg)."""
    sink = SmtpSink(run, flags)
    port = sink.port
    hold = None
    if proxy:
        hold = HoldProxy(run, sink.port)
        port = hold.port
    mp_send(run, prog, port, sender, rcpts, msg, **kw)
    dump, = files_in(sink.dump, 1, timeout=30)
    fields = check_delivered(dump, msg if sent is None else sent, trace=iop.SINK_TRACE,
                             sink=True, what='smtp-sink dump')
    mail = field_values(fields, 'x-mail-args')
    expect(len(mail) == 1 and mail[0].split()[0] == '<%s>' % sender,
           'MAIL arguments %r, expected <%s>' % (mail, sender))
    got = [a.split()[0] for a in field_values(fields, 'x-rcpt-args')]
    want = ['<%s>' % r for r in rcpts]
    expect(got == want, 'RCPT arguments %r, expected %r' % (got, want))
    return fields, hold


def case_plain(run, prog):
    deliver(run, prog, message('plain.eml'), RCPTS[:1])


def case_multi_rcpt(run, prog):
    deliver(run, prog, message('plain.eml'), RCPTS)


def case_dots(run, prog):
    deliver(run, prog, message('dots.eml'), RCPTS[:1])


def case_pipelining(run, prog):
    """PIPELINING offered (smtp-sink default): MAIL and RCPTs in one round."""
    _, hold = deliver(run, prog, message('plain.eml'), RCPTS, proxy=True)
    expect(hold.pipelined(), 'client did not pipeline although PIPELINING was '
           'offered; rounds: %r' % [r[:80] for r in hold.rounds()])


def case_no_pipelining(run, prog):
    """smtp-sink -p: without PIPELINING the client waits for every reply."""
    _, hold = deliver(run, prog, message('plain.eml'), RCPTS, flags=['-p'], proxy=True)
    expect(hold.lockstep(), 'client pipelined although PIPELINING was not '
           'offered; rounds: %r' % [r[:80] for r in hold.rounds()])


def case_8bitmime(run, prog):
    """An 8-bit body with 8BITMIME offered: the body arrives unchanged and
    MAIL carries BODY=8BITMIME (RFC 6152 §3)."""
    fields, _ = deliver(run, prog, message('utf8.eml'), RCPTS[:1])
    mail = field_values(fields, 'x-mail-args')[0].upper()
    expect('BODY=8BITMIME' in mail, 'MAIL without BODY=8BITMIME for an 8-bit '
           'body: %r' % mail)


def case_helo_fallback(run, prog):
    """smtp-sink -e rejects EHLO (500): the client falls back to HELO
    (RFC 5321 §4.1.4) and still delivers."""
    fields, _ = deliver(run, prog, message('plain.eml'), RCPTS[:2], flags=['-e'])
    proto = field_values(fields, 'x-client-proto')
    expect(proto == ['SMTP'], 'client protocol %r, expected SMTP (HELO)' % proto)


def case_lmtp(run, prog):
    """--lmtp against smtp-sink -L: LHLO, one reply per recipient."""
    fields, _ = deliver(run, prog, message('plain.eml'), RCPTS, flags=['-L'], lmtp=True)
    proto = field_values(fields, 'x-client-proto')
    expect(proto == ['LMTP'], 'client protocol %r, expected LMTP' % proto)


def case_lf_input(run, prog):
    """A message file with LF line ends goes out with CRLF (the client's
    documented normalization) and arrives as the CRLF form."""
    with open(os.path.join(iop.DATA, 'dots.eml'), 'rb') as f:
        lf = f.read()
    deliver(run, prog, lf, RCPTS[:1], sent=iop.crlf(lf))


def case_stdin(run, prog):
    """The message on standard input (no FILE argument)."""
    deliver(run, prog, message('plain.eml'), RCPTS[:1], stdin=True)


def case_big_20mb(run, prog):
    """A 20 MB body through the client's flow control; the dump's sha256
    must be the sent one's."""
    line = b'%08d ' + b'abcdefghijklmnopqrstuvwxyz0123456789' * 2 + b'\r\n'
    body = b''.join((b'.' if n % 97 == 0 else b'') + line % n for n in range(240000))
    msg = message('plain.eml') + body
    t0 = time.monotonic()
    deliver(run, prog, msg, RCPTS[:1])
    iop.log('%.1f MB sent and dumped in %.2fs; sha256 %s'
            % (len(msg) / 1e6, time.monotonic() - t0, iop.sha256(msg)))


def case_rejected_data(run, prog):
    """The message refused at the end of data (smtp-sink -f .): exit status
    non-zero."""
    sink = SmtpSink(run, ['-f', '.'])
    r = mp_send(run, prog, sink.port, FROM, RCPTS[:1], message('plain.eml'), ok=None)
    expect(r.returncode != 0, 'exit status 0 although the message was refused')


def case_421_after_rcpt(run, prog):
    """421 and disconnect after RCPT (smtp-sink -Q RCPT): the client reports
    failure and does not hang."""
    sink = SmtpSink(run, ['-Q', 'RCPT'])
    r = mp_send(run, prog, sink.port, FROM, RCPTS[:2], message('plain.eml'), ok=None)
    expect(r.returncode != 0, 'exit status 0 after a 421')
    expect(files_in(sink.dump, 0) == [], 'something was delivered')


def case_starttls_required(run, prog):
    """--starttls to a server that offers no STARTTLS (smtp-sink): the client
    gives up before any MAIL command goes out in cleartext (docs/security.md)."""
    need_client_tls(prog)
    sink = SmtpSink(run)
    hold = HoldProxy(run, sink.port, hold=0)
    r = mp_send(run, prog, hold.port, FROM, RCPTS[:1], message('plain.eml'), starttls=True,
                ok=None)
    expect(r.returncode != 0, 'exit status 0 without STARTTLS')
    sent = hold.client_bytes().upper()
    expect(b'MAIL FROM' not in sent and b'AUTH' not in sent,
           'commands sent in cleartext although --starttls: %r' % sent)


def case_rejected_rcpt(run, prog):
    """RCPT rejected with 5xx: exit status non-zero, nothing delivered."""
    sink = SmtpSink(run, ['-f', 'RCPT'])
    r = mp_send(run, prog, sink.port, FROM, RCPTS[:1], message('plain.eml'), ok=None)
    expect(r.returncode != 0, 'exit status 0 although the recipient was rejected')
    expect(files_in(sink.dump, 0) == [], 'something was delivered')


CASES = {n[5:]: f for n, f in sorted(globals().items()) if n.startswith('case_')}

if __name__ == '__main__':
    iop.main(CASES, 1, 'MAILPROTO_SMTP_SEND')
