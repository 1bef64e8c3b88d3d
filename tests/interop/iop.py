"""Shared machinery of the interop tests (tests/interop/*.py).

Every test script is a list of named cases.  A case gets a Run: a private
temporary directory, the processes it started and the clean-ups it
registered, all undone when the case ends, however it ends (failure,
timeout, SIGTERM from ctest).  Servers listen on 127.0.0.1 only, on ports
chosen free at run time.

Delivered messages are checked byte for byte: the delivered copy must be
the sent message (CRLF on the wire; the store may use LF, consistently)
preceded only by trace header fields the receiver is allowed to add.

Exit status of a script: 0 all selected cases passed, 1 one failed,
77 every selected case was skipped (ctest SKIP_RETURN_CODE).
"""

import ctypes
import difflib
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP_RC = 77
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, 'data')
CERT = os.path.join(DATA, 'localhost.crt')
KEY = os.path.join(DATA, 'localhost.key')

# Fields a delivering MTA prepends (RFC 5321 §4.4 trace, Postfix local
# delivery fields) and the ones smtp-sink writes before the message.
MTA_TRACE = ('return-path', 'received', 'delivered-to', 'x-original-to')
SINK_TRACE = ('x-client-addr', 'x-client-proto', 'x-helo-args',
              'x-mail-args', 'x-rcpt-args', 'received')

# A case must finish well within the ctest TIMEOUT so that its clean-up
# (stopping Postfix, which does not die with us) still runs.
CASE_SECONDS = int(os.environ.get('MP_INTEROP_CASE_SECONDS', '100'))


class Fail(Exception):
    """The case failed; the message says what was expected and seen."""


class Skip(Exception):
    """The case cannot run here (peer or feature missing)."""


def log(*args):
    print(*args, flush=True)


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def need(*programs):
    """Skip unless every program is on PATH."""
    for p in programs:
        if shutil.which(p) is None:
            raise Skip('%s not installed' % p)


try:
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None


def _die_with_parent():
    # A server must not outlive a harness killed with SIGKILL (ctest
    # timeout).  Runs between fork and exec: only the prctl call, looked up
    # beforehand.  Clients are not started this way (they end by themselves
    # and may be started while proxy threads run).
    if _prctl is not None:
        _prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def crlf(text):
    """The wire form (CRLF lines) of a test message written with LF."""
    if isinstance(text, str):
        text = text.encode('utf-8')
    return text.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')


def message(name):
    """The wire form of tests/interop/data/<name>."""
    with open(os.path.join(DATA, name), 'rb') as f:
        return crlf(f.read())


def _tmp_base():
    """$TMPDIR if the unprivileged peers (postfix, nobody) can reach it."""
    base = os.path.realpath(tempfile.gettempdir())
    d = base
    while d != '/':
        if not os.stat(d).st_mode & 0o001:
            return '/tmp'
        d = os.path.dirname(d)
    return base


class Run:
    """Resources of one case: temp dir, processes, clean-up callbacks."""

    def __init__(self, name):
        self.name = name
        self.tmp = tempfile.mkdtemp(prefix='mp-iop-%s-' % name, dir=_tmp_base())
        # Postfix daemons (user postfix, nobody) must reach their files.
        os.chmod(self.tmp, 0o755)
        self.procs = []
        self.cleanups = []
        self.logs = []

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def mkdir(self, *parts, mode=0o755):
        p = self.path(*parts)
        os.makedirs(p, exist_ok=True)
        os.chmod(p, mode)
        return p

    def write(self, name, data):
        p = self.path(name)
        with open(p, 'wb') as f:
            f.write(data)
        return p

    def at_exit(self, fn):
        self.cleanups.append(fn)

    def spawn(self, argv, name):
        """Start a long-running peer; its output goes to <tmp>/<name>.log."""
        logf = self.path(name + '.log')
        self.logs.append(logf)
        log('+ ' + ' '.join(argv) + ' &')
        out = open(logf, 'wb')
        try:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT,
                                 preexec_fn=_die_with_parent)
        finally:
            out.close()
        p.log = logf
        p.label = name
        self.procs.append(p)
        return p

    def wait_output(self, proc, text, timeout=10):
        """Wait until proc printed text; Fail if it exits first."""
        deadline = time.monotonic() + timeout
        while True:
            out = read(proc.log)
            if text.encode() in out:
                return out
            rc = proc.poll()
            if rc is not None:
                raise Fail('%s exited with %d before printing %r:\n%s'
                           % (proc.label, rc, text, out.decode(errors='replace')))
            if time.monotonic() > deadline:
                raise Fail('%s did not print %r within %ds' % (proc.label, text, timeout))
            time.sleep(0.02)

    def wait_listening(self, port, timeout=10, proc=None):
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(('127.0.0.1', port), timeout=1).close()
                return
            except OSError:
                if proc is not None and proc.poll() is not None:
                    raise Fail('%s exited with %d:\n%s' % (
                        proc.label, proc.returncode,
                        read(proc.log).decode(errors='replace')))
                if time.monotonic() > deadline:
                    raise Fail('nothing listens on 127.0.0.1:%d' % port)
                time.sleep(0.05)

    def daemon(self, argv, timeout=60):
        """Run a command that starts a background daemon; its status.

        All its standard streams go to /dev/null: a daemon that inherits a
        pipe would keep it open and hang the reader.
        """
        log('+ ' + ' '.join(argv))
        return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=timeout).returncode

    def cmd(self, argv, input=None, timeout=60, ok=(0,), name=None, env=None):
        """Run a client to completion; Fail unless its status is in ok.

        env: variables added to the environment."""
        log('+ ' + ' '.join(argv))
        full = None
        if env:
            full = dict(os.environ)
            full.update(env)
        try:
            r = subprocess.run(argv, input=input, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=timeout, env=full)
        except subprocess.TimeoutExpired as e:
            raise Fail('%s: no exit within %ds:\n%s' % (
                argv[0], timeout, (e.output or b'').decode(errors='replace')))
        if name is not None:
            self.write(name + '.log', r.stdout)
            self.logs.append(self.path(name + '.log'))
        if ok is not None and r.returncode not in ok:
            raise Fail('%s exited with %d:\n%s' % (
                argv[0], r.returncode, r.stdout.decode(errors='replace')))
        return r

    def show_logs(self):
        for f in self.logs:
            data = read(f)
            if data:
                log('--- %s (last 3000 bytes)' % os.path.basename(f))
                log(data[-3000:].decode(errors='replace'))

    def close(self):
        for fn in reversed(self.cleanups):
            try:
                fn()
            except Exception as e:  # keep cleaning; report it
                log('clean-up failed: %r' % e)
        for p in self.procs:
            stop_proc(p)
        if os.environ.get('MP_INTEROP_KEEP'):
            log('kept %s' % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def stop_proc(p, grace=3):
    if p.poll() is not None:
        return p.returncode
    p.terminate()
    try:
        return p.wait(grace)
    except subprocess.TimeoutExpired:
        p.kill()
        return p.wait()


def kill_when(argv, delay, ready=None, timeout=60):
    """Runs argv and sends it SIGKILL `delay` seconds after ready() first
    holds (at once without ready): callers kill while the program stores,
    seen on disk, so that the kill lands there on any machine, however
    fast.  Returns (killed, returncode)."""
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.monotonic() + timeout
    while ready and p.poll() is None and not ready() and time.monotonic() < end:
        time.sleep(0.002)
    time.sleep(delay)
    killed = p.poll() is None
    if killed:
        p.kill()
    return killed, p.wait()


def read(path):
    try:
        with open(path, 'rb') as f:
            return f.read()
    except OSError:
        return b''


# ---------------------------------------------------------------- checks

def expect(cond, what):
    if not cond:
        raise Fail(what)


def lf_form(data, what):
    """The LF form of a stored message whose lines all end alike."""
    if b'\r\n' in data:
        stripped = data.replace(b'\r\n', b'')
        expect(b'\n' not in stripped and b'\r' not in stripped,
               '%s mixes CRLF with bare CR/LF line ends' % what)
        return data.replace(b'\r\n', b'\n')
    expect(b'\r' not in data, '%s has bare CR' % what)
    return data


def _parse_fields(block, what):
    """Header fields of a block of LF lines as (lower name, value)."""
    fields = []
    for line in block.split(b'\n')[:-1]:
        if line[:1] in (b' ', b'\t') and fields:
            fields[-1] = (fields[-1][0], fields[-1][1] + b'\n' + line)
            continue
        name, colon, value = line.partition(b':')
        expect(colon and name and b' ' not in name,
               '%s: not a header field before the message: %r' % (what, line))
        fields.append((name.decode().lower(), value.strip()))
    return fields


def _difference(got, want):
    if len(got) < 65536 and len(want) < 65536:
        d = difflib.unified_diff(want.decode(errors='replace').splitlines(True),
                                 got.decode(errors='replace').splitlines(True),
                                 'sent', 'delivered', n=2)
        return ''.join(list(d)[:80])
    i = 0
    n = min(len(got), len(want))
    while i < n and got[-1 - i] == want[-1 - i]:
        i += 1
    return ('delivered %d bytes, sent %d; they differ %d bytes before the end: '
            'sent ...%r, delivered ...%r' % (len(got), len(want), i,
                                             want[max(0, len(want) - i - 40):len(want) - i + 1],
                                             got[max(0, len(got) - i - 40):len(got) - i + 1]))


def check_delivered(stored, sent, trace=MTA_TRACE, sink=False, what='delivered message'):
    """Check that stored == trace fields + sent (modulo CRLF/LF).

    sent is the wire form (CRLF, not dot-stuffed).  smtp-sink dumps end
    with one extra empty line (sink=True).  Returns the trace fields as a
    list of (lower name, value) so that callers can check the envelope.
    """
    got = lf_form(stored, what)
    want = sent.replace(b'\r\n', b'\n')
    if sink:
        expect(got.endswith(b'\n\n'), '%s: the dump does not end with an empty line' % what)
        got = got[:-1]
    if not got.endswith(want):
        raise Fail('%s differs from the sent message:\n%s' % (what, _difference(got, want)))
    prefix = got[:len(got) - len(want)]
    fields = _parse_fields(prefix, what)
    for name, _ in fields:
        expect(name in trace, '%s: unexpected field %r before the message' % (what, name))
    return fields


def field_values(fields, name):
    return [v.decode(errors='replace') for n, v in fields if n == name]


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def maildir_messages(box, count, timeout=20, settle=0.3):
    """Wait for count messages in Maildir box (new/ and cur/); return their bytes.

    Fails if fewer arrive in time, or more than count (checked after settle
    seconds of quiet).
    """
    deadline = time.monotonic() + timeout
    while True:
        names = []
        for sub in ('new', 'cur'):
            d = os.path.join(box, sub)
            if os.path.isdir(d):
                names += [os.path.join(d, n) for n in os.listdir(d)]
        if len(names) >= count:
            break
        if time.monotonic() > deadline:
            raise Fail('%d of %d messages arrived in %s within %ds: %r'
                       % (len(names), count, box, timeout, names))
        time.sleep(0.05)
    time.sleep(settle)
    return dir_messages(box, count)


def dir_messages(box, count=None):
    """The messages now in Maildir box; exactly count of them unless None."""
    names = []
    for sub in ('new', 'cur', ''):
        d = os.path.join(box, sub)
        if os.path.isdir(d):
            names += [os.path.join(d, n) for n in sorted(os.listdir(d))
                      if os.path.isfile(os.path.join(d, n))]
    expect(count is None or len(names) == count, 'expected %s messages in %s, found %d: %r'
           % (count, box, len(names), names))
    return [read(n) for n in names]


def files_in(d, count, timeout=10, settle=0.3):
    """Wait for count regular files directly in d; return their bytes."""
    deadline = time.monotonic() + timeout
    while len(_files(d)) < count:
        if time.monotonic() > deadline:
            raise Fail('%d of %d dump files in %s within %ds'
                       % (len(_files(d)), count, d, timeout))
        time.sleep(0.05)
    time.sleep(settle)
    names = _files(d)
    expect(len(names) == count, 'expected %d dump files in %s, found %d'
           % (count, d, len(names)))
    return [read(n) for n in names]


def _files(d):
    if not os.path.isdir(d):
        return []
    return [os.path.join(d, n) for n in sorted(os.listdir(d))
            if os.path.isfile(os.path.join(d, n))]


# ---------------------------------------------------------------- driver

def _on_signal(signum, frame):
    raise Fail('interrupted by signal %d' % signum)


def main(cases, nprogs, usage):
    """Run the cases named on the command line (all without names).

    argv: nprogs program paths, then case names; or --list.
    """
    args = sys.argv[1:]
    if args == ['--list']:  # for tests/interop/CMakeLists.txt
        print('\n'.join(cases))
        sys.exit(0)
    if len(args) < nprogs or any(a in ('-h', '--help') for a in args):
        sys.stderr.write('usage: %s %s [CASE...]\ncases: %s\n'
                         % (sys.argv[0], usage, ' '.join(cases)))
        sys.exit(2)
    progs, names = args[:nprogs], args[nprogs:] or list(cases)
    for p in progs:
        if not (os.path.isfile(p) and os.access(p, os.X_OK)) and shutil.which(p) is None:
            log('SKIP: program %s not found' % p)
            sys.exit(SKIP_RC)
    for n in names:
        if n not in cases:
            sys.stderr.write('unknown case %s; cases: %s\n' % (n, ' '.join(cases)))
            sys.exit(2)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGALRM, _on_signal)
    results = {}
    for n in names:
        log('=== %s' % n)
        run = Run(n)
        t0 = time.monotonic()
        signal.alarm(CASE_SECONDS)
        try:
            cases[n](run, *progs)
            results[n] = 'PASS'
        except Skip as e:
            results[n] = 'SKIP'
            log('SKIP: %s' % e)
        except Fail as e:
            results[n] = 'FAIL'
            log('FAIL: %s' % e)
            run.show_logs()
        except Exception:
            results[n] = 'FAIL'
            import traceback
            traceback.print_exc()
            run.show_logs()
        finally:
            signal.alarm(0)
            try:
                run.close()
            except Fail as e:
                results[n] = 'FAIL'
                log('FAIL in clean-up: %s' % e)
        log('%s %s (%.1fs)' % (results[n], n, time.monotonic() - t0))
    if 'FAIL' in results.values():
        sys.exit(1)
    if all(r == 'SKIP' for r in results.values()):
        sys.exit(SKIP_RC)
    sys.exit(0)
