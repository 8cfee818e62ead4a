#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_alert
short_description: Send deduplicated fleet health alerts to a webhook, with reminders, cooldown and recovery notices
version_added: 1.0.0
description:
  - Runs on the controller (the C(sre.health.fleet_report) role calls it once per play, delegated to
    C(localhost)). Compares the hosts' health results with the alert state kept in O(state_file) and POSTs
    what changed to a webhook, as generic JSON or as a Slack incoming-webhook message.
  - 'B(Keys.) An alert is identified by its key: C(<host>/<check name>) for a check (for example
    C(web1/disk:/var)), and C(<host>) alone for a host that returned no check results at all (unreachable, or
    its health check failed before measuring). A key is I(alerting) while its status is one of O(alert_on).'
  - 'B(firing): a key that starts alerting is sent once. B(Dedup): while it keeps alerting, later runs send
    nothing. B(reminder): a key still alerting O(reminder) after its last delivered notice is sent again as
    C(reminder). B(Escalation): a key that becomes C(critical) while its last delivered notice said C(warning) or
    C(unknown) is sent again as C(firing); other changes between alerting statuses (critical to unknown) send
    nothing, and the next reminder carries the new status. B(resolved): a key whose firing notice was delivered and that stops alerting (its status is no
    longer in O(alert_on), or its host now reports without that check) is sent as C(resolved). A key whose
    firing notice was never delivered resolves silently.'
  - 'B(Cooldown), against flapping: a key that starts alerting again less than O(cooldown) after its last
    delivered C(resolved) notice is I(suppressed): nothing is sent and it is listed in RV(suppressed). If it is
    still alerting on a run after the cooldown has passed, it is sent as C(firing) then.'
  - Hosts that are not in O(results) (another job slice, C(--limit)) keep their alerts untouched, so slices and
    limited runs never resolve each other's alerts. A host that returns no check results leaves its check keys
    untouched too (nothing is known about them) and alerts on its host key.
  - 'B(Batching): all notices of a run go in as few POSTs as possible, at most O(batch_size) notices each, so a
    bad push to the whole fleet is one message, not hundreds.'
  - 'B(Delivery) never fails the play: a webhook that refuses connections, answers 5xx, 408 or 429, or never
    answers is retried with exponential backoff (0.5 s, 1 s, 2 s...), all of it within O(timeout) in total.
    What was not delivered is listed in RV(undelivered), a warning says so, the task still succeeds, and the state
    records it as not sent so that the next run sends it again. Other 4xx answers (a revoked token) are not
    retried.'
  - 'B(State): O(state_file) is JSON, written atomically (a temporary file in the same directory, fsync,
    rename), readable by its owner only (mode C(0600)), whatever mode an earlier file had. It never contains the
    URL or the headers. A state file that cannot be read or parsed is reported in a warning and rebuilt from
    this run (its alerting keys are then sent as new).'
  - C(changed) is true only when a notice was delivered (in check mode, would be), so a run on an unchanged fleet
    reports C(changed=false) even though the state file records the latest summaries.
  - The URL is a secret (Slack-style URLs carry tokens), as are the O(headers) values; neither appears in the
    results, the state, the warnings or the error messages.
author:
  - sre.health developers (!UNKNOWN)
extends_documentation_fragment:
  - sre.health.controller
options:
  results:
    description:
      - The hosts' results, as the C(sre.health.health_check) role records them in C(health_check_result), one
        dict per host with C(host), C(status), C(summary) and C(checks) (each C({name, kind, status, summary,
        ...})); other keys (C(health), C(counts), C(metrics), C(thresholds)) are ignored.
      - A missing C(status) counts as C(unknown). An entry without C(host), or a check without C(name), fails the
        task with a message naming the entry.
    type: list
    elements: dict
    required: true
  url:
    description:
      - The webhook to POST to, C(http://) or C(https://). A secret, never shown; a malformed one fails the task
        with a message that does not show it.
    type: str
    required: true
  payload_format:
    description:
      - 'V(generic): a JSON document C({source, sent_at, fleet: {hosts, healthy, degraded, unhealthy, status,
        firing}, alerts: [{event, key, host, check, kind, status, summary, since, resolved_at}]}) where C(event) is
        C(firing), C(reminder) or C(resolved); C(check) is null for a host-level alert.'
      - 'V(slack): a Slack incoming-webhook message: C(text) (the notification line: counts of events and the fleet
        totals) and C(blocks), one C(mrkdwn) section per alert. Text from the hosts is escaped (C(&), C(<), C(>)), so
        it cannot form links or mentions.'
    type: str
    choices: [generic, slack]
    default: generic
  state_file:
    description:
      - Where the alert state is kept on the controller, between runs. Its directory is created (mode C(0700))
        when missing.
      - Without a state that survives between runs there is no dedup; in AWX, point it at a path that outlives
        the job's container.
    type: path
    required: true
  alert_on:
    description:
      - The statuses that make a key alert.
      - The default includes V(unknown) as well as V(critical), as C(fail_on) does in every check module, because a
        check that cannot measure (and a host that cannot be reached) must never pass silently.
    type: list
    elements: str
    choices: [critical, warning, unknown]
    default: [critical, unknown]
  cooldown:
    description:
      - How long after a delivered C(resolved) notice a re-fire of the same key is suppressed, as a duration
        (V(90s), V(15m), V(1h)) or a number of seconds. V(0) disables it.
    type: raw
    default: 15m
  reminder:
    description:
      - How long a key may keep alerting after its last delivered notice before a C(reminder) is sent, as a
        duration (V(4h), V(1d)) or a number of seconds. V(0) disables reminders. Reminders are only sent by runs,
        so they come at the first run after this time.
    type: raw
    default: 4h
  timeout:
    description:
      - Seconds the whole delivery may take, every POST, retry and pause included. Each attempt gets an equal
        share of the time left for the attempts it may still make, so a webhook that never answers still leaves
        time for a retry.
    type: float
    default: 10
  retries:
    description:
      - How many times a failed POST is tried again (0 to 10), within O(timeout).
    type: int
    default: 2
  batch_size:
    description:
      - At most this many notices per POST (1 to 45; a Slack message holds at most 50 blocks).
    type: int
    default: 20
  headers:
    description:
      - Extra request headers, such as an C(Authorization) header. Their values are secrets, never shown.
    type: dict
  validate_certs:
    description:
      - Verify the webhook's TLS certificate (the system CA store, or O(ca_path)).
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file of CA certificates to verify the webhook with.
    type: path
attributes:
  check_mode:
    details: Returns the notices that would be sent (in RV(sent) and RV(recovered)); sends nothing and writes no
      state.
notes:
  - Runs sharing one O(state_file) (job slices on one node) take turns, through an exclusive lock on
    C(<state_file>.lock) held from reading the state to writing it, so that none drops another's update. A run waits at most O(timeout)
    plus 30 seconds for the lock, then goes on without it, with a warning. In check mode nothing is locked.
  - The request goes through requests (the collection's one HTTP client) and honours the controller's proxy
    environment variables. A receiver that answers slowly is cut off at the attempt's share of O(timeout),
    however slowly it sends; only the first 4 KiB of an answer are read; a malformed answer counts as an
    undelivered notice.
requirements:
  - requests (C(python3-requests)) on the controller; execution environments built from
    C(meta/execution-environment.yml) have it.
seealso:
  - module: sre.health.health_check
"""

EXAMPLES = r"""
- name: Alert on the fleet's critical and unknown checks, Slack style
  sre.health.fleet_alert:
    results: "{{ ansible_play_hosts_all | map('extract', hostvars, 'health_check_result') | select('defined') | list }}"
    url: "{{ vault_slack_webhook_url }}"
    payload_format: slack
    state_file: "{{ playbook_dir }}/reports/.alert-state.json"
    cooldown: 15m
    reminder: 4h
  delegate_to: localhost
  run_once: true

- name: Generic JSON to an on-call bridge, with a token header and a private CA
  sre.health.fleet_alert:
    results: "{{ fleet_results }}"
    url: https://hooks.example.com/sre/health
    headers:
      Authorization: "Bearer {{ vault_hook_token }}"
    ca_path: /etc/pki/hooks-ca.pem
    state_file: /var/lib/sre-health/alert-state.json
    alert_on: [critical, unknown, warning]
    reminder: 0
    timeout: 20
  delegate_to: localhost
  run_once: true
  register: alerts
"""

RETURN = r"""
sent:
  description: The C(firing) and C(reminder) notices delivered by this run (in check mode, that would be sent).
  returned: always
  type: list
  elements: dict
  contains:
    key:
      description: C(<host>/<check>), or C(<host>) for a host-level alert.
      type: str
    host:
      description: The inventory host.
      type: str
    check:
      description: The check's name; null for a host-level alert.
      type: str
    event:
      description: C(firing), C(reminder) or C(resolved).
      type: str
    status:
      description: The key's status in this run.
      type: str
    summary:
      description: The check's (or host's) summary line.
      type: str
    since:
      description: When the key started alerting (UTC, ISO 8601).
      type: str
  sample: [{"key": "web1/disk:/var", "host": "web1", "check": "disk:/var", "event": "firing", "status": "critical",
            "summary": "/var 91.2% used, 88 MiB free of 1.0 GiB (critical > 90%)", "since": "2026-11-22T16:05:11Z"}]
recovered:
  description: The C(resolved) notices delivered by this run (in check mode, that would be sent). Same keys as RV(sent).
  returned: always
  type: list
  elements: dict
  sample: [{"key": "db1", "host": "db1", "check": null, "event": "resolved", "status": "ok",
            "summary": "db1 reports its checks again", "since": "2026-11-22T14:00:03Z"}]
suppressed:
  description: Keys alerting again within O(cooldown) of their last C(resolved) notice, not sent; RV(sent)'s keys
    and C(reason).
  returned: always
  type: list
  elements: dict
  sample: [{"key": "web2/nginx", "host": "web2", "check": "nginx", "status": "critical",
            "summary": "nginx: no process running (critical < 1)", "since": "2026-11-22T16:10:00Z",
            "reason": "alerting again 2m after its resolved notice, within the cooldown of 15m; sent if still
              alerting after 2026-11-22T16:23:00Z"}]
undelivered:
  description:
    - Notices that could not be delivered; sent again on the next run. RV(sent)'s keys, C(reason) (never showing the
      URL) and C(attempts).
    - Not named C(failed), which Ansible reserves for the task's own outcome (a non-empty list there would fail the
      task).
  returned: always
  type: list
  elements: dict
  sample: [{"key": "web1/disk:/var", "host": "web1", "check": "disk:/var", "event": "firing", "status": "critical",
            "summary": "/var 91.2% used (critical > 90%)", "since": "2026-11-22T16:05:11Z",
            "reason": "HTTP 500 Internal Server Error", "attempts": 3}]
active:
  description: Every key alerting after this run, sent or not (hosts outside this run included).
  returned: always
  type: list
  elements: str
  sample: ["web1/disk:/var", "web2/nginx"]
fleet:
  description: Totals over O(results), as sent in every payload.
  returned: always
  type: dict
  sample: {"hosts": 3, "healthy": 1, "degraded": 1, "unhealthy": 1, "status": "critical", "firing": 2}
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.sre.health.plugins.module_utils._alert import cycle, options
from ansible_collections.sre.health.plugins.module_utils._errors import SreHealthError
from ansible_collections.sre.health.plugins.module_utils._kind import PACKAGES
from ansible_collections.sre.health.plugins.module_utils._web import client


def main():
    module = AnsibleModule(argument_spec=options.OPTIONS, supports_check_mode=True,
                           mutually_exclusive=options.MUTUALLY_EXCLUSIVE, required_one_of=options.REQUIRED_ONE_OF)
    if not client.available():
        module.fail_json(msg=missing_required_lib(PACKAGES["requests"]))
    try:
        config = options.validate(module.params)
        result = cycle.run_config(config, module.params["results"], check_mode=module.check_mode)
    except SreHealthError as exc:
        module.fail_json(msg=str(exc))
    for warning in result.pop("warnings"):
        module.warn(warning)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
