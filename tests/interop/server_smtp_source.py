#!/usr/bin/python3
"""Our SMTP/LMTP server (mailproto-smtpd) under load from Postfix's
smtp-source: many parallel sessions, several messages per session, several
recipients per message.  smtp-source -F sends a prepared message (it adds
the dot-stuffing and the CRLFs), so every stored copy is checked byte for
byte; the rate is printed.

usage: server_smtp_source.py /path/to/mailproto-smtpd [CASE...]
"""

import os
import time

import iop
from iop import expect, log, message, need
from peers import Smtpd, check_stored, maildir_files


def load(run, prog, name, count, sessions, rcpts, lmtp=False):
    need('smtp-source')
    srv = Smtpd(run, prog, lmtp=lmtp)
    # smtp-source (Postfix 3.7) sends an empty line after the file's last
    # line, with or without a final newline in the file.
    msg = message(name) + b'\r\n'
    argv = ['smtp-source', '-F', os.path.join(iop.DATA, name), '-m', str(count),
            '-s', str(sessions), '-r', str(rcpts), '-d', '-M', 'client.interop.test',
            '-f', 'alice@example.org', '-t', 'bob@example.net']
    if lmtp:
        argv.append('-L')
    t0 = time.monotonic()
    run.cmd(argv + ['127.0.0.1:%d' % srv.port], timeout=100, name='smtp-source')
    dt = time.monotonic() - t0
    log('%d messages x %d recipients over %d sessions in %.2fs: %.0f messages/s'
        % (count, rcpts, sessions, dt, count / dt))
    # Stored before the reply to the data; allow for one copy per recipient.
    deadline = time.monotonic() + 10
    while len(maildir_files(srv.box)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    files = maildir_files(srv.box)
    expect(len(files) in (count, count * rcpts), '%d files stored for %d messages to %d '
           'recipients' % (len(files), count, rcpts))
    for f in files:
        with open(f, 'rb') as fh:
            check_stored(fh.read(), msg, what=f)
    srv.alive()


def case_smtp_load(run, prog):
    """1000 dot-stuffed messages, 2 recipients each, 10 parallel sessions."""
    load(run, prog, 'dots.eml', 1000, 10, 2)


def case_lmtp_load(run, prog):
    """LMTP: 300 messages, 3 recipients each (3 replies after each data)."""
    load(run, prog, 'plain.eml', 300, 5, 3, lmtp=True)


CASES = {n[5:]: f for n, f in sorted(globals().items()) if n.startswith('case_')}

if __name__ == '__main__':
    iop.main(CASES, 1, 'MAILPROTO_SMTPD')
