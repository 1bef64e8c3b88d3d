#!/usr/bin/python3
"""A stand-in for mailproto-smtpd built on aiosmtpd, with the same CLI.

Not a test: it lets the server-side interop scripts be checked on their
own (server_*.py /path/to/standin_smtpd.py).  Known differences from our
server: aiosmtpd's own limits and replies; one Maildir copy per message.

usage: standin_smtpd.py --listen 127.0.0.1:PORT --maildir DIR [--lmtp]
       [--tls-cert F --tls-key F] [--implicit-tls] [--passwd F] [--max-size N]
"""

import argparse
import asyncio
import os
import ssl
import time

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Store:
    def __init__(self, box):
        self.box = box
        self.n = 0
        for d in ('tmp', 'new', 'cur'):
            os.makedirs(os.path.join(box, d), exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        name = '%d.%d_%d.standin' % (time.time(), os.getpid(), self.n)
        trace = ('Return-Path: <%s>\r\nReceived: from %s by standin; %s\r\n'
                 % (envelope.mail_from, session.host_name, time.ctime())).encode()
        tmp = os.path.join(self.box, 'tmp', name)
        with open(tmp, 'wb') as f:
            f.write(trace + envelope.original_content)
        os.rename(tmp, os.path.join(self.box, 'new', name))
        if isinstance(server, LMTP):
            return '\r\n'.join('250 2.0.0 delivered to %s' % r for r in envelope.rcpt_tos)
        return '250 2.0.0 OK'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--listen', required=True)
    ap.add_argument('--maildir', required=True)
    ap.add_argument('--lmtp', action='store_true')
    ap.add_argument('--tls-cert')
    ap.add_argument('--tls-key')
    ap.add_argument('--implicit-tls', action='store_true')
    ap.add_argument('--passwd')
    ap.add_argument('--max-size', type=int, default=33554432)
    a = ap.parse_args()
    host, port = a.listen.rsplit(':', 1)
    users = {}
    if a.passwd:
        with open(a.passwd) as f:
            for line in f:
                u, _, p = line.rstrip('\n').partition(':')
                users[u] = p
    ctx = None
    if a.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)

    def auth(server, session, envelope, mechanism, data):
        ok = isinstance(data, LoginPassword) and users.get(data.login.decode()) == data.password.decode()
        return AuthResult(success=ok)

    store = Store(a.maildir)
    cls = LMTP if a.lmtp else SMTP
    kw = dict(data_size_limit=a.max_size, enable_SMTPUTF8=True, hostname='standin')
    if not a.lmtp:
        kw.update(tls_context=None if a.implicit_tls else ctx, authenticator=auth,
                  auth_require_tls=not a.implicit_tls)

    async def serve():
        loop = asyncio.get_running_loop()
        srv = await loop.create_server(lambda: cls(store, **kw), host, int(port),
                                       ssl=ctx if a.implicit_tls else None)
        print('listening on %s' % a.listen, flush=True)
        await srv.serve_forever()

    asyncio.run(serve())


if __name__ == '__main__':
    main()
