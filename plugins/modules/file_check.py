#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: file_check
short_description: Check that files exist (or not), their type, mode and owner, and how fresh they are
version_added: 1.1.0
description:
  - 'Finds the entries O(path) names (paths and globs) and checks them together - that there is at least one
    (O(state=present)) or none (O(state=absent)), their type, mode, owner and group - then measures the age
    and size of the newest match, the age of the oldest and the total size, and compares them with
    O(thresholds). The newest C(/backups/db-*.dump) younger than 26 hours is
    C(thresholds={age_seconds: {critical: 26h}}).'
  - With O(state=present), a glob that matches nothing, or a plain path that does not exist, is C(critical)
    and the summary says which. A plain path of another O(type) is C(critical). An entry whose mode, owner or
    group is not the expected one is C(critical); the summary names it, what it has and what is expected.
  - With O(state=absent), any match is C(critical) and the summary names the first ones.
  - A path or directory that cannot be read (permission denied, I/O error) makes the check C(unknown) with the
    reason; the entries that could be read are still measured and judged.
  - The scan is bounded - it stops after O(max_entries) directory entries, and says so in the summary and in
    RV(checks[].truncated) - and runs in a child process stopped at O(check_timeout), so a directory of a
    million files or a hung mount (a stale NFS server) cannot hold the module. Memory stays bounded whatever
    the number of matches.
  - Only reads; never changes the host, so it runs the same in check mode. Needs no third-party Python
    library.
author:
  - sre.health developers (!UNKNOWN)
extends_documentation_fragment:
  - sre.health.checks
  - sre.health.deadline
options:
  path:
    description:
      - Absolute paths or globs. A glob may have C(*), C(?) and C([...]) in any component, as in the shell; a
        wildcard does not match a leading dot (C(/etc/*) skips C(/etc/.pwd.lock)); C(**) is not special, use
        O(recurse).
      - The matches of every item are checked together, as one set.
    type: list
    elements: str
    required: true
  state:
    description:
      - V(present) - at least one entry must match, and every plain path must exist.
      - V(absent) - no entry may match (a stale lock file, a core dump, a forgotten C(.orig)).
      - O(mode), O(owner) and O(group) only with V(present).
    type: str
    choices: [present, absent]
    default: present
  type:
    description:
      - The type of entry that matches - V(file) (a regular file), V(directory), V(link) (a symbolic link) or
        V(any). Globs and O(recurse) keep the entries of this type only (as C(find -type)); a plain path of
        another type is C(critical) with O(state=present).
      - Entries are examined without following symbolic links (a link is a V(link)) unless O(follow=true).
    type: str
    choices: [file, directory, link, any]
    default: any
  recurse:
    description:
      - Replace every matched directory by all that is below it, at any depth (as C(find DIR -mindepth 1)),
        without following symbolic links to directories inside it. A plain path that is a link to a directory is
        followed. Bounded by O(max_entries).
    type: bool
    default: false
  follow:
    description:
      - Examine what symbolic links point to (type, mode, owner, age, size) rather than the links themselves, as
        C(stat) does. A dangling link stays a V(link).
      - 'A link that loops (C(a -> b -> a), a link to itself) points at nothing, so it is skipped, named in
        RV(checks[].skipped_loops) and in the summary, and the other entries are counted as usual (the status is
        theirs). A plain path of O(path) that loops is critical, as a missing one is. A link to a directory above
        it (C(up -> ..)) found by O(recurse) is one entry, never recursed into; matched by a glob, with O(recurse),
        it is a loop too.'
    type: bool
    default: false
  mode:
    description:
      - The exact permission bits every match must have, as an octal string such as V('0640') or V('2775') (quote
        it; an unquoted YAML C(0640) is read by YAML as the number 416, which is the same mode and is accepted
        too).
    type: raw
  owner:
    description:
      - The user every match must belong to, as a name or a numeric uid.
    type: str
  group:
    description:
      - The group every match must belong to, as a name or a numeric gid.
    type: str
  max_entries:
    description:
      - How many directory entries the scan examines at most, globs and O(recurse) included, from 1 to
        10000000. When reached, the scan stops, the summary says so and RV(checks[].truncated) is V(true); the
        metrics then cover what was seen, and the status is judged on that - except when nothing matched before
        the scan stopped, which is C(unknown) (whether something matches further on cannot be told).
    type: int
    default: 10000
  thresholds:
    description:
      - 'Metrics over the matches: V(count); V(age_seconds), the age of the newest match (by modification time,
        negative when it is in the future); V(oldest_age_seconds); V(size_bytes), the size of the newest match;
        V(total_bytes), the size of all matches (a directory counts its own entry size, not its contents).
        Ages take duration units (V(26h), V(7d)), sizes byte units (V(1GiB)). With no match they are C(null)
        and not judged; V(count) is then 0.'
      - 'No defaults: O(state) already says whether something must exist. Typical bounds are
        C({age_seconds: {critical: 26h}}) for a daily backup, C({size_bytes: {critical: "1MiB:"}}) for a dump
        that must not be empty, C({count: {warning: "7:"}}) for a retention of a week.'
notes:
  - Names that are not valid UTF-8 are shown with C(\xNN) escapes.
  - The result lists at most 20 matches and 20 mismatches; the summary names at most 5 of each.
seealso:
  - module: sre.health.health_check
  - module: ansible.builtin.stat
  - module: ansible.builtin.find
"""

EXAMPLES = r"""
- name: The newest database dump is younger than 26 hours and not empty
  sre.health.file_check:
    path: /backups/db-*.dump
    type: file
    thresholds:
      age_seconds:
        warning: 25h
        critical: 26h
      size_bytes:
        critical: "1MiB:"

- name: The application's configuration is readable by its group only, owned by root:app
  sre.health.file_check:
    path: /etc/app/app.conf
    type: file
    mode: "0640"
    owner: root
    group: app

- name: No core dumps left anywhere under /var/crash
  sre.health.file_check:
    path: /var/crash
    recurse: true
    type: file
    state: absent
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
  sample: "1 of 1 checks not ok: CRITICAL: /tmp/sample/backups/db-*.dump: 3 matches, newest 1d 3h old
    (/tmp/sample/backups/db-wed.dump, 4.9 MiB), oldest 3d 2h old, 14.6 MiB in total (critical:
    /tmp/sample/backups/db-wed.dump has mode 0644 (expected 0600); critical: age_seconds 97337.8 s > 93600 s)"
checks:
  description: One result, for all the matches.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: C(file:) followed by the paths, comma-separated.
      type: str
      sample: "file:/tmp/sample/backups/db-*.dump"
    kind:
      description: Always C(file).
      type: str
      sample: file
    status:
      description: C(ok), C(warning), C(critical) or C(unknown).
      type: str
      sample: critical
    summary:
      description: One human line - the matches, the newest and oldest, and in parentheses what is wrong.
      type: str
      sample: "/tmp/sample/backups/db-*.dump: 3 matches, newest 1d 3h old (/tmp/sample/backups/db-wed.dump, 4.9 MiB),
        oldest 3d 2h old, 14.6 MiB in total (critical: /tmp/sample/backups/db-wed.dump has mode 0644 (expected 0600);
        critical: age_seconds 97337.8 s > 93600 s)"
    metrics:
      description: The measured metrics; the ages and sizes are null when nothing matched.
      type: dict
      sample: {"age_seconds": 97337.802, "count": 3, "oldest_age_seconds": 266537.804, "size_bytes": 5100000, "total_bytes": 15300000}
    thresholds:
      description: The effective thresholds (there are no defaults).
      type: dict
      sample: {"age_seconds": {"critical": "26h", "warning": "25h"}}
    duration_ms:
      description: How long the check took.
      type: float
      sample: 1.825
    paths:
      description: O(path), as given.
      type: list
      elements: str
      sample: ["/tmp/sample/backups/db-*.dump"]
    state:
      description: O(state).
      type: str
      sample: present
    type:
      description: O(type).
      type: str
      sample: file
    matches:
      description: The first 20 matches, in the order found (sorted within each directory for globs).
      type: list
      elements: str
      sample: ["/tmp/sample/backups/db-mon.dump", "/tmp/sample/backups/db-tue.dump", "/tmp/sample/backups/db-wed.dump"]
    newest:
      description: The newest match (by modification time), null when nothing matched.
      type: str
      sample: "/tmp/sample/backups/db-wed.dump"
    oldest:
      description: The oldest match, null when nothing matched.
      type: str
      sample: "/tmp/sample/backups/db-mon.dump"
    truncated:
      description: Whether the scan stopped at O(max_entries).
      type: bool
      sample: false
    mismatches:
      description: The first 20 matches whose mode, owner or group is not the expected one, with what is wrong.
      type: list
      elements: dict
      sample: [{"path": "/tmp/sample/backups/db-wed.dump", "problems": ["mode 0644 (expected 0600)"]}]
    errors:
      description: The first 20 paths that could not be read, with the reason.
      type: list
      elements: dict
      sample: [{"path": "/tmp/sample/backups/private", "error": "permission denied"}]
    skipped_loops:
      description: The first 20 symbolic links skipped because they loop (with O(follow), or on the way to a path); the
        summary says how many.
      type: list
      elements: str
      sample: ["/tmp/sample/backups/latest"]
"""

from ansible_collections.sre.health.plugins.module_utils._compile_once import install

install()  # before the imports below: each is then compiled once from the AnsiballZ zip

from ansible_collections.sre.health.plugins.module_utils import _file
from ansible_collections.sre.health.plugins.module_utils._module import run_module


def main():
    run_module(_file)


if __name__ == "__main__":
    main()
