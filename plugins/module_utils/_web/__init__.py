# Copyright: sre.health contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one HTTP client of sre.health (like community.docker's ``_api``).

Shared by the ``http`` kind, the ``metrics`` kind and the alert webhook
sender: session creation, retries with backoff, one deadline per request,
streamed bounded body reads, redaction of URLs and headers (one rule set),
the ``Scrubber``, ``check_url``, request error text and TLS client-file checks.
"""
