# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # The options of a run of many checks (health_check, resource_check), beside checks and fail_on.
    DOCUMENTATION = r"""
options:
  max_workers:
    description:
      - How many checks run at the same time, from 1 to 64.
    type: int
    default: 8
  check_timeout:
    description:
      - Seconds each check may take before it is stopped and reported C(unknown) ("timed out after N s");
        an entry's own C(check_timeout) overrides it. Kinds have their own, shorter timeouts (per mount,
        per request) inside this bound. At most 86400 (one day), like every timeout of the collection.
    type: float
    default: 30
  timeout:
    description:
      - Seconds the whole run may take. Checks still running then are C(unknown), and checks not yet
        started are reported as not started.
    type: float
    default: 60
  result_fact:
    description:
      - Also record the host's result as this host fact, in the same task - C({host, status, health, summary,
        checks, counts}), where C(host) is the inventory name. The sre.health.health_check role records
        C(health_check_result) this way.
      - With it, a host that cannot be reached does not leave the play - its fact is C(unknown) and
        C(unhealthy), with the summary C(unreachable) and the connection's error - so that a report built from
        the facts says why.
      - Handled on the controller (an action plugin); not set for a task run with C(async).
    type: str
    version_added: 1.1.0
  result_note:
    description:
      - Text appended to the summary of the fact O(result_fact) (after C(; )). The role says there why a
        library the checks lacked was not installed.
    type: str
    version_added: 1.1.0
  merge_vars:
    description:
      - The name of a variable whose checks are merged after O(checks), then those of every variable named
        C(<merge_vars>_<suffix>), in sorted name order (group_vars and host_vars add checks without repeating or
        clobbering others). A check with an earlier one's name replaces it, and one with C(state=absent) removes
        it, as the C(sre.health.merge_checks) filter does. The sre.health.health_check role passes
        C(health_check_checks).
      - Handled on the controller (an action plugin), where it costs a host far less than the same merge in a
        template. A list that cannot be merged (an entry without a name) is the host's result, C(unknown) with the
        reason (recorded in O(result_fact)); the task fails.
    type: str
    version_added: 1.1.0
  option_vars:
    description:
      - 'Options read from variables by name, C({option: variable name}): each named variable''s value (templated as
        any variable is) is that option''s value. The sre.health.health_check role passes its settings this way
        (C(max_workers: health_check_max_workers)...) - an argument written C("{{ health_check_max_workers }}")
        compiles a Jinja template in the worker process of every host, about 3 ms of controller CPU each, while a
        name is read as is.'
      - An option given both in the task and here, or a variable that is not defined, fails the task naming both.
      - Handled on the controller (an action plugin). It may also set O(fail_on_missing_libraries).
    type: dict
    version_added: 1.1.0
  fail_on_missing_libraries:
    description:
      - When set, whether the task fails is decided by this alone - V(true) fails it when, and only when, the checks
        lack Python libraries that OS packages provide (RV(missing_packages) is not empty); V(false) never fails it.
        Anything else the result says (a bad definition, any status) is left to O(result_fact) and to whoever judges
        it.
      - The sre.health.health_check role sets it from C(health_check_install_deps) - its rescue then installs the
        packages and runs the checks again, on those hosts only.
      - Unset (the default), the task fails as O(fail_on) says.
      - Handled on the controller (an action plugin).
    type: bool
    version_added: 1.1.0
  textfile_dir:
    description:
      - Also write the host's results as a Prometheus textfile into this directory, in the same module run, for
        node_exporter's textfile collector on the host (its C(--collector.textfile.directory)), so the series
        carry the host's own C(instance) and keep being served between runs. Unset (the default), no file is
        written.
      - V(auto) picks the first existing of C(/var/lib/prometheus/node-exporter) (Debian's and Ubuntu's
        C(prometheus-node-exporter)) and C(/var/lib/node_exporter/textfile_collector) (RHEL's EPEL package and the
        C(prometheus.prometheus.node_exporter) role); or give an absolute path.
      - The file is replaced atomically (a temporary file in the same directory, then a rename), mode 0644, so
        node_exporter never reads half a file. The series are those of M(sre.health.fleet_report)'s textfile, by
        the same code - C(sre_health_host_status{host}), C(sre_health_check_status{host,check,kind}),
        C(sre_health_check_value{host,check,kind,metric}), C(sre_health_check_duration_seconds{host,check,kind}),
        C(sre_health_report_timestamp_seconds) - each with C(report), the file name without C(.prom).
      - The file is the checks' output, not a change to the host - the task stays C(changed=false). In check mode
        nothing is written (RV(textfile.reason) says so).
      - A directory that does not exist (it is not created - node_exporter would not read it) or cannot be written
        is a warning, and RV(textfile) says why; the checks still run and report, and the task's outcome is
        theirs.
    type: str
    version_added: 1.1.0
  textfile_name:
    description:
      - The textfile's name in O(textfile_dir), ending in C(.prom); the C(report) label of its series is this name
        without C(.prom). Give each health_check task that writes a textfile on the same host its own name.
    type: str
    default: sre_health.prom
    version_added: 1.1.0
  textfile_host:
    description:
      - The C(host) label of the textfile's series. Default - the host's inventory name (set on the controller),
        as in the fleet reports, so that the two join; the machine's host name when the module runs without
        its action plugin.
    type: str
    version_added: 1.1.0
"""
