# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one base error of the collection.

Every error a user can cause (an option value, a threshold, a check definition, a state file
that cannot be used) derives from :class:`SreHealthError`, whose text is the whole message for
the user: it names the option, the value and what is accepted. Each module's edge catches this
one class and turns it into ``fail_json(msg=...)``; anything else is a bug.

Pure logic, no Ansible imports.
"""

from __future__ import annotations


class SreHealthError(ValueError):
    """Base of every error whose message is meant for the user as it is."""


class OptionError(SreHealthError):
    """An option value the check cannot use: names the option, the value and what is accepted."""

    def __init__(self, option, value, accepted):
        super(OptionError, self).__init__("option %s: %r is invalid; accepted: %s" % (option, value, accepted))
        self.option = option


def result_var_refused(value, plugin):
    """The message of a module sent to a host and given ``result_var``, which only its action plugin (``plugin``),
    on the controller where the hosts' variables are, can read."""
    return ("option result_var: %r is not accepted by the module; accepted: unset, with results (the hosts' "
            "variables are on the controller: the %s action plugin, which runs there, reads them)" % (value, plugin))


class ThresholdError(SreHealthError):
    """An invalid ``thresholds`` entry; ``option`` is the dotted path of the bad value."""

    def __init__(self, option, message):
        super(ThresholdError, self).__init__("%s: %s" % (option, message))
        self.option = option


class CheckDefinitionError(SreHealthError):
    """An invalid entry of ``checks``; the message names the entry, the option and the reason."""


class MissingLibraryError(SreHealthError):
    """A Python library the check needs is not importable on this host."""

    def __init__(self, libraries):
        self.libraries = list(libraries)
        super(MissingLibraryError, self).__init__("missing Python library on this host: %s" % ", ".join(self.libraries))
