#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: command_check
short_description: Run a Nagios/Icinga plugin or any command as a health check
version_added: 1.1.0
description:
  - Runs a monitoring plugin (O(plugin), found in the usual plugin directories) or any command (O(argv), without a
    shell) on the managed host and judges what it says.
  - With O(format=nagios) (the default), as the monitoring-plugins development guidelines define a plugin - the exit
    code is the status (0 C(ok), 1 C(warning), 2 C(critical), 3 C(unknown); any other code, or a signal, is
    C(unknown) and the summary names it); the first line before C(|) is the summary; the performance data (after
    the first C(|) of the first line, and after the first C(|) of the lines that follow) become the metrics.
  - Each performance data item C('label'=value[UOM];[warn];[crit];[min];[max]) becomes a metric named by its label,
    in base units - seconds for C(s ms us), percent for C(%), bytes for C(B KB MB GB TB) (powers of 1024, as
    C(check_disk) means them), a plain number for no unit and C(c). Its warn and crit are reported as its thresholds,
    converted to the same base unit. A malformed item is skipped and listed in RV(checks[].perfdata_problems); the
    rest is kept. A malformed warn, crit, min or max is left out of its item (the value is kept) and listed too. A
    number that is no finite number once in base units (C(1e306TB), C(1e999), C(inf), C(nan)) is malformed.
  - O(thresholds) given for a label are judged by the collection's own range engine; the status is the worse of the
    plugin's and these. A label given in O(thresholds) that the plugin did not print makes the check C(unknown).
  - With O(format=plain), the check is C(critical) when the exit code is not in O(expect_rc), when O(stdout) or
    O(stderr) does not match, or when O(stdout_absent) or O(stderr_absent) matches; otherwise C(ok).
  - At O(timeout), the command's whole process group is killed (it starts in a session of its own) and the check is
    C(unknown), "timed out after N s", with what it printed so far. When the command exits, whatever it left
    running in its process group is killed too, so a check never leaves processes behind. Each output stream keeps
    its first 64 KiB; the rest is read and discarded, so a command printing gigabytes neither blocks nor fills
    memory.
  - A plugin or command that cannot be found, or cannot be started, is C(unknown) saying why (for O(plugin), the
    directories searched); it does not fail the task by itself (see O(fail_on)).
  - B(Read-only by contract) - the command must only read the host, as a monitoring plugin does; the module reports
    C(changed=false) whatever the command does.
  - 'B(Secrets) - a plugin''s password or token goes in O(secrets) (C(no_log)), and an item of O(argv) or O(args)
    uses it as C(${secrets.NAME}), whole or inside the item (C(--password=${secrets.db})); the values of O(environment)
    are secrets too, unless named in O(public_environment). The command receives them as given; everywhere else -
    the result, its RV(checks[].command) and RV(checks[].summary), the reports and alerts made from it, the
    invocation Ansible prints at C(-vvv) - each of them is replaced by C(********), also where the command itself
    prints it (its output, a performance data label).'
author:
  - sre.health developers (!UNKNOWN)
extends_documentation_fragment:
  - sre.health.checks
  - sre.health.deadline
options:
  argv:
    description:
      - The command and its arguments, one item per argument, run without a shell. A first item without C(/) is
        looked up in the E(PATH) of the module's environment (with O(environment) applied).
      - Exactly one of O(argv) and O(plugin).
      - C(${secrets.NAME}) in an item, whole or in part, stands for the secret NAME of O(secrets); the command
        receives the secret, and the shown command C(********). C($${secrets.NAME}) is the text C(${secrets.NAME})
        itself. A NAME that O(secrets) does not have is an error.
    type: list
    elements: str
  plugin:
    description:
      - The file name of a monitoring plugin such as V(check_disk), looked up in C(/usr/lib/nagios/plugins),
        C(/usr/lib64/nagios/plugins) and C(/usr/local/nagios/libexec), in that order. Its arguments go in O(args).
      - Exactly one of O(argv) and O(plugin). Give a plugin elsewhere by its path in O(argv).
    type: str
  args:
    description:
      - The arguments of O(plugin), one item per argument. Only with O(plugin).
      - As in O(argv), C(${secrets.NAME}) stands for the secret NAME of O(secrets).
    type: list
    elements: str
  format:
    description:
      - V(nagios) judges the exit code and output as a monitoring plugin's; V(plain) judges any command with
        O(expect_rc) and the output patterns.
    type: str
    choices: [nagios, plain]
    default: nagios
  timeout:
    description:
      - Seconds the command may run; its whole process group is then killed (SIGKILL) and the check is C(unknown).
      - Keep it below O(check_timeout) (a check's deadline in M(sre.health.health_check)) to get the command's
        partial output in the result; at the check's deadline the process group is killed as well.
      - From more than 0 to 86400 (one day).
    type: float
    default: 30
  environment:
    description:
      - Variables added to the module's environment for the command. E(LC_ALL) is V(C) unless set here, so that
        plugins print numbers as the parser expects.
      - B(Their values are secrets) unless the variable is named in O(public_environment) - the command receives
        them, and each is replaced by C(********) wherever it would show (the result, what the command prints, the
        invocation at C(-vvv)). Name in O(public_environment) what is not secret (E(LC_ALL), E(TZ), a URL without
        credentials) - a secret is masked wherever it appears in the output, so a value shorter than 4 characters
        (V(C), V(1)) not named there is an error rather than a result with every C(C) masked.
      - A value may use C(${secrets.NAME}) as O(argv) does.
    type: dict
  public_environment:
    description:
      - The names of the variables of O(environment) whose values are not secrets - shown as they are, never masked.
      - Each must be a variable given in O(environment).
    type: list
    elements: str
  secrets:
    description:
      - Secret values by name (letters, digits and C(_), not starting with a digit), each a string or a number of
        at least 4 characters (or empty), for the items of O(argv), O(args) or the values of O(environment) that use
        them as C(${secrets.NAME}).
      - C(no_log) - each value is replaced by C(********) in everything the module returns and Ansible prints,
        also where the command itself prints it.
      - Keep them in Ansible Vault. A program's arguments can be read by the host's other users (C(ps)) while it
        runs, its environment cannot - for a plugin that reads its password from the environment
        (E(PGPASSWORD), say), prefer O(environment).
    type: dict
  chdir:
    description:
      - An absolute path of the directory to run the command in; a missing directory makes the check C(unknown).
    type: path
  expect_rc:
    description:
      - The exit codes that count as success, with O(format=plain) only. Defaults to V([0]).
    type: list
    elements: int
  stdout:
    description:
      - A Python regular expression that must be found (C(re.search)) in the standard output, with O(format=plain)
        only. Patterns see the first 64 KiB of each stream.
    type: str
  stderr:
    description:
      - A Python regular expression that must be found in the standard error, with O(format=plain) only.
    type: str
  stdout_absent:
    description:
      - A Python regular expression that must B(not) be found in the standard output, with O(format=plain) only.
    type: str
  stderr_absent:
    description:
      - A Python regular expression that must B(not) be found in the standard error, with O(format=plain) only.
    type: str
  check_mode_safe:
    description:
      - Whether the command may run in check mode. The default V(true) suits a check, which only reads.
      - With V(false), in check mode the command does not run, and the result is C(ok) with C(skipped=true) and a
        summary saying so (a dry run should not fail on a check it was told not to run).
    type: bool
    default: true
  thresholds:
    description:
      - 'Metrics: one per performance data label (O(format=nagios)); O(format=plain) measures none.'
      - 'Ranges for a label are judged against the label''s value in base units (bytes, seconds, percent or the plain
        number), and are written B(without a unit) (the unit is only known once the plugin has answered), for
        example C({"/": {critical: 250000000000}}) for 250 GB used on C(/).'
      - No defaults - the plugin's own warn and crit are its judgement, through its exit code.
attributes:
  check_mode:
    support: full
    details: The command runs in check mode too, unless O(check_mode_safe=false).
notes:
  - Output patterns (O(stdout), O(stderr), O(stdout_absent), O(stderr_absent)) run in a child process stopped at
    O(check_timeout), like every check that matches a user's pattern against a host's text; other command checks
    wait in a thread.
  - A watchdog (C(/bin/sh)) started beside each command kills its process group if the module dies first.
  - A process that leaves the command's session (C(setsid)) escapes the group kill; its pipes are then waited for
    one second at most.
seealso:
  - module: sre.health.health_check
  - module: sre.health.process_check
  - name: Monitoring-plugins development guidelines
    description: Plugin output, performance data and threshold ranges.
    link: https://www.monitoring-plugins.org/doc/guidelines.html
"""

EXAMPLES = r"""
- name: Root file system through check_disk (Debian package monitoring-plugins-basic)
  sre.health.command_check:
    plugin: check_disk
    args: [-w, "20%", -c, "10%", -p, /]

- name: At most 400 processes, and no zombie, with check_procs
  sre.health.command_check:
    plugin: check_procs
    args: [-w, "300", -c, "400"]
    thresholds:
      procs: {critical: 350}

- name: A custom plugin script, with its environment (QUEUE_URL is not a secret; every other value is)
  sre.health.command_check:
    argv: [/usr/local/lib/health/check_queue, --queue, orders]
    environment:
      QUEUE_URL: "http://127.0.0.1:15672"
      QUEUE_PASSWORD: "{{ vault_queue_password }}"
    public_environment: [QUEUE_URL]
    timeout: 10
    thresholds:
      depth: {warning: 1000, critical: 5000}

- name: Any command - the backup tool's last run succeeded
  sre.health.command_check:
    argv: [restic, snapshots, --latest, "1", --json]
    format: plain
    expect_rc: [0]
    stdout: '"time"'
    stderr_absent: "(?i)error"
    environment:
      RESTIC_REPOSITORY: /srv/backup/restic
      RESTIC_PASSWORD: "{{ vault_restic_password }}"
    public_environment: [RESTIC_REPOSITORY]
    check_mode_safe: true

- name: A plugin that takes its password as an argument - shown as check_pgsql -H db1 -l monitor -p ********
  sre.health.command_check:
    plugin: check_pgsql
    args: [-H, db1, -l, monitor, -p, "${secrets.db}"]
    secrets:
      db: "{{ vault_pg_monitor_password }}"

- name: The same plugin among other checks, in one round trip
  sre.health.health_check:
    checks:
      - name: load
        kind: command
        plugin: check_load
        args: [-w, "5,4,3", -c, "10,8,6"]
      - name: replication
        kind: command
        plugin: check_pgsql
        args: [-H, db1, -l, monitor, -p, "${secrets.pg}"]
        secrets:
          pg: "{{ vault_pg_monitor_password }}"
"""

RETURN = r"""
status:
  description: Worst status of all checks (critical > warning > unknown > ok).
  returned: always
  type: str
  sample: ok
health:
  description: V(healthy) for ok, V(degraded) for warning, V(unhealthy) for critical or unknown.
  returned: always
  type: str
  sample: healthy
summary:
  description: One line naming every check that is not ok.
  returned: always
  type: str
  sample: "1 check ok"
checks:
  description: One result, for the command.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: C(command).
      type: str
      sample: command
    kind:
      description: Always C(command).
      type: str
      sample: command
    status:
      description: C(ok), C(warning), C(critical) or C(unknown).
      type: str
      sample: ok
    summary:
      description: The plugin's first line (O(format=nagios)) or the command and its exit code (O(format=plain)),
        with what failed in parentheses.
      type: str
      sample: "DISK OK - free space: / 80291MiB (77% inode=97%);"
    metrics:
      description: One value per performance data label, in base units; null for a value printed as C(U).
      type: dict
      sample: {"/": 24751439872}
    thresholds:
      description: Per label, the plugin's warn and crit in base units, with the levels given in O(thresholds)
        in their place.
      type: dict
      sample: {"/": {"warning": "216442024755", "critical": "243497277849"}}
    duration_ms:
      description: How long the check took.
      type: float
      sample: 9.531
    command:
      description: The command as run (the plugin's path found, then its arguments), each use of O(secrets) shown
        as C(********).
      type: str
      sample: "/usr/lib/nagios/plugins/check_disk -w 20% -c 10% -p /"
    exit_code:
      description: The exit code; negative when a signal killed the command; null when it did not run or timed out.
      type: int
      sample: 0
    timed_out:
      description: Whether O(timeout) ran out (the process group was then killed).
      type: bool
      sample: false
    plugin_status:
      description: The status the plugin's exit code gives, before O(thresholds) are judged.
      type: str
      returned: with O(format=nagios), when the command ran to its end
      sample: ok
    output:
      description: The plugin's long output (the lines after the first, without their performance data), at most
        4096 characters.
      type: str
      returned: with O(format=nagios), when the command ran to its end
      sample: ""
    perfdata:
      description: The performance data items as parsed (value, min and max in base units, the unit as printed).
      type: list
      elements: dict
      returned: with O(format=nagios), when the command ran to its end
      sample: [{"label": "/", "value": 24751439872, "uom": "B", "warning": "216442024755",
                "critical": "243497277849", "min": 0, "max": 270552530944}]
    perfdata_problems:
      description: The performance data items skipped or cut, each with the reason.
      type: list
      elements: str
      returned: with O(format=nagios), when the command ran to its end
      sample: ["'b=abc': value 'abc' is not a number: skipped"]
    stdout:
      description: The first 4096 characters of the standard output (control characters replaced).
      type: str
      returned: with O(format=plain), or when the command did not run to its end
      sample: "ok\n"
    stderr:
      description: The first 4096 characters of the standard error (control characters replaced).
      type: str
      returned: always
      sample: ""
    stdout_truncated:
      description: Whether RV(checks[].stdout) is cut.
      type: bool
      returned: with RV(checks[].stdout)
      sample: false
    stderr_truncated:
      description: Whether RV(checks[].stderr) is cut.
      type: bool
      returned: always
      sample: false
    stdout_bytes:
      description: How many bytes the command wrote to its standard output (all of them, kept or not).
      type: int
      returned: always
      sample: 107
    stderr_bytes:
      description: How many bytes the command wrote to its standard error (all of them, kept or not).
      type: int
      returned: always
      sample: 0
    skipped:
      description: True when the command did not run, in check mode with O(check_mode_safe=false).
      type: bool
      returned: when skipped
      sample: true
"""

from ansible_collections.sre.health.plugins.module_utils._compile_once import install

install()  # before the imports below: each is then compiled once from the AnsiballZ zip

from ansible_collections.sre.health.plugins.module_utils import _command
from ansible_collections.sre.health.plugins.module_utils._module import run_module


def main():
    run_module(_command)


if __name__ == "__main__":
    main()
