"""Real peers for the interop tests: Postfix smtp-sink, a private Postfix
instance, our mailproto-smtpd, and the clients (swaks, mailproto-smtp-send).
"""

import base64
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time

from iop import (CERT, DATA, KEY, Fail, Skip, check_delivered, expect, field_values, free_port,
                 log, need, read)

NO_TLS = 'built without TLS'
# A certificate that signed nothing here: trusting only it must fail.
UNTRUSTED_CA = os.path.join(DATA, 'untrusted-ca.crt')


def process_group(pgid):
    """Live pids in process group pgid (a daemon's master and its children)."""
    pids = []
    for n in os.listdir('/proc'):
        if not n.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % n) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(')') + 2:].split()
        if fields[0] != 'Z' and int(fields[2]) == pgid:
            pids.append(int(n))
    return pids


def reap_group(pgid, what, timeout=10):
    """Wait for group pgid to vanish; SIGKILL what is left and Fail."""
    deadline = time.monotonic() + timeout
    while process_group(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = process_group(pgid)
    if left:
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        raise Fail('%s processes survived their stop command: %r' % (what, left))


# ------------------------------------------------------------ smtp-sink

class SmtpSink:
    """Postfix smtp-sink dumping every transaction into <tmp>/sink/."""

    def __init__(self, run, flags=()):
        need('smtp-sink')
        self.run = run
        self.dump = run.mkdir('sink', mode=0o777)  # written as user nobody
        self.port = free_port()
        # As root smtp-sink refuses to run without dropping privileges.
        user = ['-u', 'nobody'] if os.geteuid() == 0 else []
        self.proc = run.spawn(['smtp-sink', *user, *flags,
                               '-d', self.dump + '/%H%M%S.',
                               '127.0.0.1:%d' % self.port, '64'], 'smtp-sink')
        run.wait_listening(self.port, proc=self.proc)


# ------------------------------------------------------------ Postfix

POSTFIX_MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
127.0.0.1:{tls_port} inet n - n - - smtpd
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
lmtp      unix  -       -       n       -       -       lmtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

# Everything lives under the case's temp dir; delivery for example.net
# goes to one virtual Maildir (box/) owned by nobody.  Header rewriting,
# MIME processing and local aliases are off so the stored bytes are the
# sent bytes plus trace fields.
POSTFIX_MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {d}/queue
data_directory = {d}/data
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file = {d}/maillog
maillog_file_prefixes = {d}
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.interop.test
mydomain = interop.test
myorigin = $mydomain
mydestination =
mynetworks = 127.0.0.0/8
relay_domains =
alias_maps =
alias_database =
local_recipient_maps =
local_header_rewrite_clients =
append_dot_mydomain = no
biff = no
smtpd_relay_restrictions = reject_unauth_destination
virtual_mailbox_domains = example.net
virtual_mailbox_base = {d}/mail
virtual_mailbox_maps = static:box/
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_minimum_uid = 100
virtual_mailbox_limit = 0
disable_mime_input_processing = yes
message_size_limit = 40000000
smtpd_tls_security_level = may
smtpd_tls_cert_file = {d}/tls.crt
smtpd_tls_key_file = {d}/tls.key
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
"""


POSTFIX_SASL_CF = """\
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = {socket}
smtpd_tls_auth_only = yes
smtpd_sasl_authenticated_header = yes
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
"""


class Dovecot:
    """A private Dovecot serving only SASL (auth-only, no mail protocols)
    for Postfix, on a UNIX socket, with users from a passwd-file."""

    CONF = """\
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/log
protocols = none
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
default_login_user = dovenull
default_internal_user = dovecot
auth_mechanisms = plain login cram-md5 scram-sha-1 scram-sha-256
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {d}/users
}}
userdb {{
  driver = static
  args = uid=65534 gid=65534 home=/nonexistent
}}
service auth {{
  unix_listener {d}/auth-postfix {{
    mode = 0666
  }}
}}
"""

    def __init__(self, run, users):
        need('dovecot')
        if os.geteuid() != 0:
            raise Skip('a private Dovecot instance needs root')
        d = run.mkdir('dovecot')
        run.mkdir('dovecot', 'run')
        run.mkdir('dovecot', 'state')
        self.socket = os.path.join(d, 'auth-postfix')
        self.pidfile = os.path.join(d, 'run', 'master.pid')
        self.log = os.path.join(d, 'log')
        run.logs.append(self.log)
        with open(os.path.join(d, 'users'), 'w') as f:
            f.write(''.join('%s:{PLAIN}%s\n' % up for up in users.items()))
        conf = os.path.join(d, 'dovecot.conf')
        with open(conf, 'w') as f:
            f.write(self.CONF.format(d=d))
        run.at_exit(self.stop)
        run.daemon(['dovecot', '-c', conf])
        deadline = time.monotonic() + 10
        while not (os.path.exists(self.socket) and self._master()):
            if time.monotonic() > deadline:
                raise Fail('dovecot did not create %s' % self.socket)
            time.sleep(0.05)

    def _master(self):
        return dovecot_master(self.pidfile)

    def stop(self):
        self.master = stop_dovecot(self.pidfile)


def dovecot_master(pidfile):
    """The pid in a Dovecot master.pid, or None."""
    try:
        with open(pidfile) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def stop_dovecot(pidfile):
    """SIGTERM to a private Dovecot's master, then wait until its process
    group is empty (reap_group fails the case if anything survives).
    Returns the master's pid, or None when none ran."""
    master = dovecot_master(pidfile)
    if master is None:
        return None
    try:
        os.kill(master, signal.SIGTERM)
    except OSError:
        pass
    reap_group(master, 'Dovecot')
    return master


def _override(base, extra):
    """main.cf text: base without the parameters extra sets, then extra
    (Postfix warns about parameters set twice)."""
    keys = {ln.split('=')[0].strip() for ln in extra.splitlines() if '=' in ln}
    kept = [ln for ln in base.splitlines(True)
            if '=' not in ln or ln.split('=')[0].strip() not in keys]
    return ''.join(kept) + extra


# The queue and data directories as /etc/postfix/postfix-files lays them
# out (owner, group, mode).  Created here, with queue/quick-start, they let
# "postfix start" skip its integrity checks, which take about 3 s.
POSTFIX_DIRS = [('data', 'postfix', 'root', 0o700), ('queue', 'root', 'root', 0o755)] + [
    ('queue/' + n, 'postfix', 'root', 0o700) for n in
    ('active', 'bounce', 'corrupt', 'defer', 'deferred', 'flush', 'hold', 'incoming',
     'private', 'saved', 'trace')] + [
    ('queue/maildrop', 'postfix', 'postdrop', 0o730),
    ('queue/public', 'postfix', 'postdrop', 0o710),
    ('queue/pid', 'root', 'root', 0o755)]


def _postfix_queue(d):
    import grp
    import pwd
    for rel, user, group, mode in POSTFIX_DIRS:
        p = os.path.join(d, rel)
        os.makedirs(p, exist_ok=True)
        os.chown(p, pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid)
        os.chmod(p, mode)
    open(os.path.join(d, 'queue', 'quick-start'), 'w').close()


class Postfix:
    """A private Postfix instance (postfix -c DIR) on 127.0.0.1:port
    (STARTTLS offered) and 127.0.0.1:tls_port (implicit TLS, RFC 8314).

    Mail for @example.net lands in self.box (a Maildir).  With a Dovecot
    (auth only) for SASL, AUTH PLAIN/LOGIN is offered after STARTTLS.
    stop() is registered as a clean-up and leaves no process behind.
    """

    def __init__(self, run, sasl=None, extra_main='', cert=(CERT, KEY)):
        need('postfix', 'postconf')
        if os.geteuid() != 0:
            raise Skip('a private Postfix instance needs root')
        self.run = run
        self.dir = run.mkdir('postfix')
        d = self.dir
        self.conf = run.mkdir('postfix', 'conf')
        mail = run.mkdir('postfix', 'mail')
        os.chown(mail, 65534, 65534)
        self.box = os.path.join(mail, 'box')
        self.port = free_port()
        self.tls_port = free_port()
        self.maillog = os.path.join(d, 'maillog')
        if sasl is not None:
            extra_main += POSTFIX_SASL_CF.format(socket=sasl.socket)
        run.logs.append(self.maillog)
        shutil.copy(cert[0], os.path.join(d, 'tls.crt'))
        shutil.copy(cert[1], os.path.join(d, 'tls.key'))
        with open(os.path.join(self.conf, 'main.cf'), 'w') as f:
            f.write(_override(POSTFIX_MAIN_CF.format(d=d), extra_main))
        with open(os.path.join(self.conf, 'master.cf'), 'w') as f:
            f.write(POSTFIX_MASTER_CF.format(port=self.port, tls_port=self.tls_port))
        # postfix(1) waits for a main.cf younger than 2 s to settle.
        past = time.time() - 60
        for f in ('main.cf', 'master.cf'):
            os.utime(os.path.join(self.conf, f), (past, past))
        self.master = None
        run.at_exit(self.stop)
        _postfix_queue(d)
        rc = run.daemon(['postfix', '-c', self.conf, 'start'])
        if rc != 0:
            raise Fail('postfix start failed (%d):\n%s' % (
                rc, read(self.maillog).decode(errors='replace')))
        self.master = self._master_pid(10)
        run.wait_listening(self.port, timeout=15)
        run.wait_listening(self.tls_port, timeout=15)

    def _master_pid(self, timeout, must=True):
        pidfile = os.path.join(self.dir, 'queue', 'pid', 'master.pid')
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with open(pidfile) as f:
                    return int(f.read().strip())
            except (OSError, ValueError):
                time.sleep(0.05)
        if must:
            raise Fail('Postfix master wrote no %s' % pidfile)
        return None

    def stop(self):
        """postfix stop; then make sure the master and its daemons are gone."""
        subprocess.run(['postfix', '-c', self.conf, 'stop'], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30)
        if self.master is None:
            self.master = self._master_pid(0.5, must=False)
        if self.master is not None:
            reap_group(self.master, 'Postfix')


# ------------------------------------------------------------ our server

class Smtpd:
    """mailproto-smtpd on 127.0.0.1:port storing into the Maildir self.box."""

    def __init__(self, run, prog, tls=False, implicit_tls=False, lmtp=False,
                 passwd=None, max_size=None, extra=()):
        self.run = run
        self.box = run.mkdir('maildir')
        opts = ['--maildir', self.box]
        if lmtp:
            opts.append('--lmtp')
        if tls or implicit_tls:
            opts += ['--tls-cert', CERT, '--tls-key', KEY]
        if implicit_tls:
            opts.append('--implicit-tls')
        if passwd:
            lines = ''.join('%s:%s\n' % up for up in passwd.items())
            opts += ['--passwd', run.write('passwd', lines.encode())]
        if max_size is not None:
            opts += ['--max-size', str(max_size)]
        opts += list(extra)
        for attempt in range(3):
            # The free port may be taken between free_port() and bind().
            self.port = free_port()
            self.proc = run.spawn([prog, '--listen', '127.0.0.1:%d' % self.port] + opts,
                                  'smtpd')
            try:
                run.wait_output(self.proc, 'listening on')
                return
            except Fail:
                out = read(self.proc.log).decode(errors='replace')
                if (tls or implicit_tls) and self.proc.returncode == 2 and NO_TLS in out:
                    raise Skip('mailproto-smtpd ' + NO_TLS)
                busy = any(w in out.lower() for w in ('in use', 'cannot listen', 'bind'))
                if not busy or attempt == 2:
                    raise

    def alive(self):
        expect(self.proc.poll() is None, 'mailproto-smtpd exited with %s'
               % self.proc.returncode)


# ------------------------------------------------------------ clients

def swaks_send(run, port, sender, rcpts, msg, starttls=False, tls=False, auth=None,
               mech=None, pipeline=False, extra=(), ok=(0,)):
    """Send msg (wire form, ends with CRLF) with swaks.

    swaks ends the data with CRLF . CRLF itself, so it gets the message
    without its final CRLF.
    """
    need('swaks')
    expect(msg.endswith(b'\r\n'), 'test message must end with CRLF')
    data = run.write('swaks-data.eml', msg[:-2])
    argv = ['swaks', '--server', '127.0.0.1:%d' % port, '--from', sender,
            '--to', ','.join(rcpts), '--data', '@' + data, '--helo', 'client.interop.test', '--timeout', '15']
    if starttls:
        argv.append('--tls')
    if tls:
        argv.append('--tls-on-connect')
    if auth:
        user, password = auth
        argv += ['--auth', mech or 'PLAIN', '--auth-user', user,
                 '--auth-password', password]
    if pipeline:
        argv.append('--pipeline')
    return run.cmd(argv + list(extra), ok=ok, name='swaks')


# Options by which a client may be told to trust our self-signed
# certificate (data/localhost.crt, valid for localhost and 127.0.0.1), in
# order of preference; without any, SSL_CERT_FILE points at it.
CA_OPTIONS = ('--ca-file', '--cafile', '--ca', '--tls-ca', '--trust')
INSECURE_OPTIONS = ('--insecure', '--no-verify', '--tls-no-verify')
_help_cache = {}


def _help_words(prog):
    if prog not in _help_cache:
        try:
            r = subprocess.run([prog, '--help'], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=10)
            _help_cache[prog] = r.stdout.decode(errors='replace')
        except (OSError, subprocess.TimeoutExpired):
            _help_cache[prog] = ''
    return set(_help_cache[prog].replace('=', ' ').replace(',', ' ').replace('[', ' ')
               .replace(']', ' ').split())


def tls_trust_args(prog, ca=CERT):
    """Arguments that make prog trust ca (default data/localhost.crt), from
    its --help."""
    words = _help_words(prog)
    for opt in CA_OPTIONS:
        if opt in words:
            return [opt, ca]
    if ca != CERT:
        raise Skip('%s has no option naming trusted CAs' % prog)
    for opt in INSECURE_OPTIONS:
        if opt in words:
            return [opt]
    return []


_tls_cache = {}


def need_client_tls(prog):
    """Skip unless the client was built with TLS: asked before starting
    peers (a private Postfix takes seconds) with a connection to a closed
    port, which a TLS-capable build tries and a build without refuses."""
    if os.path.basename(prog) == 'swaks':
        return
    if prog not in _tls_cache:
        port = free_port()  # nothing listens there
        r = subprocess.run([prog, '--server', '127.0.0.1:%d' % port, '--from', 'a@example.org',
                            '--to', 'b@example.org', '--starttls', os.devnull],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20)
        _tls_cache[prog] = not (r.returncode == 2 and NO_TLS in r.stdout.decode(errors='replace'))
    if not _tls_cache[prog]:
        raise Skip('mailproto-smtp-send ' + NO_TLS)


def mp_send(run, prog, port, sender, rcpts, msg, starttls=False, tls=False,
            auth=None, mech=None, ok=(0,), lmtp=False, stdin=False, ca=CERT,
            server_host='127.0.0.1', extra=()):
    """Send msg with mailproto-smtp-send (or the swaks stand-in 'swaks').

    msg goes as the FILE argument, or on standard input with stdin=True.
    server_host: the HOST of --server HOST:PORT ('[::1]' for IPv6);
    extra: more arguments.
    """
    if lmtp and '--lmtp' not in _help_words(prog):
        raise Skip('%s has no --lmtp' % prog)
    if os.path.basename(prog) == 'swaks':
        return swaks_send(run, port, sender, rcpts, msg, starttls=starttls, tls=tls,
                          auth=auth, mech=mech, pipeline=True, ok=ok)
    argv = [prog, '--server', '%s:%d' % (server_host, port), '--from', sender]
    if '--verbose' in _help_words(prog):  # the dialogue, for the log
        argv.append('--verbose')
    for r in rcpts:
        argv += ['--to', r]
    if starttls:
        argv.append('--starttls')
    if tls:
        argv.append('--tls')
    if starttls or tls:
        argv += tls_trust_args(prog, ca)
    if auth:
        argv += ['--auth', '%s:%s' % auth]
    if mech:
        argv += ['--mech', mech]
    if lmtp:
        argv.append('--lmtp')
    argv += list(extra)
    if not stdin:
        argv.append(run.write('send.eml', msg))
    r = run.cmd(argv, ok=None, name='smtp-send', env={'SSL_CERT_FILE': ca},
                input=msg if stdin else None)
    out = r.stdout.decode(errors='replace')
    if (starttls or tls) and r.returncode == 2 and NO_TLS in out:
        raise Skip('mailproto-smtp-send ' + NO_TLS)
    if ok is not None and r.returncode not in ok:
        raise Fail('mailproto-smtp-send exited with %d:\n%s' % (r.returncode, out))
    return r


# ------------------------------------------------------------ certificates

def make_cert(run, name, san=None, cn='mx.interop.test'):
    """A self-signed certificate (its own CA) made now: (cert, key) paths.

    san: the subjectAltName value ('IP:127.0.0.1,DNS:localhost'), or None
    for none (the names are then only in the CN)."""
    need('openssl')
    crt, key = run.path(name + '.crt'), run.path(name + '.key')
    argv = ['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
            'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', crt,
            '-days', '2', '-subj', '/CN=' + cn, '-addext', 'basicConstraints=critical,CA:TRUE']
    if san:
        argv += ['-addext', 'subjectAltName=' + san]
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    if r.returncode != 0:
        raise Fail('openssl req failed:\n' + r.stdout.decode(errors='replace'))
    os.chmod(key, 0o644)  # Postfix reads it as its own user in some setups
    return crt, key


def tls_record_types(data):
    """The content types of the TLS records in data (20 change_cipher_spec,
    21 alert, 22 handshake, 23 application_data), in order."""
    types = []
    i = 0
    while i + 5 <= len(data):
        types.append(data[i])
        i += 5 + (data[i + 3] << 8 | data[i + 4])
    return types


# ------------------------------------------------------------ a scripted server

class ScriptedSmtp:
    """A small SMTP server in a thread (Python, one session at a time) that
    records what a client did, for the cases real servers do not report:
    every command verb, whether QUIT came, the SNI the client sent, and how
    the client ended the connection.

    sessions: one dict per connection with 'commands' (upper-case verbs),
    'quit' (True once QUIT arrived), 'tls' (STARTTLS done), 'sni' (the
    server name in the ClientHello, or None), 'handshake' (the TLS error
    when the handshake failed), 'auth' (the AUTH mechanisms the client
    asked for), 'end': 'close_notify' (the client closed
    TLS cleanly), 'ragged' (TCP closed under TLS without close_notify),
    'eof' (TCP closed, no TLS), 'reset'; 'mail' (MAIL arguments) and 'data'
    (the message as received, dot-unstuffed).

    keywords: EHLO keywords after the greeting line; cert: (cert, key) to
    offer STARTTLS (AUTH is then offered only after it unless auth_clear);
    auth: the mechanisms to offer; auth_reply: the reply to the end of an
    AUTH exchange; early: bytes sent right after the EHLO reply, in the same
    write (a reply nobody asked for); data_reply: the reply to the message.
    """

    def __init__(self, run, keywords=('PIPELINING', '8BITMIME'), cert=None, auth=(),
                 auth_reply='235 2.7.0 Authentication successful', auth_clear=False,
                 early=b'', data_reply='250 2.0.0 Ok: queued', host='127.0.0.1'):
        self.keywords = list(keywords)
        self.ctx = None
        if cert is not None:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(cert[0], cert[1])
            self.ctx.sni_callback = self._sni
            # Python sets this by default: a TCP close without close_notify
            # would then read like a clean one.
            self.ctx.options &= ~getattr(ssl, 'OP_IGNORE_UNEXPECTED_EOF', 0)
        self.auth = list(auth)
        self.auth_reply = auth_reply
        self.auth_clear = auth_clear
        self.early = early
        self.data_reply = data_reply
        self.sessions = []
        self.lock = threading.Lock()
        family = socket.AF_INET6 if ':' in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.closing = False
        self.current = None
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()
        run.at_exit(self.close)

    def close(self):
        self.closing = True
        self.sock.close()

    def _sni(self, sslobj, name, ctx):
        self.current['sni'] = name

    def _accept(self):
        while not self.closing:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            rec = {'commands': [], 'quit': False, 'tls': False, 'sni': None, 'end': None,
                   'handshake': None, 'auth': [], 'mail': None, 'data': None, 'done': False}
            with self.lock:
                self.sessions.append(rec)
            self.current = rec
            conn.settimeout(30)
            try:
                self._serve(conn, rec)
            except Exception as e:  # recorded, never raised in the thread
                rec['end'] = rec['end'] or 'error: %r' % e
            finally:
                try:
                    conn.close()
                except OSError:
                    pass
                rec['done'] = True

    def _serve(self, conn, rec):
        buf = b''

        def send(text):
            conn.sendall(text if isinstance(text, bytes) else text.encode() + b'\r\n')

        def line():
            nonlocal buf
            while b'\r\n' not in buf:
                try:
                    d = conn.recv(65536)
                except (ssl.SSLEOFError, ssl.SSLZeroReturnError) as e:
                    rec['end'] = 'close_notify' if isinstance(e, ssl.SSLZeroReturnError) \
                        else 'ragged'
                    return None
                except ssl.SSLError as e:
                    rec['end'] = 'ragged' if 'EOF' in str(e).upper() else 'tls error: %s' % e
                    return None
                except ConnectionResetError:
                    rec['end'] = 'reset'
                    return None
                if not d:
                    rec['end'] = 'close_notify' if rec['tls'] else 'eof'
                    return None
                buf += d
            ln, buf = buf.split(b'\r\n', 1)
            return ln

        send('220 mx.scripted.test ESMTP')
        while True:
            ln = line()
            if ln is None:
                return
            verb = ln.split(b' ', 1)[0].upper().decode(errors='replace')
            rec['commands'].append(verb)
            if verb in ('EHLO', 'HELO'):
                kws = list(self.keywords)
                if self.ctx is not None and not rec['tls']:
                    kws.append('STARTTLS')
                if self.auth and (rec['tls'] or self.auth_clear or self.ctx is None):
                    kws.append('AUTH ' + ' '.join(self.auth))
                lines = ['mx.scripted.test'] + kws
                text = ''.join('250%s%s\r\n' % ('-' if i < len(lines) - 1 else ' ', k)
                               for i, k in enumerate(lines))
                send(text.encode() + self.early)
            elif verb == 'STARTTLS' and self.ctx is not None and not rec['tls']:
                send('220 2.0.0 Ready to start TLS')
                try:
                    conn = self.ctx.wrap_socket(conn, server_side=True,
                                                suppress_ragged_eofs=False)
                except (ssl.SSLError, OSError) as e:
                    rec['handshake'] = str(e)
                    rec['end'] = 'handshake failed'
                    return
                rec['tls'] = True
                buf = b''
            elif verb == 'AUTH':
                parts = ln.split(b' ')
                mech = parts[1].upper().decode(errors='replace') if len(parts) > 1 else ''
                rec['auth'].append(mech)
                if mech == 'LOGIN':
                    steps = ['334 VXNlcm5hbWU6', '334 UGFzc3dvcmQ6'][len(parts) > 2:]
                elif mech == 'CRAM-MD5':
                    steps = ['334 ' + base64.b64encode(b'<1.2@mx.scripted.test>').decode()]
                elif mech == 'PLAIN':
                    steps = [] if len(parts) > 2 else ['334 ']
                else:
                    send('504 5.5.4 Unrecognized authentication type')
                    continue
                for st in steps:
                    send(st)
                    if line() is None:
                        return
                send(self.auth_reply)
            elif verb == 'MAIL':
                rec['mail'] = ln[5:].decode(errors='replace')
                send('250 2.1.0 Ok')
            elif verb == 'RCPT':
                send('250 2.1.5 Ok')
            elif verb == 'DATA':
                send('354 End data with <CR><LF>.<CR><LF>')
                data = []
                while True:
                    d = line()
                    if d is None:
                        return
                    if d == b'.':
                        break
                    data.append(d[1:] if d.startswith(b'.') else d)
                rec['data'] = b''.join(x + b'\r\n' for x in data)
                send(self.data_reply)
            elif verb in ('RSET', 'NOOP'):
                send('250 2.0.0 Ok')
            elif verb == 'QUIT':
                rec['quit'] = True
                send('221 2.0.0 Bye')
                # How does the client end?  Read until it closes.
                while line() is not None:
                    pass
                return
            else:
                send('502 5.5.2 Error: command not recognized')

    def session(self, timeout=10):
        """The one session, once it ended (Fail if there is not exactly one)."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                done = [r for r in self.sessions if r['done']]
                n = len(self.sessions)
            if n == 1 and done:
                return done[0]
            if n > 1:
                raise Fail('%d connections, expected one' % n)
            if time.monotonic() > deadline:
                raise Fail('no finished session within %ds: %r' % (timeout, self.sessions))
            time.sleep(0.05)


# ------------------------------------------------------------ observing the wire

class HoldProxy:
    """A TCP proxy in front of a server that holds every server reply back
    for `hold` seconds (0: a transparent proxy) and records both directions
    in arrival order, and per connection.

    A client that pipelines (RFC 2920) sends its whole group of commands
    while the first reply is held back; one that waits sends one command
    per round.  rounds() gives what the client sent between two replies,
    streams() the (client bytes, server bytes) of every connection.
    """

    def __init__(self, run, upstream_port, hold=0.3):
        self.upstream = upstream_port
        self.hold = hold
        self.events = []
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.threads = []
        self.conns = []
        self.closing = False
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        run.at_exit(self.close)

    def _accept(self):
        while not self.closing:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            s = socket.create_connection(('127.0.0.1', self.upstream))
            rec = {'c': bytearray(), 's': bytearray()}
            with self.lock:
                self.conns.append(rec)
            for src, dst, tag in ((c, s, 'c'), (s, c, 's')):
                t = threading.Thread(target=self._pump, args=(src, dst, tag, rec), daemon=True)
                t.start()
                self.threads.append(t)

    def _pump(self, src, dst, tag, rec):
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b''
            if not data:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            if tag == 's' and self.hold:
                time.sleep(self.hold)
            with self.lock:
                self.events.append((tag, data))
                rec[tag] += data
            try:
                dst.sendall(data)
            except OSError:
                return

    def close(self):
        self.closing = True
        self.sock.close()

    def streams(self):
        with self.lock:
            return [(bytes(r['c']), bytes(r['s'])) for r in self.conns]

    def client_bytes(self):
        with self.lock:
            return b''.join(d for t, d in self.events if t == 'c')

    def rounds(self):
        """What the client sent between consecutive server replies."""
        out = []
        cur = b''
        with self.lock:
            for tag, data in self.events:
                if tag == 'c':
                    cur += data
                elif cur:
                    out.append(cur)
                    cur = b''
        if cur:
            out.append(cur)
        return out

    def pipelined(self):
        """True if MAIL and a RCPT went out in one round."""
        return any(b'MAIL FROM:' in r.upper() and b'RCPT TO:' in r.upper()
                   for r in self.rounds())

    def lockstep(self):
        """True if, before the message data, every round held one command."""
        for r in self.rounds():
            head = r.upper().split(b'\r\n')
            cmds = [ln for ln in head if ln[:5] in (b'MAIL ', b'RCPT ', b'DATA', b'BDAT ')]
            if len(cmds) > 1 and not cmds[0].startswith(b'BDAT'):
                return False
        return True


def log_transcript(r):
    log(r.stdout.decode(errors='replace')[-2000:])


def stored_copies(box, rcpts, timeout=10):
    """Messages our server stored under box for one transaction to rcpts.

    mailproto-smtpd keeps one shared copy or one copy per recipient
    (subfolders): accept 1 or len(rcpts) files in any new/ or cur/ below box.
    """
    deadline = time.monotonic() + timeout
    while not maildir_files(box):
        if time.monotonic() > deadline:
            raise Fail('nothing stored under %s within %ds' % (box, timeout))
        time.sleep(0.05)
    time.sleep(0.3)
    names = maildir_files(box)
    expect(len(names) in (1, len(rcpts)), '%d files stored for %d recipients: %r'
           % (len(names), len(rcpts), names))
    return [read(n) for n in names]


def check_stored(data, msg, sender='alice@example.org', what='stored message'):
    """A copy stored by mailproto-smtpd: the sent message after trace fields,
    with a Received field (RFC 5321 §4.4) and, if any, Return-Path <sender>."""
    fields = check_delivered(data, msg, what=what)
    expect(field_values(fields, 'received'), '%s: no Received field' % what)
    rp = field_values(fields, 'return-path')
    expect(rp in ([], ['<%s>' % sender]), '%s: Return-Path %r, expected <%s>'
           % (what, rp, sender))
    return fields


def maildir_files(box):
    """Every file in a new/ or cur/ folder below box."""
    out = []
    for root, dirs, files in os.walk(box):
        dirs.sort()
        if os.path.basename(root) in ('new', 'cur'):
            out += [os.path.join(root, f) for f in sorted(files)]
    return out
