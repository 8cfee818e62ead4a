# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``dns`` check kind: one DNS query, its answers counted, timed and compared with ``expect``.

The query goes to ``server`` (an address, optionally with a port) or, by default, to the
nameservers of the host's own resolver configuration (``/etc/resolv.conf``), in their order,
as the C library's stub resolver asks them. The name is always absolute: no search domain is
appended (as ``dig``), so a check means one name whatever the host's search list.

The messages are built and parsed with dnspython; the exchange itself is written here, over a
*connected* UDP socket per server (an ICMP port unreachable then shows as "connection refused" at
once, where an unconnected socket would wait for the timeout), with TCP when the answer is
truncated. One deadline bounds everything: an unanswered query is sent again every ``PER_TRY``
seconds (or resolv.conf's ``options timeout``) until an answer comes or ``timeout`` runs out; the
wait never goes past it (dnspython's resolver can sleep past its lifetime between retries). Every
server's socket is listened to until the end, so an answer to an earlier try that arrives late is
still the answer (a resolver that answers in 3 s, with tries every 2 s, is slow, not silent).

Statuses (documented in the dns_check module): an answer with the records -> the thresholds and
``expect`` decide; NXDOMAIN, no record of the type (NOERROR without an answer), SERVFAIL,
REFUSED or another error code, no answer before ``timeout``, a server that refuses the
connection -> critical, with the reason; an expected value that is not among the answers (or,
with ``exact``, an answer that is not expected) -> critical. resolv.conf that cannot be read ->
unknown.

Runs in a thread (``ISOLATED`` False): the check waits on a socket with its own deadline; what a
peer sends is one DNS message, at most 64 KiB by the protocol, parsed by dnspython in linear
time, and never fed to a user's pattern. Thread-safe: no global state, no signals.
"""

from __future__ import annotations

import errno
import ipaddress
import re
import selectors
import socket
import struct
import time

from ansible_collections.sre.health.plugins.module_utils._errors import OptionError, SreHealthError
from ansible_collections.sre.health.plugins.module_utils._kind import Config, param
from ansible_collections.sre.health.plugins.module_utils._status import (
    CRITICAL,
    UNKNOWN,
    check_timeout,
    describe_breaches,
    evaluate,
    make_result,
    thresholds_as_text,
    worst,
)
from ansible_collections.sre.health.plugins.module_utils._units import COUNT, MILLISECONDS, format_quantity

try:
    import dns.exception
    import dns.flags
    import dns.message
    import dns.name
    import dns.rcode
    import dns.rdata
    import dns.rdataclass
    import dns.rdatatype
    import dns.reversename
except ImportError:
    HAS_DNSPYTHON = False
else:
    HAS_DNSPYTHON = True

KIND = "dns"

METRICS = {
    "resolve_time_ms": MILLISECONDS,
    "answers": COUNT,
}

# A resolver that needs more than a second has lost a query or waits on a struggling upstream:
# users feel it. Critical is left to the timeout (no answer at all).
DEFAULT_THRESHOLDS = {
    "resolve_time_ms": {"warning": "1s"},
}

TYPES = ("A", "AAAA", "CNAME", "MX", "NS", "PTR", "SOA", "SRV", "TXT")
DEFAULT_TIMEOUT = 5.0
# Seconds to wait for an answer before the query is sent again (dnspython's resolver default; the
# C library's is 5 s, too long to leave a retry inside a 5 s check): resolv.conf's "options
# timeout:N" replaces it for its nameservers.
PER_TRY = 2.0
RESOLV_CONF = "/etc/resolv.conf"
# The C library reads at most 3 nameservers (MAXNS) and uses 127.0.0.1 when there is none.
MAX_NAMESERVERS = 3
LIBC_DEFAULT_SERVER = "127.0.0.1"
# resolv.conf is a few lines: a bigger file is not one.
MAX_RESOLV_CONF_BYTES = 64 * 1024
# EDNS payload of the queries (DNS flag day 2020): bigger answers come truncated, then over TCP.
EDNS_PAYLOAD = 1232
# Aliases followed in one answer, at most (a loop ends there).
MAX_CNAMES = 16
# How many records a result lists and a summary shows (the answers metric counts them all).
MAX_LISTED = 50
MAX_SHOWN = 5

OPTIONS = dict(
    name=dict(type="str", required=True),
    type=dict(type="str", default="A", choices=list(TYPES)),
    server=dict(type="str"),
    expect=dict(type="list", elements="str"),
    exact=dict(type="bool", default=False),
    timeout=dict(type="float", default=DEFAULT_TIMEOUT),
)

CONSTRAINTS = {}

REQUIRES = {"dns": lambda: HAS_DNSPYTHON}

# Waits on a socket with its own deadline; a DNS message is bounded and parsed in linear time (see above).
ISOLATED = False

SERVER_ACCEPTED = ("an IPv4 or IPv6 address, optionally with a port as 127.0.0.1:5353 or [::1]:5353 "
                   "(a name would itself need resolving)")
NAME_ACCEPTED = ("a DNS name (labels of at most 63 characters, 255 in all, no blanks), or for type PTR an IPv4 "
                 "or IPv6 address")
# What an expect value looks like, per type; MX, SRV and SOA also accept their host name alone.
EXPECT_ACCEPTED = {
    "A": "IPv4 addresses, such as 127.0.0.1",
    "AAAA": "IPv6 addresses, such as ::1",
    "CNAME": "host names, such as www.example.com",
    "NS": "host names, such as ns1.example.com",
    "PTR": "host names, such as host.example.com",
    "MX": "'PREFERENCE HOST' such as '10 mail.example.com', or the HOST alone (any preference)",
    "SRV": "'PRIORITY WEIGHT PORT TARGET' such as '0 5 5060 sip.example.com', or the TARGET alone",
    "SOA": "'MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM', or the primary server MNAME alone",
    "TXT": "the record's text, its strings joined without separator and without quotes",
}
_BLANK_RE = re.compile(r"\s")


# --- names and values (stdlib only: options are validated before the library is looked for) ---

def name_text(name):
    """A dnspython name as compared and shown: lower case, no final dot; the root is ``.``."""
    if name == dns.name.root:
        return "."
    return name.to_text(omit_final_dot=True).lower()


def normalize_name(option, value, accepted):
    """``value`` as a name is compared and shown: lower case, no final dot, international labels
    in their ASCII (IDNA) form; the root is ``.``. Raises OptionError for what is not a DNS name."""
    if not isinstance(value, str) or not value.strip() or _BLANK_RE.search(value.strip()) or "\\" in value:
        raise OptionError(option, value, accepted)
    text = value.strip()
    if text == ".":
        return "."
    labels = []
    for label in (text[:-1] if text.endswith(".") else text).split("."):
        try:
            ascii_label = label if all(ord(c) < 128 for c in label) else label.encode("idna").decode("ascii")
        except UnicodeError:
            raise OptionError(option, value, accepted)
        if not 1 <= len(ascii_label) <= 63:
            raise OptionError(option, value, accepted)
        labels.append(ascii_label.lower())
    result = ".".join(labels)
    # On the wire: one length byte per label plus the root's.
    if len(result) + 2 > 255:
        raise OptionError(option, value, accepted)
    return result


def _address(text):
    """``text`` as an ipaddress object (an IPv6 zone after % is left out), or None."""
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None


def query_name(value, rdtype):
    """The name to ask for, as text (see ``normalize_name``): ``value``, or for PTR an address's
    reverse name (``127.0.0.127.in-addr.arpa``)."""
    if isinstance(value, str) and rdtype == "PTR" and _address(value.strip()) is not None:
        return _address(value.strip()).reverse_pointer
    return normalize_name("name", value, NAME_ACCEPTED)


def _int_field(text):
    if not re.match(r"^[0-9]{1,10}$", text) or int(text) > 0xFFFFFFFF:
        raise ValueError(text)
    return int(text)


def _expect_names(fields):
    return tuple(normalize_name("expect", f, "a host name") for f in fields)


def parse_expected(rdtype, value):
    """An expect value as a tuple of fields compared with an answer's (``record_fields``); None
    fields match anything (MX, SRV and SOA written with their host name alone)."""
    if not isinstance(value, str) or (value.strip() == "" and rdtype != "TXT"):
        raise OptionError("expect", value, "for type %s, %s" % (rdtype, EXPECT_ACCEPTED[rdtype]))
    text = value if rdtype == "TXT" else value.strip()
    fields = text.split()
    try:
        if rdtype == "A":
            return (str(ipaddress.IPv4Address(text)),)
        if rdtype == "AAAA":
            return (ipaddress.IPv6Address(text).compressed,)
        if rdtype in ("CNAME", "NS", "PTR"):
            return _expect_names([text])
        if rdtype == "TXT":
            return (text,)
        numbers = {"MX": 1, "SRV": 3, "SOA": 5}[rdtype]
        if len(fields) == 1:
            names = _expect_names(fields)
            return (None,) * numbers + names if rdtype != "SOA" else names + (None,) * 6
        if rdtype == "SOA" and len(fields) == 7:
            return _expect_names(fields[:2]) + tuple(_int_field(f) for f in fields[2:])
        if rdtype != "SOA" and len(fields) == numbers + 1:
            return tuple(_int_field(f) for f in fields[:numbers]) + _expect_names(fields[numbers:])
    except (ValueError, OptionError):
        pass
    raise OptionError("expect", value, "for type %s, %s" % (rdtype, EXPECT_ACCEPTED[rdtype]))


def expected_text(fields):
    """A record's or an expect value's fields as shown, separated by blanks (the fields an expect
    value leaves open are left out: ``mail.example.com`` for any MX preference)."""
    return " ".join(str(f) for f in fields if f is not None)


def record_fields(rdtype, rdata):
    """An answer record as a tuple of comparable fields (see ``parse_expected``)."""
    if rdtype in ("A", "AAAA"):
        return (ipaddress.ip_address(rdata.address).compressed,)
    if rdtype in ("CNAME", "NS", "PTR"):
        return (name_text(rdata.target),)
    if rdtype == "MX":
        return (rdata.preference, name_text(rdata.exchange))
    if rdtype == "SRV":
        return (rdata.priority, rdata.weight, rdata.port, name_text(rdata.target))
    if rdtype == "SOA":
        return (name_text(rdata.mname), name_text(rdata.rname), rdata.serial, rdata.refresh, rdata.retry,
                rdata.expire, rdata.minimum)
    return (b"".join(rdata.strings).decode("utf-8", "backslashreplace"),)


def matches(expected, fields):
    return len(expected) == len(fields) and all(e is None or e == f for e, f in zip(expected, fields))


# --- options ---------------------------------------------------------------------------

def parse_server(value):
    """``(host, port)`` from ``server``: an address with an optional port; IPv6 with a port in brackets."""
    if not isinstance(value, str) or not value.strip():
        raise OptionError("server", value, SERVER_ACCEPTED)
    text = value.strip()
    port = 53
    match = re.match(r"^\[([^\]]+)\](?::([0-9]+))?$", text)
    if match:
        host, port_text = match.group(1), match.group(2)
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host, port_text = text, None
    if port_text is not None:
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise OptionError("server", value, SERVER_ACCEPTED + "; the port from 1 to 65535")
        port = int(port_text)
    if _address(host) is None:
        raise OptionError("server", value, SERVER_ACCEPTED)
    return host, port


def validate(params):
    """Check every option once; return a Config. Raises OptionError naming option, value and what is accepted."""
    rdtype = param(OPTIONS, params, "type")
    if rdtype not in TYPES:
        raise OptionError("type", rdtype, ", ".join(TYPES))
    name = params.get("name")
    qname = query_name(name, rdtype)
    server = params.get("server")
    host_port = parse_server(server) if server is not None else None
    expect = params.get("expect")
    exact = bool(param(OPTIONS, params, "exact"))
    if expect is not None:
        if not isinstance(expect, list) or not expect:
            raise OptionError("expect", expect, "a non-empty list of values (leave expect out to accept any answer)")
        expected = []
        for value in expect:
            fields = parse_expected(rdtype, value)
            if fields not in expected:
                expected.append(fields)
    else:
        expected = None
        if exact:
            raise OptionError("exact", True, "true only with expect (the values the answers must be exactly)")
    timeout = check_timeout("timeout", param(OPTIONS, params, "timeout"), allow_none=False)
    return Config(name=name.strip(), qname=qname, type=rdtype, server=host_port, expected=expected, exact=exact,
                  timeout=timeout)


# --- the exchange ----------------------------------------------------------------------

class Server(object):
    """One nameserver to ask: its socket address and how it is shown (``127.0.0.1:53``, ``[::1]:53``)."""

    def __init__(self, host, port, per_try):
        self.host = host
        self.port = port
        self.per_try = per_try
        self.text = "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)

    def addresses(self, socktype):
        info = socket.getaddrinfo(self.host, self.port, socket.AF_UNSPEC, socktype, 0, socket.AI_NUMERICHOST)
        return info[0][0], info[0][4]


class Failure(SreHealthError):
    """A server's failure to give an answer, as the result says it; ``retry`` when asking it again
    may help (a timeout). Caught within ``ask``."""

    def __init__(self, reason, retry=False):
        super(Failure, self).__init__(reason)
        self.reason = reason
        self.retry = retry


def _socket_error(exc):
    if isinstance(exc, socket.timeout):
        return Failure("timed out", retry=True)
    if isinstance(exc, ConnectionRefusedError):
        return Failure("connection refused (nothing listens on that port)")
    if isinstance(exc, OSError) and exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return Failure("unreachable: %s" % (exc.strerror or exc).lower())
    if isinstance(exc, OSError) and exc.strerror:
        return Failure(exc.strerror[:1].lower() + exc.strerror[1:])
    return Failure("%s: %s" % (type(exc).__name__, exc))


def _parse(query, data):
    """The response in ``data``, or None when it answers another query; a Failure when it is garbage."""
    try:
        response = dns.message.from_wire(data)
    except (dns.exception.DNSException, ValueError, IndexError, struct.error, UnicodeError) as exc:
        raise Failure("malformed answer (%s)" % (str(exc) or type(exc).__name__))
    return response if query.is_response(response) else None


def _socket(server, socktype):
    """``(socket, address)`` to reach ``server`` (an address it cannot have is a Failure)."""
    try:
        family, sockaddr = server.addresses(socktype)
        return socket.socket(family, socktype), sockaddr
    except OSError as exc:
        raise _socket_error(exc)


def _open_udp(server, selector):
    """A connected, non-blocking UDP socket to ``server``, registered in ``selector`` with the server
    as its data. Connected: only this server's datagrams reach it, and its ICMP errors do too."""
    sock, sockaddr = _socket(server, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        sock.connect(sockaddr)
        selector.register(sock, selectors.EVENT_READ, server)
    except (OSError, ValueError) as exc:
        sock.close()
        raise _socket_error(exc)
    return sock


def _read(query, sock):
    """The response waiting on ``sock``, or None (nothing after all, or the answer to another query);
    a Failure for garbage or an ICMP error (connection refused)."""
    try:
        data = sock.recv(65535)
    except (BlockingIOError, InterruptedError):
        return None
    except OSError as exc:
        raise _socket_error(exc)
    return _parse(query, data)


def _recv_exactly(sock, size, deadline):
    data = b""
    while len(data) < size:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout()
        sock.settimeout(remaining)
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise Failure("connection closed by the server before its answer")
        data += chunk
    return data


def _exchange_tcp(query, server, deadline):
    """The same query over TCP (the answer came truncated): one connection, within the deadline."""
    try:
        sock, sockaddr = _socket(server, socket.SOCK_STREAM)
        try:
            sock.settimeout(max(0.001, deadline - time.monotonic()))
            sock.connect(sockaddr)
            wire = query.to_wire()
            sock.sendall(struct.pack("!H", len(wire)) + wire)
            (size,) = struct.unpack("!H", _recv_exactly(sock, 2, deadline))
            response = _parse(query, _recv_exactly(sock, size, deadline))
        except OSError as exc:
            raise _socket_error(exc)
        finally:
            sock.close()
    except Failure as exc:
        raise Failure("over TCP (the UDP answer was truncated): " + exc.reason)
    if response is None:
        raise Failure("over TCP (the UDP answer was truncated): the answer is for another query")
    return response


def _complete(query, server, response, deadline):
    """``(response, over_tcp)`` from a UDP response: asked again over TCP when it came truncated; a
    Failure for an error code (only NOERROR and NXDOMAIN answer the question)."""
    over_tcp = False
    if response.flags & dns.flags.TC:
        response, over_tcp = _exchange_tcp(query, server, deadline), True
    if response.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        raise _rcode_failure(response)
    return response, over_tcp


def _rcode_failure(response):
    rcode = response.rcode()
    text = dns.rcode.to_text(rcode)
    why = {
        dns.rcode.SERVFAIL: "the server failed to resolve the name",
        dns.rcode.REFUSED: "the server refuses to answer this query",
        dns.rcode.FORMERR: "the server could not understand the query",
        dns.rcode.NOTIMP: "the server does not implement this query",
    }.get(rcode)
    return Failure("%s (%s)" % (text, why) if why else text)


def _next(servers, active, last):
    """The index in ``servers`` of the next one still asked after index ``last``, in turn."""
    for step in range(1, len(servers) + 1):
        index = (last + step) % len(servers)
        if servers[index] in active:
            return index
    return None


class _Exchange(object):
    """One query's exchange with its servers: their open UDP sockets, what failed, the tries."""

    def __init__(self, query, servers, deadline):
        self.query = query
        self.wire = query.to_wire()
        self.deadline = deadline
        self.active = list(servers)
        self.sockets = {}
        self.failures = {}
        self.tries = 0
        self.selector = selectors.DefaultSelector()

    def failed(self, server, reason, drop):
        """Record ``reason`` as ``server``'s last failure; ``drop``: never ask it again."""
        self.failures.pop(server.text, None)
        self.failures[server.text] = reason
        if drop:
            self.active.remove(server)
            sock = self.sockets.pop(server, None)
            if sock is not None:
                self.selector.unregister(sock)
                sock.close()

    def send(self, server):
        """Send the query to ``server`` once more (on its socket, opened the first time); False when it failed."""
        self.tries += 1
        try:
            if server not in self.sockets:
                self.sockets[server] = _open_udp(server, self.selector)
            self.sockets[server].send(self.wire)
        except BlockingIOError:
            pass  # the send buffer is full: the datagram is lost, as on a network; the try runs
        except Failure as exc:
            self.failed(server, exc.reason, not exc.retry)
            return False
        except OSError as exc:
            error = _socket_error(exc)
            self.failed(server, error.reason, not error.retry)
            return False
        return True

    def listen(self, server):
        """Listen to every open socket during ``server``'s try; ``(response, peer, over_tcp)`` of the first
        answer from any of them, or None when the try ends (``server`` timed out or was dropped)."""
        window_end = min(self.deadline, time.monotonic() + server.per_try)
        while server in self.active:
            remaining = window_end - time.monotonic()
            if remaining <= 0:
                self.failed(server, "timed out", False)
                return None
            for key, _events in self.selector.select(remaining):
                answer = self._answer(key.data, key.fileobj)
                if answer is not None:
                    return answer
        return None

    def _answer(self, peer, sock):
        if peer not in self.sockets:
            return None  # dropped by an earlier event of this batch
        try:
            response = _read(self.query, sock)
            if response is None:
                return None
            response, over_tcp = _complete(self.query, peer, response, self.deadline)
        except Failure as exc:
            self.failed(peer, exc.reason, True)
            return None
        self.failures.pop(peer.text, None)
        return response, peer, over_tcp

    def close(self):
        for sock in self.sockets.values():
            sock.close()
        self.selector.close()


def ask(query, servers, deadline):
    """Ask the servers in turn until one answers NOERROR or NXDOMAIN, or the deadline.

    Returns ``(response, server, over_tcp, failures, tries)``: the response is None when no server
    gave one; failures lists ``{"server", "error"}`` in the order met, the last one per server. A
    query unanswered after the server's ``per_try`` seconds is sent again, to the next server in
    turn (or the same one), while time is left; a server that answered an error code, refused the
    connection or sent garbage is not asked again.

    Each server's socket stays open, and is listened to, until the end: an answer to an earlier try
    that comes late (a resolver waiting on a slow upstream) is taken whenever it arrives before the
    deadline, as the C library's and musl's stub resolvers do; a retry goes out on the same socket
    with the same id, so any of the tries' answers is the answer. The time it took is judged by
    resolve_time_ms, not reported as no answer.
    """
    exchange = _Exchange(query, servers, deadline)
    last = -1
    try:
        while exchange.active and time.monotonic() < deadline:
            last = _next(servers, exchange.active, last)
            server = servers[last]
            if not exchange.send(server):
                continue
            answer = exchange.listen(server)
            if answer is not None:
                response, peer, over_tcp = answer
                return response, peer, over_tcp, _failure_list(exchange.failures), exchange.tries
        return None, None, False, _failure_list(exchange.failures), exchange.tries
    finally:
        exchange.close()


def _failure_list(failures):
    return [{"server": server, "error": error} for server, error in failures.items()]


# --- the host's resolver configuration ---------------------------------------------------

def read_resolv_conf(path=None):
    """``(servers, note)`` from resolv.conf as the C library reads it: the first three
    ``nameserver`` lines and ``options timeout:N``; 127.0.0.1 when there is no nameserver (the
    note then says so). Raises OSError when the file exists but cannot be read."""
    path = path or RESOLV_CONF
    try:
        with open(path, "rb") as handle:
            text = handle.read(MAX_RESOLV_CONF_BYTES).decode("utf-8", "replace")
    except FileNotFoundError:
        text = None
    hosts, per_try = [], PER_TRY
    for line in (text or "").splitlines():
        words = line.split()
        if not words or words[0].startswith(("#", ";")):
            continue
        if words[0] == "nameserver" and len(words) > 1 and len(hosts) < MAX_NAMESERVERS and _address(words[1]) is not None:
            hosts.append(words[1])
        elif words[0] == "options":
            for option in words[1:]:
                if option.startswith("timeout:") and option[8:].isdigit() and int(option[8:]) > 0:
                    per_try = float(min(int(option[8:]), 30))
    note = None
    if not hosts:
        hosts = [LIBC_DEFAULT_SERVER]
        note = "%s %s, so %s as the C library does" % (
            path, "does not exist" if text is None else "names no nameserver", LIBC_DEFAULT_SERVER)
    return [Server(host, 53, per_try) for host in hosts], note


# --- judging ---------------------------------------------------------------------------

def follow(response, qname, rdtype):
    """``(rrset or None, cnames)``: the records of ``rdtype`` at the end of the alias chain that
    starts at ``qname`` (a CNAME query does not follow it), and the names followed."""
    wanted = dns.rdatatype.from_text(rdtype)
    name, cnames = qname, []
    while True:
        rrset = response.get_rrset(response.answer, name, dns.rdataclass.IN, wanted)
        if rrset is not None or rdtype == "CNAME" or len(cnames) >= MAX_CNAMES:
            return rrset, cnames
        alias = response.get_rrset(response.answer, name, dns.rdataclass.IN, dns.rdatatype.CNAME)
        if alias is None:
            return None, cnames
        name = alias[0].target
        if name_text(name) in cnames or name == qname:
            return None, cnames + [name_text(name)]
        cnames.append(name_text(name))


def _shown(records):
    texts = [expected_text(r) for r in records[:MAX_SHOWN]]
    more = len(records) - MAX_SHOWN
    return ", ".join(texts) + (" and %d more" % more if more > 0 else "")


def _compare(cfg, records):
    """``(missing, unexpected)`` as texts: the expected values not answered, and with ``exact`` the
    answers not expected."""
    if cfg.expected is None:
        return [], []
    missing = [expected_text(e) for e in cfg.expected if not any(matches(e, r) for r in records)]
    unexpected = []
    if cfg.exact:
        unexpected = [expected_text(r) for r in records if not any(matches(e, r) for e in cfg.expected)]
    return missing, unexpected


def _answered(cfg, response, where, extra, metrics):
    """``(critical, headline, problems)`` for a response (NOERROR or NXDOMAIN); ``where`` says
    how long it took and which server gave it."""
    extra["rcode"] = dns.rcode.to_text(response.rcode())
    extra["authoritative"] = bool(response.flags & dns.flags.AA)
    rrset, cnames = follow(response, dns.name.from_text(cfg.qname), cfg.type)
    extra["cnames"] = cnames
    via = " via %s" % " -> ".join(cnames) if cnames else ""
    if response.rcode() == dns.rcode.NXDOMAIN:
        metrics["answers"] = 0
        if cnames:
            return True, "NXDOMAIN, %s (the alias's target) does not exist%s %s" % (cnames[-1], via, where), []
        return True, "NXDOMAIN, the name does not exist %s" % where, []
    records = [record_fields(cfg.type, rdata) for rdata in rrset] if rrset is not None else []
    records.sort(key=lambda r: tuple((0, f, "") if isinstance(f, int) else (1, 0, f) for f in r))
    metrics["answers"] = len(records)
    extra["records"] = [expected_text(r) for r in records[:MAX_LISTED]]
    extra["ttl"] = rrset.ttl if rrset is not None else None
    if not records and cnames and (len(set(cnames)) < len(cnames) or cnames[-1] == cfg.qname):
        return True, "no %s record: the aliases loop (%s -> %s) %s" % (cfg.type, cfg.qname, " -> ".join(cnames), where), []
    if not records and cnames:
        return True, "no %s record: the answer ends at an alias, without its records (NOERROR)%s %s" \
            % (cfg.type, via, where), []
    if not records:
        return True, "no %s record (NOERROR without an answer: the name exists, without a record of this type) %s" \
            % (cfg.type, where), []
    missing, unexpected = _compare(cfg, records)
    extra["missing"] = missing
    extra["unexpected"] = unexpected
    problems = []
    if missing:
        problems.append("critical: expected %s, not among the answers" % ", ".join(missing))
    if unexpected:
        problems.append("critical: answered %s, not expected (exact)" % ", ".join(unexpected))
    return bool(problems), "%s%s %s" % (_shown(records), via, where), problems


def _no_answer(cfg, failures, tries, note):
    """The summary's end when no server answered: from which servers, and why."""
    reasons = set(f["error"] for f in failures)
    if not failures:
        return "no answer: the timeout (%s s) ran out before a query could be sent" % ("%g" % cfg.timeout)
    if len(reasons) == 1:
        reason = failures[0]["error"]
        if reason == "timed out":
            reason = "timed out after %s s" % ("%g" % cfg.timeout)
        why = "no answer from %s: %s" % (", ".join(f["server"] for f in failures), reason)
    else:
        why = "no answer: %s" % "; ".join("%s: %s" % (f["server"], f["error"]) for f in failures)
    counted = " (%d queries sent)" % tries if tries > 1 else ""
    return "%s%s%s" % (why, counted, " (%s)" % note if note else "")


def subject(cfg):
    """``www.example.com A``; a PTR query for an address also names the reverse name."""
    queried = cfg.qname
    if cfg.type == "PTR" and queried != cfg.name.lower().rstrip("."):
        return "%s PTR (%s)" % (cfg.name, queried)
    return "%s %s" % (queried, cfg.type)


def _servers(cfg):
    """``(servers, note)``: the configured server, or resolv.conf's."""
    if cfg.server is not None:
        return [Server(cfg.server[0], cfg.server[1], PER_TRY)], None
    return read_resolv_conf()


def _preload(rdtype):
    """Import the record classes an answer is likely to hold before the clock starts: dnspython
    imports each on first use, which would count in the first check's resolve_time_ms."""
    for text in set([rdtype, "A", "AAAA", "CNAME", "NS", "SOA", "OPT"]):
        dns.rdata.get_rdata_class(dns.rdataclass.IN, dns.rdatatype.from_text(text))


def _result(name, status, summary, metrics, compiled, started, extra):
    return [make_result(name, KIND, status, summary, metrics, thresholds_as_text(compiled),
                        (time.monotonic() - started) * 1000.0, **extra)]


def run(cfg, compiled, name=KIND):
    started = time.monotonic()
    deadline = started + cfg.timeout
    metrics = {"resolve_time_ms": None, "answers": None}
    extra = dict(query=cfg.qname, type=cfg.type, server=None, servers=[], rcode=None, authoritative=None, tcp=False,
                 records=[], ttl=None, cnames=[], failures=[])
    if cfg.expected is not None:
        extra.update(expect=[expected_text(e) for e in cfg.expected], exact=cfg.exact, missing=[], unexpected=[])
    what = subject(cfg)
    result_name = "%s:%s/%s" % (name, cfg.qname, cfg.type) if name == KIND else name
    try:
        servers, note = _servers(cfg)
    except OSError as exc:
        summary = "%s: cannot read %s: %s" % (what, RESOLV_CONF, (exc.strerror or str(exc)).lower())
        return _result(result_name, UNKNOWN, summary, metrics, compiled, started, extra)
    extra["servers"] = [s.text for s in servers]
    query = dns.message.make_query(dns.name.from_text(cfg.qname), dns.rdatatype.from_text(cfg.type), use_edns=0,
                                   payload=EDNS_PAYLOAD)
    _preload(cfg.type)
    asked = time.monotonic()
    response, server, over_tcp, failures, tries = ask(query, servers, deadline)
    extra["failures"] = failures
    if response is None:
        return _result(result_name, CRITICAL, "%s: %s" % (what, _no_answer(cfg, failures, tries, note)), metrics,
                       compiled, started, extra)
    metrics["resolve_time_ms"] = round((time.monotonic() - asked) * 1000.0, 3)
    extra["server"] = server.text
    extra["tcp"] = over_tcp
    where = "in %s from %s%s" % (format_quantity(metrics["resolve_time_ms"], MILLISECONDS), server.text,
                                 " over TCP" if over_tcp else "")
    if failures:
        where += ", after %s" % "; ".join("%s: %s" % (f["server"], f["error"]) for f in failures)
    if note:
        where += " (%s)" % note
    critical, headline, problems = _answered(cfg, response, where, extra, metrics)
    status, breaches = evaluate(metrics, compiled, METRICS)
    if breaches:
        problems.append(describe_breaches(breaches))
    summary = "%s: %s%s" % (what, headline, " (%s)" % "; ".join(problems) if problems else "")
    return _result(result_name, worst([status, CRITICAL if critical else status]), summary, metrics, compiled, started,
                   extra)
