#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_alert
short_description: Send fleet health alerts to webhooks, Slack, Alertmanager and PagerDuty, deduplicated, with silences
version_added: 1.0.0
description:
  - Runs on the controller, in the process that runs the task (an action plugin of the same name, since 1.1.0, so
    no module is sent and no Python is started for it), whatever host the task is for (the
    C(sre.health.fleet_report) role calls it once per play, delegated to C(localhost);
    C(sre.health.service_guard) once per batch for the services it could not recover). Compares
    the hosts' results with the alert state kept in O(state_file) and sends what changed to every target of
    O(targets) (or to the one webhook of O(url)).
  - 'B(Keys.) An alert is identified by its key: C(<host>/<check name>) for a check (for example
    C(web1/disk:/var)), and C(<host>) alone for a host that returned no check results at all (unreachable, or
    its health check failed before measuring). A key is I(alerting) while its status is one of O(alert_on), and
    I(confirmed) once it was alerting on O(alert_after) consecutive runs; it stays confirmed until O(recover_after)
    consecutive runs without the problem (meanwhile the targets keep its last problem, and the summary says how
    many clean runs it has had). The counts live in the state file; a host outside the run keeps its counts.'
  - 'B(Targets.) Each target is delivered in a thread of its own, within O(timeout), so one that hangs or fails
    never holds back another, and the state records what I(each) target was told: a target that missed a notice
    (its receiver was down) gets it on its next run, whatever the other targets got. A target added later gets
    what is firing at its first run; the state of a removed target is dropped. A target with several O(targets[].urls)
    (an Alertmanager HA pair) is one endpoint per URL (named C(<name>#1), C(<name>#2)), each with the same alerts
    and its own state.'
  - 'B(Webhook, Slack and PagerDuty) get notices. B(firing): a key that gets confirmed is sent once. B(Dedup):
    while it keeps alerting, later runs send nothing. B(reminder): a key still alerting O(reminder) after its last
    delivered notice is sent again as C(reminder). B(Escalation): a key that becomes C(critical) while its last
    delivered notice said C(warning) or C(unknown) is sent again as C(firing); other changes between alerting
    statuses (critical to unknown) send nothing, and the next reminder carries the new status. B(resolved): a key
    whose firing notice was delivered and that stops being confirmed (its status is no longer in O(alert_on) for
    O(recover_after) runs, or its host now reports without that check) is sent as C(resolved). A key whose firing
    notice was never delivered resolves silently. B(Cooldown), against flapping: a key that gets confirmed again
    less than O(cooldown) after its last delivered C(resolved) notice is I(suppressed) (listed in RV(suppressed));
    if it is still alerting on a run after the cooldown has passed, it is sent as C(firing) then.'
  - 'B(Alertmanager) (API v2, C(POST <url>/api/v2/alerts)) gets every confirmed key on I(every) run, as
    Alertmanager expects of its clients (no dedup, reminder or cooldown: grouping, repeats, inhibition and silences
    are then Alertmanager''s), each with C(endsAt) three O(run_interval)s ahead, so one or two missed runs do not
    end it but a controller that stopped running does. A key that stops being confirmed is sent once with
    C(endsAt) now (again on the next run if that failed). Labels: C(alertname) (C(SreHealthCheck) for a check,
    C(SreHealthHost) for a host-level alert, C(SreHealthRemediation) with O(origin=remediation)), C(host),
    C(check) (not for a host-level alert), C(kind), C(severity) and C(source=sre.health); annotations C(summary),
    C(description), C(status) and C(key); C(startsAt) is the first run of the episode. C(severity) is C(critical)
    or C(warning) as the status says; C(unknown) is C(critical) (a check that cannot measure, or a host that cannot
    be reached, counts as unhealthy like a critical one; the C(status) annotation tells them apart). A key whose
    severity changes ends the alert of the old severity in the same request. Re-sending counts as no change: it is
    listed in RV(refreshed), not RV(sent).'
  - 'B(PagerDuty) (Events API v2): C(trigger) for firing and reminder notices, C(resolve) for resolved ones,
    C(dedup_key) C(sre.health/<key>) (C(sre.health/remediation/<key>) with O(origin=remediation); a key making it
    longer than 255 characters is cut and ends with a digest of the whole), C(payload.source) the host,
    C(payload.component) the check, C(payload.class) the kind, C(payload.severity) C(critical), C(warning) or
    C(error) (for C(unknown)), C(payload.summary) (at most 1024 characters) and C(custom_details). One event per
    request; C(202) is success, C(429) and C(5xx) are retried.'
  - 'B(Silences), without Alertmanager: a confirmed key that an active entry of O(silences) covers is not sent to
    any target: no firing, no reminder (listed in RV(silenced)). Its episode goes on: if it was notified before the
    silence, its recovery is still sent to webhook, Slack and PagerDuty, and if the silence ends while it still
    alerts, it is sent as C(firing) (or its reminders resume). Alertmanager gets it ended (C(endsAt) now) and
    again as firing when the silence is over. The C(sre.health.fleet_report) role marks the same problems in the
    reports.'
  - Hosts that are not in O(results) (another job slice, C(--limit), another batch of a serial play) keep their
    alerts and counts untouched, so slices and limited runs never resolve each other's alerts. A host that returns
    no check results leaves its check keys untouched too (nothing is known about them) and alerts on its host key.
  - 'B(Batching): the notices of a run go to a webhook or Slack in as few POSTs as possible, at most O(batch_size)
    notices each, so a bad push to the whole fleet is one message, not hundreds; Alertmanager gets up to 500 alerts
    a request, PagerDuty one event a request.'
  - 'B(Delivery) never fails the play: a target that refuses connections, answers 5xx, 408 or 429, or never
    answers is retried with exponential backoff (0.5 s, 1 s, 2 s...), all of it within O(timeout) in total for
    that target. What was not delivered is listed in RV(undelivered) with its target, a warning says so, the task
    still succeeds, and the state records it as not sent so that the next run sends it again. Other 4xx answers (a
    revoked token, a routing key PagerDuty refuses) are not retried.'
  - 'B(State): O(state_file) is JSON, written atomically (a temporary file in the same directory, fsync,
    rename), readable by its owner only (mode C(0600)), whatever mode an earlier file had. It never contains a
    URL, a routing key or a header. A state file that cannot be read or parsed is reported in a warning and rebuilt
    from this run (its confirmed keys are then sent as new). A state file of an earlier version (one webhook) is
    taken as the state of the target named C(webhook), so nothing is sent twice after an upgrade.'
  - C(changed) is true only when a notice was delivered (in check mode, would be), so a run on an unchanged fleet
    reports C(changed=false) even though the state file records the latest summaries and Alertmanager gets its
    alerts again.
  - Every URL is a secret as a whole (webhook URLs carry tokens, any URL may carry a password), as are routing
    keys and header values; none appears in the results, the state, the warnings or the error messages.
author:
  - sre.health developers (!UNKNOWN)
extends_documentation_fragment:
  - sre.health.controller
  - sre.health.controller.result_var
options:
  results:
    description:
      - The hosts' results, as the C(sre.health.health_check) role records them in C(health_check_result), one
        dict per host with C(host), C(status), C(summary) and C(checks) (each C({name, kind, status, summary,
        ...})); other keys (C(health), C(counts), C(metrics), C(thresholds)) are ignored.
      - With O(origin=remediation), the C(service_guard_result) facts of C(sre.health.service_guard), each
        C({host, units}), where each unit whose C(outcome) is C(still_failing) or C(skipped_flap_guard) is a
        critical key C(<host>/<unit>) whose summary says what was tried, and the other units are ok.
      - A missing C(status) counts as C(unknown). An entry without C(host), or a check without C(name), fails the
        task with a message naming the entry.
      - Exactly one of O(results) and O(result_var).
    type: list
    elements: dict
  hosts:
    description:
      - With O(result_var), the hosts whose results to read, such as C(ansible_play_hosts_all).
    type: list
    elements: str
    default: []
    version_added: 1.1.0
  targets:
    description:
      - Where the alerts go. Mutually exclusive with O(url); one of them is required.
      - The top-level O(headers), O(validate_certs) and O(ca_path) are the defaults of every target that does
        not set its own.
    type: list
    elements: dict
    version_added: 1.1.0
    suboptions:
      type:
        description:
          - V(webhook) (the generic JSON document, see O(payload_format)), V(slack) (a Slack incoming-webhook
            message), V(alertmanager) (API v2) or V(pagerduty) (Events API v2).
        type: str
        required: true
        choices: [webhook, slack, alertmanager, pagerduty]
      name:
        description:
          - The target's name, in the results and warnings, and the name its state is kept under. Letters, digits,
            C(.), C(_) and C(-), unique.
          - The default is the type, then C(<type>-2), C(<type>-3)... in the order of the list; name the targets
            when there are several of one type, so that reordering them keeps their state.
        type: str
      url:
        description:
          - The URL, C(http://) or C(https://). For V(alertmanager) its base URL (C(http://127.0.0.1:9093), or with
            a route prefix); C(/api/v2/alerts) is added unless the URL ends with it. For V(pagerduty) the default
            is C(https://events.pagerduty.com/v2/enqueue). Required for the other types, unless O(targets[].urls)
            is given.
          - A secret as a whole, never shown; a malformed one fails the task naming the target, not the URL.
        type: str
      urls:
        description:
          - Several URLs that each get the same alerts, each with its own state (an Alertmanager HA pair; every
            Alertmanager of a cluster should receive every alert). At most 10. Secrets.
        type: list
        elements: str
      routing_key:
        description:
          - The 32-character integration key of a PagerDuty Events API v2 integration; required for (and only for)
            V(pagerduty). A secret.
        type: str
      headers:
        description:
          - Extra request headers (an C(Authorization) header for an Alertmanager behind a proxy). Their values are
            secrets.
        type: dict
      validate_certs:
        description:
          - Verify the target's TLS certificate. The default is O(validate_certs).
        type: bool
      ca_path:
        description:
          - A PEM file of CA certificates to verify the target with. The default is O(ca_path).
        type: path
      generator_url:
        description:
          - V(alertmanager) only, the C(generatorURL) of its alerts, the link Alertmanager shows with them (the
            AWX job, the HTML report).
        type: str
  url:
    description:
      - One webhook, as a shortcut for a single target named C(webhook) of the type O(payload_format) says. Mutually
        exclusive with O(targets).
      - C(http://) or C(https://). A secret, never shown; a malformed one fails the task with a message that does
        not show it.
    type: str
  payload_format:
    description:
      - With O(url) only (a target's type says its format), V(generic) when not given.
      - 'V(generic): a JSON document C({source, origin, sent_at, fleet: {hosts, healthy, degraded, unhealthy, status,
        firing}, alerts: [{event, key, host, check, kind, status, summary, since, resolved_at}]}) where C(event) is
        C(firing), C(reminder) or C(resolved); C(check) is null for a host-level alert; C(origin) is O(origin).'
      - 'V(slack): a Slack incoming-webhook message: C(text) (the notification line: counts of events and the fleet
        totals) and C(blocks), one C(mrkdwn) section per alert. Text from the hosts is escaped (C(&), C(<), C(>)), so
        it cannot form links or mentions.'
    type: str
    choices: [generic, slack]
  origin:
    description:
      - What the results are. V(health) (C(health_check_result) facts) or V(remediation) (C(service_guard_result)
        facts, see O(results)). Remediation alerts have their own Alertmanager C(alertname) and PagerDuty
        C(dedup_key); give them a O(state_file) of their own, so that the two kinds never resolve each other.
    type: str
    choices: [health, remediation]
    default: health
    version_added: 1.1.0
  state_file:
    description:
      - Where the alert state is kept on the controller, between runs. Its directory is created (mode C(0700))
        when missing.
      - Without a state that survives between runs there is no dedup and no counting; in AWX, point it at a path
        that outlives the job's container.
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
  alert_after:
    description:
      - A key alerts (is sent to any target) only once it was alerting on this many consecutive runs (1 to 100). A
        run without the problem starts the count again.
    type: int
    default: 1
    version_added: 1.1.0
  recover_after:
    description:
      - An alerting key recovers only after this many consecutive runs without the problem (1 to 100).
    type: int
    default: 1
    version_added: 1.1.0
  silences:
    description:
      - 'Silences: a confirmed key an active one covers is sent to no target (see the description). Expired ones are
        ignored.'
    type: list
    elements: dict
    default: []
    version_added: 1.1.0
    suboptions:
      host:
        description:
          - A shell-style pattern of host names (C(web*)), matched case-sensitively; V(*) when not given. At least
            one of O(silences[].host) and O(silences[].check) is required.
        type: str
      check:
        description:
          - A shell-style pattern of check names (C(disk:/var*)); V(*) when not given. V(*) also covers the host's
            own alert (unreachable, no results).
        type: str
      until:
        description:
          - When the silence ends, an ISO 8601 time with its UTC offset (V(2026-12-01T18:00:00Z),
            V(2026-12-01T19:00:00+01:00)). A time without an offset is refused (it means a different moment on
            each machine).
        type: raw
        required: true
      reason:
        description:
          - Why (a ticket, a maintenance), shown in RV(silenced) and in the reports.
        type: str
        required: true
  cooldown:
    description:
      - How long after a delivered C(resolved) notice a re-fire of the same key is suppressed, as a duration
        (V(90s), V(15m), V(1h)) or a number of seconds. V(0) disables it. Not for Alertmanager.
    type: raw
    default: 15m
  reminder:
    description:
      - How long a key may keep alerting after its last delivered notice before a C(reminder) is sent, as a
        duration (V(4h), V(1d)) or a number of seconds. V(0) disables reminders. Reminders are only sent by runs,
        so they come at the first run after this time. Not for Alertmanager (it gets every run).
    type: raw
    default: 4h
  run_interval:
    description:
      - How often these runs happen (their schedule), as a duration. An alert sent to Alertmanager ends
        three intervals after the run that sent it, unless a later run sends it again.
    type: raw
    default: 1h
    version_added: 1.1.0
  timeout:
    description:
      - Seconds the whole delivery to one target may take, every POST, retry and pause included (the targets are
        delivered at the same time). Each attempt gets an equal share of the time left for the attempts it may
        still make, so a target that never answers still leaves time for a retry.
    type: float
    default: 10
  retries:
    description:
      - How many times a failed POST is tried again (0 to 10), within O(timeout).
    type: int
    default: 2
  batch_size:
    description:
      - At most this many notices per POST to a webhook or Slack (1 to 45; a Slack message holds at most 50
        blocks).
    type: int
    default: 20
  headers:
    description:
      - Extra request headers, such as an C(Authorization) header, for O(url) and for every target without its own.
        Their values are secrets, never shown.
    type: dict
  validate_certs:
    description:
      - Verify the targets' TLS certificates (the system CA store, or O(ca_path)).
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file of CA certificates to verify the targets with.
    type: path
attributes:
  check_mode:
    details: Returns the notices that would be sent (in RV(sent), RV(recovered) and RV(refreshed)); sends nothing
      and writes no state.
notes:
  - Runs sharing one O(state_file) (job slices on one node) take turns, through an exclusive lock on
    C(<state_file>.lock) held from reading the state to writing it, so that none drops another's update. A run waits
    at most O(timeout) plus 35 seconds for the lock, then goes on without it, with a warning. In check mode nothing
    is locked.
  - The requests go through requests (the collection's one HTTP client) and honour the controller's proxy
    environment variables, and those of the task's C(environment). A receiver that answers slowly is cut off at the attempt's share of O(timeout),
    however slowly it sends; only the first 4 KiB of an answer are read; a malformed answer counts as an
    undelivered notice.
requirements:
  - requests (C(python3-requests)) in the Python that runs Ansible on the controller (since 1.1.0; before, the
    Python of the task's host, C(localhost)); execution environments built from C(meta/execution-environment.yml)
    have it.
seealso:
  - module: sre.health.health_check
  - module: sre.health.fleet_report
  - name: Alertmanager API v2
    description: The OpenAPI specification of the alerts Alertmanager accepts.
    link: https://github.com/prometheus/alertmanager/blob/main/api/v2/openapi.yaml
  - name: PagerDuty Events API v2
    description: The alert events PagerDuty accepts.
    link: https://developer.pagerduty.com/docs/events-api-v2/trigger-events/
"""

EXAMPLES = r"""
- name: Alert through Alertmanager (an HA pair), PagerDuty and Slack, after two runs in a row
  sre.health.fleet_alert:
    result_var: health_check_result
    hosts: "{{ ansible_play_hosts_all }}"
    targets:
      - type: alertmanager
        name: am
        urls: [http://127.0.0.1:9093, http://127.0.0.2:9093]
        generator_url: "https://awx.example.com/#/jobs/playbook/{{ awx_job_id | default(0) }}"
      - type: pagerduty
        routing_key: "{{ vault_pagerduty_routing_key }}"
      - type: slack
        url: "{{ vault_slack_webhook_url }}"
    alert_after: 2
    run_interval: 15m
    silences:
      - host: db1
        check: "*"
        until: "2026-12-01T18:00:00Z"
        reason: CHG-1234 disk replacement
    state_file: "{{ playbook_dir }}/reports/.alert-state.json"
  delegate_to: localhost
  run_once: true

- name: One generic JSON webhook with a token header and a private CA
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

- name: Alert on the services service_guard could not recover
  sre.health.fleet_alert:
    result_var: service_guard_result
    hosts: "{{ ansible_play_batch }}"
    origin: remediation
    targets: "{{ fleet_report_alert_targets }}"
    state_file: /var/lib/sre-health/remediation-alert-state.json
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
sent:
  description: The C(firing) and C(reminder) notices delivered by this run (in check mode, that would be sent), one per
    key and target.
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
      description: The check's name (with O(origin=remediation), the unit's); null for a host-level alert.
      type: str
    event:
      description: C(firing), C(reminder), C(resolved) or (Alertmanager) C(refresh).
      type: str
    status:
      description: The key's status in this run (while it waits for O(recover_after) clean runs, the problem it had).
      type: str
    summary:
      description: The check's (or host's) summary line.
      type: str
    since:
      description: The first run of the key's episode (UTC, ISO 8601).
      type: str
    target:
      description: The target's name (C(<name>#<n>) for the n-th of its O(targets[].urls)).
      type: str
  sample: [{"key": "web1/disk:/var", "host": "web1", "check": "disk:/var", "event": "firing", "status": "critical",
            "summary": "/var 91.2% used, 88 MiB free of 1.0 GiB (critical > 90%)", "since": "2026-11-26T08:26:35Z",
            "target": "alertmanager"},
           {"key": "db1", "host": "db1", "check": null, "event": "firing", "status": "unknown",
            "summary": "unreachable: Failed to connect to the host via ssh", "since": "2026-11-26T08:26:35Z",
            "target": "pagerduty"}]
recovered:
  description: The C(resolved) notices delivered by this run (in check mode, that would be sent). Same keys as RV(sent).
  returned: always
  type: list
  elements: dict
  sample: [{"key": "web2/nginx", "host": "web2", "check": "nginx", "event": "resolved", "status": "ok",
            "summary": "nginx: 2 processes", "since": "2026-11-26T08:26:35Z", "target": "pagerduty"}]
refreshed:
  description: The firing alerts sent again to Alertmanager targets, as Alertmanager expects on every run; not a
    change. Same keys as RV(sent).
  returned: always
  type: list
  elements: dict
  version_added: 1.1.0
  sample: [{"key": "web1/disk:/var", "host": "web1", "check": "disk:/var", "event": "refresh", "status": "critical",
            "summary": "/var 91.2% used, 88 MiB free of 1.0 GiB (critical > 90%)", "since": "2026-11-26T08:26:35Z",
            "target": "alertmanager"}]
suppressed:
  description: Keys alerting again within O(cooldown) of their last C(resolved) notice, not sent; RV(sent)'s keys
    and C(reason).
  returned: always
  type: list
  elements: dict
  sample: [{"key": "web2/nginx", "host": "web2", "check": "nginx", "status": "critical",
            "summary": "nginx: no process running (critical < 1)", "since": "2026-11-22T16:10:00Z",
            "target": "webhook", "reason": "alerting again 2m after its resolved notice, within the cooldown of 15m;
              sent if still alerting after 2026-11-22T16:23:00Z"}]
silenced:
  description: Keys that alert (or count toward O(alert_after)) but that an active entry of O(silences) holds back
    from every target, with the silence's C(until) and C(reason).
  returned: always
  type: list
  elements: dict
  version_added: 1.1.0
  sample: [{"key": "web3/http:api", "host": "web3", "check": "http:api", "status": "critical",
            "summary": "http://127.0.0.1:8080/health: HTTP 503 (critical: expected 200)",
            "until": "2026-11-26T10:26:29Z", "reason": "CHG-1234 api migration"}]
pending:
  description: Keys alerting on fewer consecutive runs than O(alert_after), not sent yet, with C(runs) (so far) and
    C(needed).
  returned: always
  type: list
  elements: dict
  version_added: 1.1.0
  sample: [{"key": "web1/disk:/var", "host": "web1", "check": "disk:/var", "status": "critical",
            "summary": "/var 91.2% used, 88 MiB free of 1.0 GiB (critical > 90%)", "since": "2026-11-26T08:26:43Z",
            "runs": 1, "needed": 2}]
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
            "summary": "/var 91.2% used, 88 MiB free of 1.0 GiB (critical > 90%)", "since": "2026-11-26T08:26:35Z",
            "target": "chat", "reason": "connection refused", "attempts": 1}]
active:
  description: Every confirmed key after this run, sent or not (silenced ones and hosts outside this run included).
  returned: always
  type: list
  elements: str
  sample: ["db1", "web1/disk:/var", "web3/http:api"]
fleet:
  description: Totals over O(results), as sent in every generic payload; C(firing) counts the confirmed keys.
  returned: always
  type: dict
  sample: {"hosts": 4, "healthy": 1, "degraded": 0, "unhealthy": 3, "status": "critical", "firing": 3}
"""

from ansible_collections.sre.health.plugins.module_utils._compile_once import install

install()  # before the imports below: each is then compiled once from the AnsiballZ zip

from ansible_collections.sre.health.plugins.module_utils._alert import module as _alert_module
from ansible_collections.sre.health.plugins.module_utils._in_process import run_as_module


def main():
    run_as_module(_alert_module)


if __name__ == "__main__":
    main()
