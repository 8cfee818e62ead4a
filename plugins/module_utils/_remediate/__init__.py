# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""service_state's remediation: restart unhealthy units, prove the restart held, guard against flapping.

- ``options``: the remediation and probe options, validated once with the service kind's;
- ``flapguard``: the restart log in its state file (``_statefile``) and the window arithmetic;
- ``systemd``: what needs a restart, restarting, and watching a restarted unit settle;
- ``remediation``: ``check_only`` (no remediation) and ``remediate`` (the whole cycle).

Rules (documented in the service_state module):

- A unit is restarted when it is not running (ActiveState inactive, failed or maintenance, or
  activating in SubState auto-restart: waiting to be restarted after a failure), or when the
  ``probe`` is critical. A warning (still starting, enabled mismatch, a slow probe) or an unknown
  (systemctl or the probe could not measure) is reported, never acted on: a restart cannot fix it.
- Flap guard: a unit is restarted at most ``max_restarts`` times within ``restart_window``
  seconds, counted in a JSON state file on the host. Past the limit it is not restarted and is
  critical (``skipped_flap_guard``). A restart is recorded BEFORE systemctl runs, so a run that
  dies midway still counts it.
- After the restarts, every restarted unit is watched for ``settle`` seconds: it must be active
  at every look and never re-enter the active state (a new ActiveEnterTimestampMonotonic means it
  died and systemd restarted it between two looks). Then the probe must pass (ok or warning).
- Check mode restarts nothing and writes nothing; it reports ``would_restart``.
"""
