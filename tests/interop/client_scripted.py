#!/usr/bin/python3
"""Our SMTP client (mailproto-smtp-send) against a scripted Python server
(peers.ScriptedSmtp: Python's ssl, that is OpenSSL, for STARTTLS) that
records what real servers do not report: the SNI in the ClientHello, every
command, whether QUIT came, and whether the client closed TLS with
close_notify.  Certificates are made for each case with openssl.

 - Server names (issue 13 item 3): an IP address is checked against the
   certificate's IP address entries, never its DNS names or CN, and is not
   sent as SNI (RFC 6066 §3); a host name is.  IPv4 and [IPv6].
 - Endings (item 4): QUIT, its reply and close_notify after a message,
   after a refused message, a failed AUTH (535), AUTH not offered, the
   asked mechanism not offered, and a protocol error.
 - A reply before its command (item 6): an extra line right after the EHLO
   reply is refused; MAIL is never sent, QUIT is.
 - AUTH without TLS (item 7): refused unless --auth-cleartext; with it,
   the best mechanism offered.

usage: client_scripted.py /path/to/mailproto-smtp-send [CASE...]
"""

import time

import iop
from iop import expect, message
from peers import ScriptedSmtp, make_cert, mp_send, need_client_tls

FROM = 'alice@example.org'
RCPTS = ['bob@example.net', 'carol@example.net']
USER = ('alice', 'S3cret-pass')


def send(run, prog, srv, host='127.0.0.1', ok=(0,), **kw):
    """mailproto-smtp-send to srv as --server host:port."""
    return mp_send(run, prog, srv.port, FROM, RCPTS, message('plain.eml'), ok=ok,
                   server_host=host, **kw)


def ended_cleanly(sess, tls=True):
    """QUIT sent and answered, then close_notify (under TLS) or EOF."""
    expect(sess['quit'], 'no QUIT; commands: %r' % sess['commands'])
    expect(sess['commands'][-1] == 'QUIT', 'commands after QUIT: %r' % sess['commands'])
    want = 'close_notify' if tls else 'eof'
    expect(sess['end'] == want, 'the client ended with %r, expected %s' % (sess['end'], want))


def delivered(sess):
    expect(sess['data'] == message('plain.eml'), 'message differs: %r' % sess['data'])


# ------------------------------------------------------------ server names

def case_ip_no_sni(run, prog):
    """--server 127.0.0.1 --starttls, certificate with IP:127.0.0.1 (and a
    DNS name): verified, delivered, no SNI; QUIT then close_notify."""
    need_client_tls(prog)
    cert = make_cert(run, 'ip', 'DNS:localhost,IP:127.0.0.1')
    srv = ScriptedSmtp(run, cert=cert)
    send(run, prog, srv, starttls=True, ca=cert[0])
    sess = srv.session()
    expect(sess['sni'] is None, 'SNI %r sent for an IP address (RFC 6066 §3)' % sess['sni'])
    delivered(sess)
    ended_cleanly(sess)


def case_name_sni(run, prog):
    """--server localhost: the same certificate matches the DNS name, and
    the name goes out as SNI."""
    need_client_tls(prog)
    cert = make_cert(run, 'ip', 'DNS:localhost,IP:127.0.0.1')
    srv = ScriptedSmtp(run, cert=cert)
    send(run, prog, srv, host='localhost', starttls=True, ca=cert[0])
    sess = srv.session()
    expect(sess['sni'] == 'localhost', 'SNI %r, expected localhost' % sess['sni'])
    delivered(sess)


def case_ipv6_no_sni(run, prog):
    """--server [::1]:PORT, certificate with IP:::1 only: verified, no SNI."""
    need_client_tls(prog)
    cert = make_cert(run, 'ip6', 'IP:::1')
    try:
        srv = ScriptedSmtp(run, cert=cert, host='::1')
    except OSError as e:
        raise iop.Skip('no IPv6 loopback: %s' % e)
    send(run, prog, srv, host='[::1]', starttls=True, ca=cert[0])
    sess = srv.session()
    expect(sess['sni'] is None, 'SNI %r sent for an IPv6 address' % sess['sni'])
    delivered(sess)
    ended_cleanly(sess)


def case_ip_as_dns_refused(run, prog):
    """A certificate naming 127.0.0.1 only as a DNS name and as the CN does
    not verify 127.0.0.1: the handshake fails, no MAIL, exit status 4."""
    need_client_tls(prog)
    cert = make_cert(run, 'dnsip', 'DNS:127.0.0.1', cn='127.0.0.1')
    srv = ScriptedSmtp(run, cert=cert)
    r = send(run, prog, srv, starttls=True, ca=cert[0], ok=(4,))
    sess = srv.session()
    expect(sess['handshake'] is not None, 'the handshake did not fail: %r' % sess)
    expect(sess['commands'] == ['EHLO', 'STARTTLS'], 'commands %r' % sess['commands'])
    expect(b'verif' in r.stdout.lower(), 'no verification failure reported: %r' % r.stdout)


# ------------------------------------------------------------ clean endings

def case_refused_message_quit(run, prog):
    """The message refused (554) at the end of data: QUIT (pipelined behind
    the dot), its 221, close_notify; exit status 3."""
    need_client_tls(prog)
    cert = make_cert(run, 'ip', 'IP:127.0.0.1')
    srv = ScriptedSmtp(run, cert=cert, data_reply='554 5.7.1 Rejected')
    send(run, prog, srv, starttls=True, ca=cert[0], ok=(3,))
    ended_cleanly(srv.session())


def case_auth_failed_quit(run, prog):
    """535 to AUTH: the client does not leave without QUIT (Postfix logged
    "lost connection after AUTH"); close_notify; exit status 5."""
    need_client_tls(prog)
    cert = make_cert(run, 'ip', 'IP:127.0.0.1')
    srv = ScriptedSmtp(run, cert=cert, auth=('PLAIN', 'LOGIN'),
                       auth_reply='535 5.7.8 Error: authentication failed')
    send(run, prog, srv, starttls=True, ca=cert[0], auth=USER, ok=(5,))
    sess = srv.session()
    expect(sess['commands'] == ['EHLO', 'STARTTLS', 'EHLO', 'AUTH', 'QUIT'],
           'commands %r' % sess['commands'])
    ended_cleanly(sess)


def case_auth_not_offered_quit(run, prog):
    """No AUTH offered: QUIT and close_notify, no MAIL; exit status 5."""
    need_client_tls(prog)
    cert = make_cert(run, 'ip', 'IP:127.0.0.1')
    srv = ScriptedSmtp(run, cert=cert)
    send(run, prog, srv, starttls=True, ca=cert[0], auth=USER, ok=(5,))
    sess = srv.session()
    expect(sess['commands'] == ['EHLO', 'STARTTLS', 'EHLO', 'QUIT'],
           'commands %r' % sess['commands'])
    ended_cleanly(sess)


def case_mech_not_offered_quit(run, prog):
    """--mech PLAIN to a server offering only CRAM-MD5: no fallback, no
    AUTH at all; QUIT and close_notify; exit status 5."""
    need_client_tls(prog)
    cert = make_cert(run, 'ip', 'IP:127.0.0.1')
    srv = ScriptedSmtp(run, cert=cert, auth=('CRAM-MD5',))
    r = send(run, prog, srv, starttls=True, ca=cert[0], auth=USER, mech='PLAIN', ok=(5,))
    sess = srv.session()
    expect(sess['commands'] == ['EHLO', 'STARTTLS', 'EHLO', 'QUIT'],
           'commands %r' % sess['commands'])
    expect(b'CRAM-MD5' in r.stdout, 'the offered mechanisms are not named: %r' % r.stdout)
    ended_cleanly(sess)


def case_early_reply_quit(run, prog):
    """An extra reply line right after the EHLO reply (before the client
    could send MAIL) is refused, not taken as the reply to MAIL: exit
    status 3, MAIL never sent, QUIT sent; plaintext, so EOF."""
    srv = ScriptedSmtp(run, early=b'250 2.1.0 Ok\r\n')
    r = send(run, prog, srv, ok=(3,))
    sess = srv.session()
    expect(sess['commands'] == ['EHLO', 'QUIT'], 'commands %r' % sess['commands'])
    expect(b'before its command was sent' in r.stdout, 'no unexpected-reply error: %r' % r.stdout)
    ended_cleanly(sess, tls=False)


# ------------------------------------------------------------ the message

# Bare CR, bare LF, CRLF, CR CR LF, a dot line, no line break at the end.
MIXED = (b'Subject: line ends\r\n\r\nbare LF\nbare CR\rCRLF\r\nCR CR LF\r\r\n'
         b'.dot\n\rlast line')
# What goes on the wire (before dot-stuffing): every line end CRLF, and a
# line break after the last line.
MIXED_WIRE = (b'Subject: line ends\r\n\r\nbare LF\r\nbare CR\r\nCRLF\r\nCR CR LF\r\n\r\n'
              b'.dot\r\n\r\nlast line\r\n')


def case_line_ends_and_size(run, prog):
    """Bare LF and bare CR both become CRLF, a last line gets its line
    break, and SIZE= is the exact size of that (issue 13 item 7): for a
    file; from a pipe the size is unknown and SIZE= is left out."""
    srv = ScriptedSmtp(run, keywords=('PIPELINING', 'SIZE 10000000'))
    mp_send(run, prog, srv.port, FROM, RCPTS[:1], MIXED)
    sess = srv.session()
    expect(sess['data'] == MIXED_WIRE, 'delivered %r, expected %r' % (sess['data'], MIXED_WIRE))
    want = 'FROM:<%s> SIZE=%d' % (FROM, len(MIXED_WIRE))
    expect(sess['mail'] == want, 'MAIL %r, expected %r (the file has %d bytes)'
           % (sess['mail'], want, len(MIXED)))
    srv2 = ScriptedSmtp(run, keywords=('PIPELINING', 'SIZE 10000000'))
    mp_send(run, prog, srv2.port, FROM, RCPTS[:1], MIXED, stdin=True)
    sess = srv2.session()
    expect(sess['data'] == MIXED_WIRE, 'delivered %r from a pipe' % sess['data'])
    expect('SIZE=' not in sess['mail'], 'SIZE= from a pipe: %r' % sess['mail'])


def case_nul_refused(run, prog):
    """A NUL byte: in a file, refused before connecting; on a pipe, the
    connection is closed before the end of the message, without QUIT (it
    would be message text), so nothing is delivered; exit status 2."""
    msg = b'Subject: nul\r\n\r\nbefore\r\nafter \0 it\r\n'
    srv = ScriptedSmtp(run)
    r = mp_send(run, prog, srv.port, FROM, RCPTS[:1], msg, ok=(2,))
    expect(b'NUL' in r.stdout, 'no NUL reported: %r' % r.stdout)
    time.sleep(0.3)
    expect(srv.sessions == [], 'the client connected: %r' % srv.sessions)
    mp_send(run, prog, srv.port, FROM, RCPTS[:1], msg, stdin=True, ok=(2,))
    sess = srv.session()
    expect(sess['commands'][-1] == 'DATA' and sess['data'] is None and not sess['quit'],
           'the message was not abandoned: %r' % sess)
    expect(sess['end'] == 'eof', 'ended with %r' % sess['end'])


# ------------------------------------------------------------ AUTH without TLS

def case_cleartext_auth_refused(run, prog):
    """--auth without --starttls/--tls: refused before connecting (exit
    status 2); the server sees no connection.  With --auth-cleartext: the
    best mechanism offered (CRAM-MD5 before PLAIN and LOGIN), then the
    message."""
    srv = ScriptedSmtp(run, auth=('PLAIN', 'LOGIN', 'CRAM-MD5'), auth_clear=True)
    r = send(run, prog, srv, auth=USER, ok=(2,))
    expect(b'TLS' in r.stdout, 'the refusal does not say why: %r' % r.stdout)
    time.sleep(0.3)
    expect(srv.sessions == [], 'the client connected: %r' % srv.sessions)
    send(run, prog, srv, auth=USER, extra=['--auth-cleartext'])
    sess = srv.session()
    expect(sess['commands'][:2] == ['EHLO', 'AUTH'], 'commands %r' % sess['commands'])
    expect(sess['auth'] == ['CRAM-MD5'], 'AUTH %r, expected CRAM-MD5' % sess['auth'])
    delivered(sess)
    ended_cleanly(sess, tls=False)


CASES = {n[5:]: f for n, f in sorted(globals().items()) if n.startswith('case_')}

if __name__ == '__main__':
    iop.main(CASES, 1, 'MAILPROTO_SMTP_SEND')
