#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: service_state
short_description: Check that systemd units are running (or stopped) and enabled as expected
version_added: 1.0.0
description:
  - Reads every unit of O(name) with B(one) C(systemctl show) call, asking only for the properties it needs
    (not C(service_facts), which lists every unit on the host), and gives one result per unit.
  - 'Per unit it measures V(active) (1 when the ActiveState is active, reloading or refreshing, else 0),
    V(restarts) (C(NRestarts), automatic restarts since the unit was last started by hand), V(uptime_seconds)
    (time since it last became active, from C(ActiveEnterTimestampMonotonic); null when not active) and
    V(memory_bytes) (C(MemoryCurrent) of its control group; null when memory accounting is off or nothing runs).'
  - 'With O(expect=active): C(active), C(reloading) and C(refreshing) are C(ok); C(activating) is C(warning)
    while the unit starts and C(critical) when it waits to restart after a failure (SubState C(auto-restart));
    C(inactive), C(failed), C(deactivating) and C(maintenance) are C(critical). A unit that does not exist is
    C(critical) ("nginx.service: unit not found"). A unit that runs although it is masked, or although its
    unit file no longer loads (LoadState C(bad-setting) or C(error)), is C(warning): it will not start again.'
  - 'With O(expect=inactive): C(inactive), C(failed) and C(maintenance) (nothing running) are C(ok); anything
    running, starting or stopping is C(critical). A unit that does not exist counts as not running (C(ok)),
    and its summary says "unit not found".'
  - The summary names the ActiveState and SubState, a non-success C(Result) (such as C(exit-code)), the
    unit-file state (C(enabled), C(disabled), C(static), C(masked), ... or C(no unit file)), uptime, restarts
    and memory, then in parentheses every problem with its level.
  - If C(systemctl) is missing (not a systemd host), fails (for example "System has not been booted with
    systemd as init system"), or does not answer within O(timeout), every unit is C(unknown) with that message.
  - Only reads; never changes the host, so it runs the same in check mode.
author:
  - sre.health developers (!UNKNOWN)
extends_documentation_fragment:
  - sre.health.checks
options:
  name:
    description:
      - The units to check. A name without a unit-type suffix is a service (V(nginx) means V(nginx.service)),
        as C(systemctl) does; other types (V(apt-daily.timer), V(var-lib.mount), V(docker.socket)) are
        checked the same way.
      - 'Names follow systemd''s unit name syntax: letters, digits, colon, dash, underscore, dot and backslash,
        one C(@) before an instance, at most 255 characters. Globs, spaces and templates without an instance
        (V(getty@.service)) are refused before C(systemctl) runs.'
      - An alias (V(sshd.service) for V(ssh.service)) is reported under the name given, with the unit's
        real name in RV(checks[].unit).
    type: list
    elements: str
    required: true
    aliases: [units]
  expect:
    description:
      - The state the units must be in. V(active) means running (or, for a oneshot unit with
        C(RemainAfterExit), exited after success), V(inactive) means not running.
      - Not being in the expected state is C(critical) (see the description for each ActiveState).
    type: str
    choices: [active, inactive]
    default: active
  enabled:
    description:
      - The expected unit-file state, judged as C(systemctl is-enabled) judges it. Unset, it is not checked.
      - V(true) passes for C(enabled), C(enabled-runtime), C(alias), C(static), C(indirect), C(generated)
        and C(transient). The unit then starts by its own rules; it is installed into a target, pulled in by
        another unit, generated or created at runtime.
      - V(false) passes for every other state, that is C(disabled), C(linked), C(linked-runtime), C(masked),
        C(masked-runtime), C(bad), and a unit without a unit file.
      - A mismatch is a C(warning) (the unit may not come back after a reboot, or may come back when it
        should not), and the summary names the actual state, for example C(static) or C(masked).
      - Not checked for a unit that does not exist.
    type: bool
  timeout:
    description:
      - Seconds to wait for C(systemctl show) before killing it and reporting every unit C(unknown).
    type: float
    default: 10
  thresholds:
    description:
      - 'Metrics: V(restarts) (count), V(uptime_seconds) (durations such as C(10m)), V(memory_bytes) (bytes
        such as C(512MiB)). V(active) takes no thresholds: O(expect) decides it.'
      - 'No thresholds by default: restart counts, memory and uptime depend on the service. For example
        V({restarts: {warning: 0, critical: 5}}) alerts on any automatic restart, V({uptime_seconds:
        {warning: "5m:"}}) on a unit that (re)started less than five minutes ago.'
      - A metric that is null (uptime of a stopped unit, memory without accounting) is not judged.
notes:
  - Needs no third-party Python library; runs C(systemctl) (found in E(PATH) and the sbin directories)
    with C(LC_ALL=C) and no pager.
  - V(restarts) needs systemd 235 or later (C(NRestarts)); on older systemd it is null.
seealso:
  - module: sre.health.health_check
  - module: ansible.builtin.systemd_service
  - name: systemctl show
    description: The properties this module reads.
    link: https://www.freedesktop.org/software/systemd/man/latest/systemctl.html#show%20PATTERN%E2%80%A6%7CJOB%E2%80%A6
"""

EXAMPLES = r"""
- name: Check that nginx and ssh run
  sre.health.service_state:
    name:
      - nginx
      - ssh

- name: Check that the web stack runs, starts at boot, has not restarted on its own and uses under 1 GiB
  sre.health.service_state:
    name: [nginx.service, php8.2-fpm.service, apt-daily.timer]
    enabled: true
    thresholds:
      restarts:
        warning: 0
        critical: 5
      memory_bytes:
        warning: 768MiB
        critical: 1GiB

- name: Check that legacy services are stopped and disabled (absent ones count as stopped)
  sre.health.service_state:
    name: [telnet.socket, rsh.socket, apache2]
    expect: inactive
    enabled: false

- name: Report, without failing the play, services that restarted in the last 10 minutes
  sre.health.service_state:
    name: [postgresql, redis-server]
    thresholds:
      uptime_seconds:
        warning: "10m:"
    fail_on: never
  register: services

- name: Show the units that are not ok
  ansible.builtin.debug:
    msg: "{{ services.checks | rejectattr('status', 'eq', 'ok') | map(attribute='summary') | list }}"
"""

RETURN = r"""
status:
  description: Worst status of all units (critical > warning > unknown > ok).
  returned: always
  type: str
  sample: critical
health:
  description: V(healthy) for ok, V(degraded) for warning, V(unhealthy) for critical or unknown.
  returned: always
  type: str
  sample: unhealthy
summary:
  description: One line naming every unit that is not ok.
  returned: always
  type: str
  sample: "2 of 3 checks not ok: CRITICAL: app.service: failed, result exit-code, enabled, 5 restarts
    (critical: expected active); CRITICAL: nosuch.service: unit not found"
checks:
  description: One result per unit, in the order of O(name) (duplicates removed).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: C(service:) followed by the unit name as requested (with the C(.service) suffix added).
      type: str
      sample: "service:nginx.service"
    kind:
      description: Always C(service).
      type: str
      sample: service
    status:
      description: C(ok), C(warning), C(critical) or C(unknown).
      type: str
      sample: ok
    summary:
      description: One human line.
      type: str
      sample: "nginx.service: active (running), enabled, up 39m 35s, 0 restarts, memory 5.1 MiB"
    metrics:
      description: The measured metrics; null when systemd does not report them or they do not apply.
      type: dict
      sample: {"active": 1, "restarts": 0, "uptime_seconds": 2375.8, "memory_bytes": 5349376}
    thresholds:
      description: The effective thresholds (none unless set in O(thresholds)).
      type: dict
      sample: {"restarts": {"warning": "0", "critical": "5"}}
    duration_ms:
      description: How long the one C(systemctl show) call took (the same for every unit).
      type: float
      sample: 9.812
    unit:
      description: The unit's real name (C(Id)); differs from the requested name for an alias.
      type: str
      sample: ssh.service
    expected:
      description: The expectations the unit was judged against, O(expect) and O(enabled).
      type: dict
      sample: {"state": "active", "enabled": true}
    description:
      description: The unit's C(Description).
      type: str
      returned: when systemctl answered and the unit exists
      sample: A high performance web server and a reverse proxy server
    load_state:
      description: C(LoadState), such as C(loaded), C(not-found), C(masked), C(bad-setting).
      type: str
      returned: when systemctl answered
      sample: loaded
    active_state:
      description: C(ActiveState), such as C(active), C(inactive), C(failed), C(activating).
      type: str
      returned: when systemctl answered
      sample: active
    sub_state:
      description: C(SubState), such as C(running), C(exited), C(dead), C(auto-restart), C(waiting).
      type: str
      returned: when systemctl answered
      sample: running
    unit_file_state:
      description: C(UnitFileState), such as C(enabled), C(disabled), C(static), C(masked); null when the unit
        has no unit file or does not exist.
      type: str
      returned: when systemctl answered
      sample: enabled
    enabled:
      description: Whether C(systemctl is-enabled) would succeed for RV(checks[].unit_file_state); null when
        the unit does not exist.
      type: bool
      returned: when systemctl answered
      sample: true
    unit_result:
      description: The unit's C(Result) of its last run, such as C(success), C(exit-code), C(signal),
        C(timeout), C(start-limit-hit); null for unit types without one and for units that do not exist.
      type: str
      returned: when systemctl answered
      sample: exit-code
    main_pid:
      description: The main process ID while the unit is active; null otherwise.
      type: int
      returned: when systemctl answered
      sample: 734
    active_since:
      description: When the unit last became active, as systemctl prints it; null when not active.
      type: str
      returned: when systemctl answered
      sample: "Sun 2026-11-22 11:05:01 UTC"
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sre.health.plugins.module_utils import _service
from ansible_collections.sre.health.plugins.module_utils._module import argument_spec, run_kind


def main():
    module = AnsibleModule(argument_spec=argument_spec(_service), supports_check_mode=True)
    run_kind(module, _service)


if __name__ == "__main__":
    main()
