#!/usr/bin/python3
"""The message-structure parser (lib/mime) against Dovecot 2.3: the same
messages, the same FETCH items, compared value by value.

Every message of the MIME torture set (tests/vectors/mime/msgs/*.eml, stored
as they are: CRLF, LF or mixed line ends) and of the IMAP interop set
(tests/interop/data/imap/*.eml, CRLF) goes into a private Dovecot's Maildir.
Python imaplib fetches from Dovecot, per message, ENVELOPE BODY BODYSTRUCTURE
and BODY[section] for every part of the message (n, n.MIME, and for
message/rfc822 parts n.HEADER, n.TEXT, n.HEADER.FIELDS), the top-level
HEADER, TEXT, HEADER.FIELDS (.NOT), parts that do not exist, and
BINARY.SIZE of the parts Dovecot can decode.  `mailproto-dump --proto mime
--side fetch` writes the same items for the same file (our parser, then
our response writer); the bytes Dovecot sent (kept as imaplib read them)
and ours go through our response parser
(`--proto imap --side client`) and are compared item by item as values, so
a quoted string and a literal holding the same bytes are equal.

The differences kept on purpose are listed in KNOWN with the reason (docs/
mime.md explains each one); any other difference fails the case, and so
does a known one that stops happening (the list must stay true).

usage: mime_dovecot.py /path/to/mailproto-dump [CASE...]
"""

import glob
import imaplib
import os
import re
import subprocess

import iop
from iop import Fail, expect, log
from imap_dovecot import PASSWORD, USER, DovecotImap, run_dump, unescape

HERE = os.path.dirname(os.path.abspath(__file__))
TORTURE = os.path.join(HERE, '..', 'vectors', 'mime', 'msgs')
IMAP_SET = os.path.join(iop.DATA, 'imap')

# (message file, item key) -> why our answer differs from Dovecot 2.3's.
# An item key is the item name with its section, as in the fetch.
_CUT = ('a boundary cuts the header of a message/rfc822 part\'s message: the CRLF before '
        'the boundary belongs to the boundary (RFC 2046 §5.1.1); Dovecot gives it to the '
        'message/rfc822 part (its size and BODY[2] are 2 bytes longer)')
_BLANK = ('a header without blank line and without body: RFC 9051 §6.4.5 sends no blank '
          'line; Dovecot adds one to HEADER.FIELDS (not to HEADER.FIELDS.NOT)')
_CTYPE = ('a Content-Type that is not type "/" subtype is text/plain; charset=us-ascii '
          '(RFC 2045 §5.2); Dovecot sends "text" "" or "" "" and no line count')
_GLOBAL = ('HEADER and TEXT of a message/global part name its message (RFC 9051 §6.4.5); '
           'Dovecot 2.3 knows message/rfc822 only and sends ""')
KNOWN = {
    ('boundary-in-header.eml', 'BODY'): _CUT,
    ('boundary-in-header.eml', 'BODYSTRUCTURE'): _CUT,
    ('boundary-in-header.eml', 'BODY[2]'): _CUT,
    ('boundary-in-header.eml', 'BODY[2.HEADER.FIELDS (FROM SUBJECT)]'): _BLANK,
    ('empty.eml', 'BODY[HEADER.FIELDS (CC FROM SUBJECT TO)]'): _BLANK,
    ('imap-10-no-body-no-blank.eml', 'BODY[HEADER.FIELDS (CC FROM SUBJECT TO)]'): _BLANK,
    ('ctype-invalid.eml', 'BODY'): _CTYPE,
    ('ctype-invalid.eml', 'BODYSTRUCTURE'): _CTYPE,
    ('message-global.eml', 'BODY[2.HEADER]'): _GLOBAL,
    ('message-global.eml', 'BODY[2.TEXT]'): _GLOBAL,
    ('message-global.eml', 'BODY[2.HEADER.FIELDS (FROM SUBJECT)]'): _GLOBAL,
    ('header-no-newline.eml', 'BODY[HEADER.FIELDS.NOT (DATE FROM MESSAGE-ID)]'):
        'a field cut by the end of the message gets its CRLF in HEADER.FIELDS and in '
        'HEADER.FIELDS.NOT (RFC 5322 §2.2: a field ends with CRLF); Dovecot adds it in '
        'HEADER.FIELDS only',
    ('nul-bytes.eml', 'ENVELOPE'): 'a NUL in an address is read as U+FFFD and the address '
                                   'parses (N\ufffdul <nul@example.org>); Dovecot\'s address '
                                   'parser stops at it ("N" at MISSING_DOMAIN)',
}

# Messages whose BINARY.SIZE is not compared: Dovecot's decoder is strict
# and, on a body it cannot decode, fails the FETCH and ends the session.
NO_BINARY = {
    'encodings-malformed.eml': 'malformed quoted-printable and base64 on purpose',
    'ctype-defaults.eml': 'two Content-Transfer-Encoding fields: Dovecot decodes with '
                          'the last (BODYSTRUCTURE shows the first); we use the first',
    'rfc2049-complex.eml': 'the RFC text stands where base64 data belongs',
    'nested-deep.eml': 'Dovecot decodes every part for any BINARY.SIZE, and decodes the '
                       'base64 of a message without MIME-Version (where RFC 2045 §4 and '
                       'its BODYSTRUCTURE ignore it): the inner text is not base64',
}


# Messages compared as bytes for BODY and BODYSTRUCTURE: our response
# parser reads MESSAGE/GLOBAL as a message (RFC 9051) even in IMAP4rev1
# mode, where RFC 3501 has a basic part, as Dovecot 2.3 and our writer in
# IMAP4rev1 mode send it.
RAW = {'message-global.eml'}


def cut_item(data, name):
    """(data without " NAME value", the value's bytes) of the first FETCH
    response in data: a balanced scan over quoted strings and literals."""
    at = data.find(b' ' + name + b' (')
    expect(at >= 0, 'no %s item in %r' % (name, data[:200]))
    i = at + len(name) + 2
    depth = 0
    while True:
        c = data[i:i + 1]
        if c == b'"':
            i += 1
            while data[i:i + 1] != b'"':
                i += 2 if data[i:i + 1] == b'\\' else 1
        elif c == b'{':
            j = data.index(b'}', i)
            i = j + 2 + int(data[i + 1:j])
        elif c == b'(':
            depth += 1
        elif c == b')':
            depth -= 1
            if depth == 0:
                i += 1
                break
        i += 1
    return data[:at] + data[i:], data[at + len(name) + 2:i]


def known_rule(key, parts):
    """Differences that follow from a rule rather than a message."""
    one = [p for p in parts if p['sec'] == '1']
    if key == 'BODY[1.1]' and one and one[0]['kind'] in ('text', 'other'):
        return ('a part that is neither multipart nor message/rfc822 has no part 1 below '
                'it (RFC 9051 §6.4.5): we send ""; Dovecot answers 1.1 with part 1 itself')
    return None


class WireIMAP4(imaplib.IMAP4):
    """imaplib, keeping every byte it reads from the server in `wire`."""

    def __init__(self, port):
        self.wire = bytearray()
        super().__init__('127.0.0.1', port, timeout=30)

    def read(self, size):
        data = super().read(size)
        self.wire += data
        return data

    def readline(self):
        data = super().readline()
        self.wire += data
        return data


def messages():
    """(name, bytes as stored) of every message, in UID order."""
    out = []
    for p in sorted(glob.glob(os.path.join(TORTURE, '*.eml'))):
        with open(p, 'rb') as f:
            out.append((os.path.basename(p), f.read()))
    for p in sorted(glob.glob(os.path.join(IMAP_SET, '*.eml'))):
        with open(p, 'rb') as f:
            out.append(('imap-' + os.path.basename(p), iop.crlf(f.read())))
    return out


def our_parts(prog, data):
    """Section numbers of the parts, and which are message/rfc822 or leaves
    (from mailproto-dump --side parts)."""
    r = subprocess.run([prog, '--proto', 'mime', '--side', 'parts'], input=data,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    expect(r.returncode == 0, 'mailproto-dump --side parts: exit %d: %s'
           % (r.returncode, r.stderr.decode(errors='replace')))
    parts = []
    pending = None
    for ln in r.stdout.decode('utf-8', 'surrogateescape').split('\n'):
        m = re.match(r'part (\d+) \[([^\]]*)\] parent=(-?\d+) depth=\d+ (\w+)(.*)', ln)
        if m:
            pending = {'sec': m.group(2), 'kind': m.group(4), 'flags': m.group(5).split(),
                       'enc': None}
            parts.append(pending)
        elif ln.startswith('  encoding ') and pending is not None:
            pending['enc'] = ln.split(' ', 3)[3].strip('"').lower()
    return parts


def items_for(parts, binary=True):
    """The FETCH items asked for a message with these parts."""
    items = ['BODY[]', 'BODY[HEADER]', 'BODY[TEXT]', 'BODY[1]', 'BODY[1.MIME]', 'BODY[1.1]',
             'BODY[HEADER.FIELDS (CC FROM SUBJECT TO)]',
             'BODY[HEADER.FIELDS.NOT (DATE FROM MESSAGE-ID)]',
             'BODY[99]', 'BODY[1.99.1]', 'BODY[1.HEADER]']
    seen = set(items)
    for p in parts:
        sec = p['sec']
        if sec in ('-', ''):
            continue
        want = ['BODY[%s]' % sec, 'BODY[%s.MIME]' % sec]
        if p['kind'] == 'message':
            want += ['BODY[%s.HEADER]' % sec, 'BODY[%s.TEXT]' % sec,
                     'BODY[%s.HEADER.FIELDS (FROM SUBJECT)]' % sec]
        if binary and p['kind'] in ('text', 'other') and p['enc'] in (None, '7bit', '8bit', 'binary',
                                                          'base64', 'quoted-printable'):
            want.append('BINARY.SIZE[%s]' % sec)
        for it in want:
            if it not in seen:
                seen.add(it)
                items.append(it)
    return items


def peek(item):
    return item.replace('BODY[', 'BODY.PEEK[', 1) if item.startswith('BODY[') else item


def fetch_items(lines):
    """{item key: [value events]} of the FETCH responses in a dump: the
    value of an item is what follows its name up to the next item, with
    literals turned into strings and the wire form (:lit) dropped.  A key is
    the item name with its section: BODY[1.HEADER.FIELDS (FROM SUBJECT)]."""
    items = []
    cur = None
    lit = None
    for ln in lines:
        if ln.startswith('begin ') or ln in (') FETCH_ATTS', 'end'):
            cur = None
            continue
        head, _, rest = ln.partition(' ')
        if head.startswith('FETCH_ITEM:'):
            cur = {'name': rest, 'sec': None, 'hdrs': [], 'vals': []}
            items.append(cur)
            continue
        if cur is None:
            continue
        if head.startswith('SECTION:') and not cur['vals']:
            cur['sec'] = rest
        elif head.startswith('SECTION_HEADER:') and not cur['vals']:
            cur['hdrs'].append(unescape(rest).decode().upper())
        elif head == 'lit':
            lit = []
        elif head == 'chunk' and lit is not None:
            lit.append(unescape(rest))
        elif head == 'lit_end':
            cur['vals'].append('BODY_SECTION:str %r' % b''.join(lit))
            lit = None
        else:
            head = head.replace(':lit', '')
            if head.endswith(':str'):
                rest = repr(unescape(rest))
            cur['vals'].append(head + ' ' + rest)
    out = {}
    for it in items:
        key = it['name']
        if it['sec'] is not None:
            key += '[%s%s]' % (it['sec'], ' (%s)' % ' '.join(it['hdrs']) if it['hdrs'] else '')
        out[key] = it['vals']
    return out


def difference(a, b):
    """The events that differ, in context (ours / Dovecot)."""
    import difflib
    if a is None or b is None:
        return 'ours %r, Dovecot %r' % (a, b)
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op != 'equal':
            out.append('ours %r / Dovecot %r (after %r)' % (a[i1:i2], b[j1:j2],
                                                              a[i1 - 1] if i1 else None))
    return '; '.join(out)


def case_structure(run, prog):
    """ENVELOPE, BODY, BODYSTRUCTURE and every section of every message:
    our parser and writer give Dovecot's values (but for KNOWN)."""
    msgs = messages()
    srv = DovecotImap(run, msgs)
    c = WireIMAP4(srv.port)
    c.login(USER, PASSWORD)
    typ, _ = c.select('INBOX', readonly=True)
    expect(typ == 'OK', 'SELECT INBOX: %s' % typ)
    failures = []
    known_seen = set()
    compared = 0
    ruled = 0
    for n, (name, data) in enumerate(msgs, 1):
        parts = our_parts(prog, data)
        items = items_for(parts, name not in NO_BINARY)
        # Dovecot: BINARY.SIZE of a part it cannot decode fails the whole
        # FETCH (UNKNOWN-CTE), so those are not asked.
        del c.wire[:]
        typ, _ = c.fetch(str(n), '(ENVELOPE BODY BODYSTRUCTURE %s)'
                         % ' '.join(peek(i) for i in items))
        expect(typ == 'OK', '%s: FETCH: %s' % (name, typ))
        dv_raw = bytes(c.wire)  # the FETCH response and the tagged OK
        env = dict(os.environ)
        env['MP_DUMP_MIME_ITEMS'] = ';'.join(items)
        env.pop('MP_DUMP_PIECE', None)
        base = run.write('%02d.eml' % n, data)
        ours = []
        for piece in (None, 1, 7):
            if piece:
                env['MP_DUMP_PIECE'] = str(piece)
            with open(base, 'rb') as f:
                r = subprocess.run([prog, '--proto', 'mime', '--side', 'fetch'], stdin=f,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   timeout=60, env=env)
            if r.returncode != 0 or b'Sanitizer' in r.stderr or b'runtime error' in r.stderr:
                raise Fail('%s: mailproto-dump --side fetch: exit %d:\n%s'
                           % (name, r.returncode, r.stderr.decode(errors='replace')[-2000:]))
            ours.append(r.stdout)
        expect(ours[1] == ours[0] and ours[2] == ours[0],
               '%s: fed in pieces, the parser writes other FETCH items' % name)
        mine_raw = ours[0]
        if name in RAW:
            for item in (b'BODYSTRUCTURE', b'BODY'):
                mine_raw, a = cut_item(mine_raw, item)
                dv_raw, b = cut_item(dv_raw, item)
                compared += 1
                if a != b:
                    failures.append('%s %s: ours %r, Dovecot %r' % (name, item, a, b))
        ours_lines = run_dump(run, prog, 'client', mine_raw, 'ours-%02d' % n)
        dv_lines = run_dump(run, prog, 'client', dv_raw, 'dovecot-%02d' % n)
        mine = fetch_items(ours_lines)
        theirs = fetch_items(dv_lines)
        for key in sorted(set(mine) | set(theirs)):
            compared += 1
            a, b = mine.get(key), theirs.get(key)
            same = a == b
            reason = KNOWN.get((name, key))
            rule = known_rule(key, parts)
            if rule is not None and reason is None:
                ruled += not same  # (equal when part 1 is empty)
                continue
            if reason is not None:
                known_seen.add((name, key))
                if same:
                    failures.append('%s %s: listed as a known difference (%s) but equal now'
                                    % (name, key, reason))
                continue
            if not same:
                failures.append('%s %s: %s' % (name, key, difference(a, b)))
    for k in set(KNOWN) - known_seen:
        failures.append('%s %s: listed in KNOWN but not compared' % k)
    c.logout()
    log('%d messages, %d items compared, %d known differences, %d by rule'
        % (len(msgs), compared, len(known_seen), ruled))
    if failures:
        raise Fail('%d differences from Dovecot:\n%s' % (len(failures), '\n'.join(failures[:80])))


CASES = {
    'structure': case_structure,
}

if __name__ == '__main__':
    iop.main(CASES, 1, '/path/to/mailproto-dump')
