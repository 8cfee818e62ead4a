#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: systemd_check
short_description: Check the host's systemd as a whole - its state, failed units, timers and their last runs
version_added: 1.1.0
description:
  - 'Checks systemd itself rather than named units (M(sre.health.service_state) does those): the system
    state that C(systemctl is-system-running) prints, the units in the C(failed) state, and timers - when
    each last triggered, how the service it started last ended, and when it triggers next.'
  - 'O(system_state): C(running) is ok; C(degraded) (a unit failed) is a warning, or critical with
    O(degraded_status=critical); C(starting) and C(initializing) (still booting) are warnings; C(maintenance)
    (rescue or emergency mode) and C(stopping) are critical. C(offline) - systemd is not PID 1, as in most
    containers - and C(unknown) make every result of the check C(unknown) with that reason.'
  - 'O(failed_units): the count of failed units is the metric C(failed_units), critical above 0 by default
    (C(thresholds={failed_units: {warning: 0, critical: 2}}) to be lenient); the summary names the first five,
    then "and N more". Units matching O(ignore) are not counted, and a system degraded only by ignored units
    is not degraded.'
  - 'O(timers): one result per timer, named C(<check>:<timer>). Its metric C(last_trigger_age_seconds) is how
    long ago it last triggered (null if never). It is critical when the service it starts (the timer''s
    C(Unit=), by default the service of the same name) ended its last run in failure (C(Result) not
    C(success): an exit code, a signal, a timeout...), when the timer is not active (stopped, masked,
    failed: it will not trigger), or when it has not triggered within O(max_age). A name or glob that matches
    no timer is one critical result, "no timer matches".'
  - systemctl runs at most four times (C(is-system-running), C(list-units --state=failed), one C(show) of the
    timers and the services they start, and a second C(show) only for services not named after their timer),
    each only when its part is asked for, read-only, in the C locale with C(TZ=UTC), its output bounded
    (4 MiB), all within O(timeout). A systemctl that is missing, fails or hangs makes the check C(unknown)
    with its reason.
  - Only reads; never changes the host, so it runs the same in check mode. Needs no third-party Python
    library.
author:
  - sre.health developers (!UNKNOWN)
extends_documentation_fragment:
  - sre.health.checks
  - sre.health.deadline
options:
  failed_units:
    description:
      - Count the units in the C(failed) state (C(systemctl list-units --state=failed)), as the metric
        C(failed_units), and name them in the summary.
    type: bool
    default: true
  ignore:
    description:
      - Failed units not to count, as unit names or globs (C(*), C(?), C([...])), for example
        C(user@*.service) or C(backup-*). A pattern without a unit type suffix also matches the name without
        its suffix, so C(backup-*) matches C(backup-db.service) and C(backup-db.timer).
      - They are listed in RV(checks[].ignored). When every failed unit is ignored, a C(degraded) system state
        counts as running.
      - Only with O(failed_units=true).
    type: list
    elements: str
    default: []
  system_state:
    description:
      - Judge the state C(systemctl is-system-running) prints (its exit code is not used - it is non-zero for
        every state but running).
    type: bool
    default: true
  degraded_status:
    description:
      - The status of a C(degraded) system (at least one failed unit that O(ignore) does not cover).
      - V(warning) suits most hosts, since the failed units are critical by themselves (the C(failed_units)
        threshold); V(critical) makes a degraded system critical even with O(failed_units=false).
    type: str
    choices: [warning, critical]
    default: warning
  timers:
    description:
      - Timers to check, by name or glob; the C(.timer) suffix is optional (C(logrotate), C(logrotate.timer),
        C(backup-*)). Another unit type (C(x.service)) is an error.
      - A name reads that timer even when it is stopped (it is then critical); a glob matches the timers systemd
        has loaded - enabled or started ones, those C(systemctl list-timers --all) shows.
      - Each timer matched is one result; a timer matched by two entries is reported once.
    type: list
    elements: str
    default: []
  max_age:
    description:
      - The longest a timer may go without triggering, a duration such as V(90m), V(26h) or V(8d) (units
        C(ms s m h d); a plain number is seconds). A timer whose last trigger is older is critical, and so is
        one that has been active for longer than this and never triggered. Give a little more than the timer's
        period (V(26h) for a daily timer).
      - Unset, the age is measured and shown but not judged (unless O(thresholds) has
        C(last_trigger_age_seconds)). Applies to every timer of the check; check timers of different periods in
        separate checks.
      - Only with O(timers).
    type: str
  timeout:
    description:
      - Seconds all the systemctl calls of the check may take together; the check is C(unknown) past it
        (systemd or D-Bus hung). From more than 0 to 86400, and within O(check_timeout).
    type: float
    default: 10
notes:
  - 'Default thresholds: C({failed_units: {critical: "0"}}). C(last_trigger_age_seconds) has none; O(max_age)
    is its critical bound with a meaning for timers that never triggered, and C(thresholds) can add a
    warning level, for example C({last_trigger_age_seconds: {warning: 25h}}).'
  - Timestamps in the results are UTC, as systemd prints them (C(Thu 2026-11-26 05:31:41 UTC)).
  - In M(sre.health.health_check) the kind is V(systemd), with the same options.
seealso:
  - module: sre.health.service_state
  - module: sre.health.health_check
"""

EXAMPLES = r"""
- name: Systemd is running, no unit failed, and the nightly jobs ran and succeeded within a day
  sre.health.systemd_check:
    timers:
      - logrotate
      - backup-*
    max_age: 26h

- name: Failed units, except the user sessions that fail on logout, make the host critical
  sre.health.systemd_check:
    ignore:
      - user@*.service
      - user-runtime-dir@*

- name: A degraded host is critical; only the system state is checked
  sre.health.systemd_check:
    failed_units: false
    degraded_status: critical

- name: The same inside health_check, with a warning a little before max_age
  sre.health.health_check:
    checks:
      - name: systemd
        kind: systemd
        timers: [backup-*]
        max_age: 26h
        thresholds:
          last_trigger_age_seconds: {warning: 25h}
"""

RETURN = r"""
status:
  description: Worst status of all checks (critical > warning > unknown > ok).
  returned: always
  type: str
  sample: critical
health:
  description: V(healthy) for ok, V(degraded) for warning, V(unhealthy) for critical or unknown.
  returned: always
  type: str
  sample: unhealthy
summary:
  description: One line naming every check that is not ok.
  returned: always
  type: str
  sample: "4 of 5 checks not ok: CRITICAL: systemd degraded, 3 failed units: backup-db.service, backup-web.service,
    broken.service (critical > 0; warning: system degraded (a unit failed); 1 ignored: user-cleanup@x.service);
    CRITICAL: backup-db.timer: last triggered 2s ago (Thu 2026-11-26 05:32:48 UTC), backup-db.service failed
    (exit-code, exit status 3); next Fri 2026-11-27 00:00:00 UTC (critical: last run failed); CRITICAL:
    backup-web.timer: last triggered 2s ago (Thu 2026-11-26 05:32:48 UTC), backup-web.service failed (signal,
    killed by signal 15 (SIGTERM)); next Fri 2026-11-27 05:32:48 UTC (critical: last run failed); CRITICAL: no
    timer matches nosuch.timer (not found)"
checks:
  description:
    - One result for the system (state and failed units) named like the check, when O(failed_units) or
      O(system_state) is on; then one per timer, named C(<check>:<timer>), or C(<check>:<entry>) for a name or
      glob that matches no timer.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: C(systemd) (or the check's name in M(sre.health.health_check)), with C(:<timer>) for a timer.
      type: str
      sample: "systemd:backup-db.timer"
    kind:
      description: Always C(systemd).
      type: str
      sample: systemd
    status:
      description: C(ok), C(warning), C(critical) or C(unknown).
      type: str
      sample: critical
    summary:
      description: One human line; in parentheses what is wrong.
      type: str
      sample: "backup-db.timer: last triggered 2s ago (Thu 2026-11-26 05:32:48 UTC), backup-db.service failed
        (exit-code, exit status 3); next Fri 2026-11-27 00:00:00 UTC (critical: last run failed)"
    metrics:
      description: C(failed_units) in the system's result (null when not counted), C(last_trigger_age_seconds)
        in a timer's (null when it never triggered).
      type: dict
      sample: {"failed_units": 3}
    thresholds:
      description: The effective thresholds of the result's metric.
      type: dict
      sample: {"failed_units": {"critical": "0"}}
    duration_ms:
      description: How long the check took (all its systemctl calls).
      type: float
      sample: 53.083
    system_state:
      description: What C(systemctl is-system-running) printed; null when O(system_state=false) or unknown.
      returned: in the system's result
      type: str
      sample: degraded
    degraded_status:
      description: O(degraded_status); null when the state is not checked.
      returned: in the system's result
      type: str
      sample: warning
    failed:
      description: The first 50 failed units not ignored, as C(systemctl list-units) shows them; null when
        O(failed_units=false).
      returned: in the system's result
      type: list
      elements: dict
      sample: [{"unit": "backup-db.service", "load_state": "loaded", "active_state": "failed",
                "sub_state": "failed", "description": "Backup that fails"},
               {"unit": "broken.service", "load_state": "loaded", "active_state": "failed", "sub_state": "failed",
                "description": "Service that fails at once"}]
    ignored:
      description: The first 50 failed units that O(ignore) matched; null when O(failed_units=false).
      returned: in the system's result
      type: list
      elements: str
      sample: ["user-cleanup@x.service"]
    ignore:
      description: O(ignore), as given.
      returned: in the system's result
      type: list
      elements: str
      sample: ["user-cleanup@*"]
    timer:
      description: The timer's name; null in a result for an entry that matches no timer.
      returned: in a timer's result
      type: str
      sample: backup-db.timer
    pattern:
      description: The entry of O(timers) that matched it, with its C(.timer) suffix.
      returned: in a timer's result
      type: str
      sample: "backup-*.timer"
    description:
      description: The timer's C(Description=).
      returned: in a timer's result
      type: str
      sample: Runs backup-db
    load_state:
      description: The timer's C(LoadState) (C(loaded), C(masked)...).
      returned: in a timer's result
      type: str
      sample: loaded
    active_state:
      description: The timer's C(ActiveState); C(active) while it waits to trigger.
      returned: in a timer's result
      type: str
      sample: active
    sub_state:
      description: The timer's C(SubState) (C(waiting), C(running), C(elapsed), C(dead)).
      returned: in a timer's result
      type: str
      sample: waiting
    unit_file_state:
      description: The timer's C(UnitFileState) (C(enabled), C(disabled), C(static)...).
      returned: in a timer's result
      type: str
      sample: disabled
    last_trigger:
      description: When the timer last triggered (C(LastTriggerUSec)), UTC; null if never.
      returned: in a timer's result
      type: str
      sample: "Thu 2026-11-26 05:32:48 UTC"
    next_elapse:
      description: When the timer triggers next, UTC - the sooner of its calendar (C(NextElapseUSecRealtime)) and
        monotonic (C(OnBootSec), C(OnUnitActiveSec)...) elapse; null when nothing is scheduled.
      returned: in a timer's result
      type: str
      sample: "Fri 2026-11-27 00:00:00 UTC"
    max_age:
      description: O(max_age), as given.
      returned: in a timer's result
      type: str
      sample: 26h
    service:
      description: The unit the timer starts (its C(Unit=)).
      returned: in a timer's result
      type: str
      sample: backup-db.service
    service_active_state:
      description: That service's C(ActiveState) (C(failed) after a failed run, C(activating) while a oneshot runs).
      returned: in a timer's result
      type: str
      sample: failed
    service_result:
      description: That service's C(Result) - how its last run ended (C(success), C(exit-code), C(signal),
        C(core-dump), C(timeout), C(oom-kill)...).
      returned: in a timer's result
      type: str
      sample: exit-code
    service_exit_code:
      description: How its main process ended - C(exited), C(killed) (by a signal) or C(dumped) (core); null if
        it never ran.
      returned: in a timer's result
      type: str
      sample: exited
    service_exit_status:
      description: The exit status, or the signal number when killed; null if it never ran.
      returned: in a timer's result
      type: int
      sample: 3
    service_started:
      description: When its last run started, UTC; null if it never ran.
      returned: in a timer's result
      type: str
      sample: "Thu 2026-11-26 05:32:48 UTC"
    service_exited:
      description: When its last run ended, UTC; null if it never ran or still runs.
      returned: in a timer's result
      type: str
      sample: "Thu 2026-11-26 05:32:48 UTC"
"""

from ansible_collections.sre.health.plugins.module_utils._compile_once import install

install()  # before the imports below: each is then compiled once from the AnsiballZ zip

from ansible_collections.sre.health.plugins.module_utils import _systemd
from ansible_collections.sre.health.plugins.module_utils._module import run_module


def main():
    run_module(_systemd)


if __name__ == "__main__":
    main()
