#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: service_state
short_description: Check that systemd units run as expected, and safely restart the ones that died
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
  - With O(probe), an http or port check must also pass; its result is one more entry of RV(checks).
  - By default only reads; never changes the host, so it runs the same in check mode.
  - 'With O(remediate=true) it restarts (C(systemctl restart)) every unit that is not running (ActiveState
    C(inactive), C(failed) or C(maintenance), or C(activating) while waiting to restart after a failure),
    and every unit of O(name) when the O(probe) is C(critical). Warnings (a unit still starting, an enabled
    mismatch, a slow probe) are reported, never acted on: a restart cannot fix them.'
  - 'A unit whose state cannot be read (C(systemctl) missing, systemd not running, no answer) is never
    restarted and stays C(unknown), with outcome V(unknown) and a summary naming why, in check mode too, so
    the task fails under O(fail_on=critical) and O(fail_on=warning): a remediation that could not look never
    passes.'
  - 'After the restarts it watches every restarted unit for O(settle) seconds: the unit must be active at every
    look (four per second) and must not become active again in between (systemd restarted it after it died),
    which catches the service that starts and dies a second later. Then the probe must pass (C(ok) or
    C(warning)). Each unit gets an RV(checks[].outcome): V(recovered), V(still_failing),
    V(skipped_flap_guard), V(would_restart) (check mode), V(healthy), V(no_action) or V(unknown).'
  - 'Flap guard: at most O(max_restarts) restarts per unit within O(restart_window), counted in O(state_file)
    on the host. Past the limit the unit is not restarted and is C(critical) (V(skipped_flap_guard)), with the
    time the next restart is allowed. Each restart is recorded before it runs, so a run that dies midway still
    counts it. The file is replaced atomically (temporary file, fsync, rename; mode 0600) under an exclusive
    lock, so two runs on one host never restart the same units at once. A corrupt or unreadable file is
    reported as a warning and rebuilt with no history, never a traceback.'
  - Reports V(changed) only when it restarted something. Units that do not exist fail the task before anything
    is restarted.
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
      - O(remediate) never changes the unit-file state; a mismatch stays a C(warning).
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
  remediate:
    description:
      - Restart the units that are down or whose O(probe) fails, then verify the restart held (see the description).
      - Needs O(expect=active), and root (C(become)) on most hosts.
      - With O(remediate=false) the remediation options are still validated, and the probe still runs as a check.
    type: bool
    default: false
  settle:
    description:
      - Seconds a restarted unit must stay active, without dying and being restarted by systemd, to count as
        V(recovered). V(0) takes a single look right after the restart.
      - From 0 to 3600.
    type: float
    default: 5
  probe:
    description:
      - 'An http or port check (the options of M(sre.health.http_check) or M(sre.health.port_check), with
        V(kind) V(http) or V(port), and optionally V(name), V(thresholds) and V(check_timeout)) that must pass
        for the units to count as healthy, for example V({kind: port, port: 80}) or
        V({kind: http, url: "http://127.0.0.1/health", expected_status: [200]}).'
      - It runs once before any restart; when it is C(critical), every unit of O(name) is restarted (give one
        service per task when services have different probes). It runs again after O(settle) and must then be
        C(ok) or C(warning).
      - Its result is the last entry of RV(checks), named V(<name>:probe) unless it has a V(name).
    type: dict
  max_restarts:
    description:
      - The flap guard's limit; at most this many restarts of a unit within O(restart_window). An integer from 1
        to 1000.
    type: int
    default: 3
  restart_window:
    description:
      - The flap guard's window; seconds, or a duration with a unit (V(30m), V(1h), V(1d)).
    type: raw
    default: 1h
  restart_timeout:
    description:
      - Seconds to wait for C(systemctl restart) (the start job, for units that signal readiness), and for the
        state file's lock when another run holds it. At most 86400 (one day).
    type: float
    default: 90
  state_file:
    description:
      - The flap guard's restart log on the host, a JSON file holding the restart times (epoch seconds) of each
        unit. Its directory is created when missing.
      - Read only when a unit needs a restart (or in check mode, to tell whether it would be allowed), written
        only when a unit is restarted or the file is damaged; never written in check mode.
      - The guard fails closed. When the log is damaged, is not a regular file owned by the running user, or was
        deleted while its lock file C(<state_file>.lock) shows an earlier remediation, no unit is restarted on that
        run (each is C(critical), C(skipped_flap_guard), with the reason) and the log is rebuilt empty, so the next
        run counts again. To forget the history on purpose, remove both files.
    type: path
    default: /var/lib/sre-health/service-restarts.json
attributes:
  check_mode:
    support: full
    details: Without O(remediate), the module only reads. With it, check mode restarts nothing and writes nothing,
      and each unit that would be restarted (and that the flap guard would allow) reports V(would_restart).
  diff_mode:
    support: full
    details: With O(remediate=true), the diff shows each unit's state before and after (predicted in check mode).
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
- name: Restart nginx if it is down or does not answer on port 80, at most 3 times an hour
  sre.health.service_state:
    name: nginx
    remediate: true
    settle: 5
    probe:
      kind: http
      url: http://127.0.0.1/
    max_restarts: 3
    restart_window: 1h
  become: true

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
changed:
  description: True when the module restarted at least one unit; in check mode, true when it would restart one.
  returned: always
  type: bool
  sample: true
summary:
  description: One line naming every unit that is not ok.
  returned: always
  type: str
  sample: "2 of 3 checks not ok: CRITICAL: app.service: failed, result exit-code, enabled, 5 restarts
    (critical: expected active); CRITICAL: nosuch.service: unit not found"
checks:
  description: One result per unit, in the order of O(name) (duplicates removed), then the O(probe)'s result
    when there is one.
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
    outcome:
      description:
        - What remediation did for the unit. V(recovered) (restarted, stayed active for O(settle) seconds, probe
          passed), V(still_failing) (restarted but died, failed to start, or the probe still fails),
          V(skipped_flap_guard) (needed a restart but the flap guard's limit is reached), V(would_restart) (check
          mode), V(healthy) (nothing to do), V(no_action) (a warning that a restart cannot fix), V(unknown)
          (the unit's state could not be read, as C(systemctl) is missing, systemd is not running or it does
          not answer; nothing was done, and the unit's status is C(unknown)).
        - The unit's RV(checks[].status) is C(critical) for V(still_failing), V(skipped_flap_guard) and
          V(would_restart); for the others it is the unit's state after remediation.
      type: str
      returned: when O(remediate=true)
      sample: recovered
    found:
      description: The unit's summary before remediation.
      type: str
      returned: when O(remediate=true)
      sample: "nginx.service: inactive (dead), enabled (critical: expected active)"
    action:
      description: V(restart) when the module restarted the unit, V(would restart) in check mode, else V(none).
      type: str
      returned: when O(remediate=true)
      sample: restart
"""

from ansible_collections.sre.health.plugins.module_utils._compile_once import install

install()  # before the imports below: each is then compiled once from the AnsiballZ zip

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sre.health.plugins.module_utils import _service
from ansible_collections.sre.health.plugins.module_utils._errors import SreHealthError
from ansible_collections.sre.health.plugins.module_utils._kind import raw_secrets
from ansible_collections.sre.health.plugins.module_utils._module import argument_spec, exit_results, fail
from ansible_collections.sre.health.plugins.module_utils._remediate import options, remediation
from ansible_collections.sre.health.plugins.module_utils._status import compile_thresholds


def hide_probe_secrets(module):
    """The probe's credentials never show, even when the probe itself is invalid."""
    probe = module.params.get("probe")
    kind = options.probe_kind(probe)
    if kind is not None:
        module.no_log_values.update(raw_secrets(kind, probe))


def main():
    spec = argument_spec(_service)
    spec.update(options.REMEDIATE_OPTIONS)
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **_service.CONSTRAINTS)
    params = module.params
    hide_probe_secrets(module)
    try:
        config = options.validate(params)
        compiled = compile_thresholds(params.get("thresholds"), _service.METRICS, _service.DEFAULT_THRESHOLDS)
        if not params["remediate"]:
            checks = remediation.check_only(config, compiled)
        else:
            outcome = remediation.remediate(config, compiled, module.check_mode)
    except SreHealthError as exc:
        fail(module, exc)
    if not params["remediate"]:
        exit_results(module, checks, params["fail_on"])
    for warning in outcome["warnings"]:
        module.warn(warning)
    extra = dict(changed=outcome["changed"])
    if module._diff:
        extra["diff"] = outcome["diff"]
    exit_results(module, outcome["checks"], params["fail_on"], **extra)


if __name__ == "__main__":
    main()
