# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a check kind is, and the few things done with any kind.

A check kind is one module of ``plugins/module_utils`` (``_disk``, ``_http``, ...) that provides:

``KIND``
    its name in ``health_check`` entries (``disk``, ``http``, ...);
``METRICS``
    ``{metric: unit kind}``, the numbers it measures (``_units``);
``DEFAULT_THRESHOLDS``
    ``{metric: {warning: range, critical: range}}``;
``OPTIONS``
    its argument spec (without the common ``fail_on`` and ``thresholds``);
``CONSTRAINTS``
    the spec's constraints, as keyword arguments of ``AnsibleModule`` and
    ``ArgumentSpecValidator`` (``mutually_exclusive``, ``required_together``, ...), ``{}`` for none;
``REQUIRES``
    ``{import name: callable telling whether it is importable}``;
``ISOLATED``
    True when the kind feeds text that hosts or peers choose to a user's pattern or a parser
    (a command line, a log line, an HTTP body, a metrics page): it then runs in a child process
    that is killed at its deadline. False for pure measurements (disk, memory, load, service),
    which run in a thread: they cannot hold the interpreter for long, and a thread stuck in the
    kernel (a hung mount) is abandoned at its deadline anyway. ``validate()`` may decide per
    check through ``Config.isolated`` (a process check without a pattern needs no child);
``validate(params)``
    called once with the parameters the spec accepted, before anything runs; checks what the
    spec cannot (ranges, regular expressions, files), and returns one :class:`Config`. It raises
    only :class:`~._errors.SreHealthError` subclasses;
``run(config, compiled, name)``
    measures and judges, returning a list of check results (``_status.make_result``); it never
    validates again;
``raw_secrets(params)`` (optional)
    the secrets in raw, unvalidated parameters that no ``no_log`` option holds (the command kind's
    environment values), found without ever raising (see :func:`raw_secrets`).

``health_check`` and each kind's standalone module both go through :func:`validate_entry`-like
steps here, so a kind is written once. Pure logic, no ``AnsibleModule``.
"""

from __future__ import annotations

import importlib.util
import os

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.sre.health.plugins.module_utils._errors import SreHealthError
from ansible_collections.sre.health.plugins.module_utils._status import compile_thresholds

# What a kind module must define (see the module documentation).
PROTOCOL = ("KIND", "METRICS", "DEFAULT_THRESHOLDS", "OPTIONS", "CONSTRAINTS", "REQUIRES", "ISOLATED", "validate",
            "run")

# Python library import name -> what to install on the target, for missing_required_lib.
PACKAGES = {
    "psutil": "psutil (Debian/Ubuntu package python3-psutil, RHEL python3-psutil, or pip install psutil)",
    "requests": "requests (Debian/Ubuntu package python3-requests, or pip install requests)",
    "prometheus_client": "prometheus_client (Debian/Ubuntu package python3-prometheus-client, RHEL "
                         "python3-prometheus_client, or pip install prometheus-client)",
    "cryptography": "cryptography (Debian/Ubuntu package python3-cryptography, or pip install cryptography)",
    "dns": "dnspython (Debian/Ubuntu package python3-dnspython, RHEL python3-dns, or pip install dnspython)",
}


# Python library import name -> the OS package that provides it (Debian, Ubuntu, RHEL and Fedora
# name them alike, except as in RPM_PACKAGES), for the health_check role, which installs only what a
# host's checks lacked.
OS_PACKAGES = {
    "psutil": "python3-psutil",
    "requests": "python3-requests",
    "prometheus_client": "python3-prometheus-client",
    "cryptography": "python3-cryptography",
    "dns": "python3-dnspython",
}

# Where RHEL and Fedora name the package otherwise (dnf installs by name: python3-prometheus-client
# matches nothing there).
RPM_PACKAGES = {
    "dns": "python3-dns",
    "prometheus_client": "python3-prometheus_client",
}


def os_packages(libraries, rpm=None):
    """The OS packages providing ``libraries`` (import names) on this host: RPM_PACKAGES' names
    where rpm, not dpkg, manages the packages (``rpm`` forces the choice)."""
    if rpm is None:
        rpm = os.path.exists("/usr/bin/rpm") and not os.path.exists("/usr/bin/dpkg")
    names = dict(OS_PACKAGES, **RPM_PACKAGES) if rpm else OS_PACKAGES
    return [names.get(lib, "python3-" + lib) for lib in libraries]


class Config(object):
    """The validated options of one check, as attributes.

    ``secrets`` holds the values (passwords, tokens, credential headers, URLs carrying them)
    that must never be shown; ``health_check`` adds them to the module's ``no_log_values``.
    ``isolated`` (None: the kind's ``ISOLATED``) says whether this check needs a child process:
    a kind may need one only for some options (an http check with ``body_regex``).
    ``check_mode`` is set by the module that runs the check (Ansible's check mode): a kind whose
    run could touch something (a command) reads it. ``libraries`` names the Python libraries this
    check needs beyond its kind's ``REQUIRES`` (cryptography for an https URL's certificate).
    """

    def __init__(self, **values):
        self.secrets = ()
        self.isolated = None
        self.check_mode = False
        self.libraries = ()
        self.__dict__.update(values)

    def __repr__(self):
        shown = sorted(k for k in self.__dict__ if k != "secrets")
        return "Config(%s)" % ", ".join(shown)


def param(options, params, key):
    """``params[key]``, or the option's default from the spec ``options`` when it is missing or None
    (a kind's ``validate()`` may be given parameters that no spec filled in)."""
    value = params.get(key)
    if value is None:
        return options[key].get("default")
    return value


def isolated(kind, config):
    """Whether this check runs in a child process (its config decides, else its kind)."""
    return kind.ISOLATED if config.isolated is None else bool(config.isolated)


def missing_libraries(kind):
    """Install hints of the libraries ``kind`` needs that are not importable here."""
    return [PACKAGES.get(lib, lib) for lib, available in kind.REQUIRES.items() if not available()]


def importable(name):
    """Whether this Python can import ``name`` (without importing it)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def missing_imports(checks):
    """The import names of the libraries that ``checks`` (``(kind, config)`` pairs) need and this
    Python lacks, sorted."""
    missing = set()
    for kind, config in checks:
        missing.update(lib for lib, available in kind.REQUIRES.items() if not available())
        missing.update(lib for lib in config.libraries if not importable(lib))
    return sorted(missing)


def secret_options(kind):
    """The option names the kind's spec marks ``no_log`` (their raw values are secrets)."""
    return [name for name, spec in kind.OPTIONS.items() if spec.get("no_log")]


def raw_secrets(kind, params):
    """The secrets in raw, unvalidated parameters, found without ever raising.

    Every ``no_log`` option's value and, for kinds that send requests (a ``url`` option), what
    a request carries: the URL's password and credential query values, credential header
    values, the basic credentials. Modules register these before validating, so that an input
    that fails validation (and is printed back at -vvv) shows none of them.
    """
    if not isinstance(params, dict):
        return set()
    passwords = [params.get(o) for o in secret_options(kind) if isinstance(params.get(o), str)]
    found = set(p for p in passwords if p)
    for option in secret_options(kind):
        # a dict or list of secrets (the command kind's secrets): each value, as Ansible lists a no_log option's
        if isinstance(params.get(option), (dict, list)):
            found |= _scalars(params[option])
    if hasattr(kind, "raw_secrets"):
        # what only the kind knows is a secret (the command kind's environment values)
        found |= kind.raw_secrets(params)
    if "url" in kind.OPTIONS:
        # only the kinds that take a URL pay for compiling the redaction rules
        from ansible_collections.sre.health.plugins.module_utils._web.redact import request_secrets
        found |= request_secrets(params.get("url"), params.get("headers"), params.get("url_username"), passwords)
    return found


def _scalars(value, depth=0):
    """The non-empty texts and numbers inside ``value`` (dicts' values, lists' items), as text."""
    if isinstance(value, bool) or value is None or depth > 20:
        return set()
    if isinstance(value, (str, int, float)):
        return set([str(value)]) if str(value) else set()
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    found = set()
    for item in items:
        found |= _scalars(item, depth + 1)
    return found


def spec_validator(kind):
    """An ArgumentSpecValidator for the kind's options and constraints."""
    return ArgumentSpecValidator(kind.OPTIONS, **kind.CONSTRAINTS)


def validate_params(kind, params):
    """Apply the kind's argument spec (types, defaults, constraints) to ``params``, then its
    ``validate()``; return the Config. Raises OptionError-derived errors with the spec's message.
    """
    validation = spec_validator(kind).validate(dict(params))
    if validation.error_messages:
        raise SpecError("; ".join(validation.error_messages))
    return kind.validate(validation.validated_parameters)


def check(kind, params=None, thresholds=None, name=None):
    """Validate and run one check of ``kind`` from raw parameters; return its results.

    For callers outside a module run (tests, the benchmark); modules validate through their spec.
    """
    config = validate_params(kind, params or {})
    compiled = compile_thresholds(thresholds, kind.METRICS, kind.DEFAULT_THRESHOLDS)
    return kind.run(config, compiled, name or kind.KIND)


class SpecError(SreHealthError):
    """The argument spec rejected the parameters; the message is the spec's own."""
