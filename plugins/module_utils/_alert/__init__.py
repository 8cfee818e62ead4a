# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fleet alerting on the controller (the fleet_alert module), one job per module:

- ``options``: the option spec and its one validation into a Config (URL and headers are secrets);
- ``machine``: the state machine, pure logic with an injectable clock (rules below);
- ``payloads``: the JSON bodies (generic, Slack);
- ``delivery``: POSTing them within one time bound, with retries;
- ``state``: the alert state file (``_statefile``: owner-only, atomic, locked);
- ``cycle``: one run: lock, read the state, decide, send, record, write.

Rules (documented in the fleet_alert module):

- An alert key is ``<host>/<check name>`` for a check, and ``<host>`` for a host that returned no
  check results at all (unreachable, or health_check failed before measuring). A key is
  *alerting* while its status is in ``alert_on``.
- A key that starts alerting is sent as ``firing``; while it keeps alerting nothing more is sent
  (dedup), except a ``reminder`` once ``reminder`` seconds have passed since the last delivered
  notice of that key, and a new ``firing`` when it escalates to critical from a milder alerting
  status (warning or unknown) than the one last delivered.
- A key whose firing notice was delivered and that stops alerting (ok, or a status no longer in
  ``alert_on``, or a check its host no longer reports) is sent as ``resolved``. A key whose firing
  was never delivered resolves silently: the receiver never heard of it.
- ``cooldown``: a key that starts alerting again less than ``cooldown`` seconds after its last
  delivered ``resolved`` notice is *suppressed* (flapping): nothing is sent. If it is still
  alerting on a run after the cooldown has passed, it is sent as ``firing`` then.
- Hosts missing from the results (another slice, ``--limit``) leave their keys untouched.
- A notice that was not delivered is not recorded as sent: the next run tries again. A
  ``resolved`` notice that failed keeps the episode open, so a re-fire before it is delivered
  continues the earlier episode instead of paging again.
"""
