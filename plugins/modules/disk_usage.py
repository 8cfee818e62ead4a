#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: disk_usage
short_description: Check space and inode usage of mounted filesystems against thresholds
version_added: 1.0.0
description:
  - Measures every selected filesystem with C(statvfs) and compares its metrics with warning and
    critical thresholds (Nagios ranges).
  - V(used_percent) is computed as C(df) does, used / (used + available), so it agrees with the
    C(Use%) column of C(df); V(free_bytes) is the space available to unprivileged users (C(df)'s
    C(Avail)).
  - Each filesystem is measured in its own thread with O(timeout); a filesystem that does not answer
    (a hung NFS mount) is reported C(unknown) and the module still returns on time.
  - Only reads; never changes the host. Needs no third-party Python library.
author:
  - sre.health developers (!UNKNOWN)
extends_documentation_fragment:
  - sre.health.checks
  - sre.health.deadline
options:
  paths:
    description:
      - Absolute paths or mount-point globs to check.
      - A path that is not a mount point checks the filesystem that holds it, as C(df PATH) does.
        Explicit paths are checked whatever their filesystem type.
      - A glob (containing C(*), C(?) or C([)) matches the mount points whose filesystem type passes
        O(include_fstypes) and O(exclude_fstypes).
      - A path that does not exist, or a glob that matches nothing, gives a C(critical) result for that
        entry; the other entries still report.
      - Default is every mounted real filesystem, once per device (bind mounts of one device count once).
    type: list
    elements: str
  include_fstypes:
    description:
      - Check only filesystems of these types (shell-style patterns such as V(ext*) allowed) when
        listing mounts. An explicitly included type is checked even when O(exclude_fstypes) lists it.
    type: list
    elements: str
  exclude_fstypes:
    description:
      - Filesystem types (shell-style patterns allowed) to skip when listing mounts. The default skips
        pseudo and virtual filesystems, and read-only images that are always full.
    type: list
    elements: str
    default: [autofs, binfmt_misc, bpf, cgroup, cgroup2, configfs, debugfs, devpts, devtmpfs, efivarfs,
              fuse.gvfsd-fuse, fuse.lxcfs, fuse.portal, fusectl, hugetlbfs, iso9660, mqueue, nsfs, overlay,
              proc, pstore, ramfs, rpc_pipefs, securityfs, selinuxfs, squashfs, sysfs, tmpfs, tracefs]
  timeout:
    description:
      - Seconds to wait for each filesystem to answer before reporting it C(unknown).
    type: float
    default: 5
  thresholds:
    description:
      - 'Metrics: V(used_percent), V(free_bytes), V(total_bytes), V(inodes_used_percent), V(inodes_free).'
      - 'Defaults: V(used_percent) warning C(80) critical C(90); V(inodes_used_percent) warning C(80)
        critical C(90). For free space use a lower bound such as C(10GiB:).'
notes:
  - Filesystems reporting no inodes (btrfs, vfat) have C(null) inode metrics, which thresholds skip.
seealso:
  - module: sre.health.health_check
"""

EXAMPLES = r"""
- name: Check every real filesystem with the default thresholds (80% warning, 90% critical)
  sre.health.disk_usage:

- name: Check /var and the filesystem holding /srv/data, alert when less than 10 GiB is free
  sre.health.disk_usage:
    paths:
      - /var
      - /srv/data
    thresholds:
      free_bytes:
        warning: "20GiB:"
        critical: "10GiB:"

- name: Check NFS mounts, giving a hung server 2 seconds, without failing the play
  sre.health.disk_usage:
    include_fstypes: [nfs, nfs4]
    timeout: 2
    fail_on: never
  register: nfs
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
  sample: "1 of 2 checks not ok: CRITICAL: /var 91.2% used, 88 MiB free of 1.0 GiB, inodes 0% used (critical > 90%)"
checks:
  description: One result per filesystem.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: C(disk:) followed by the mount point (or the path, when it could not be resolved).
      type: str
      sample: "disk:/var"
    kind:
      description: Always C(disk).
      type: str
      sample: disk
    status:
      description: C(ok), C(warning), C(critical) or C(unknown).
      type: str
      sample: critical
    summary:
      description: One human line.
      type: str
      sample: "/var 91.2% used, 88 MiB free of 1.0 GiB, inodes 0% used (critical > 90%)"
    metrics:
      description: The measured metrics; inode metrics are null on filesystems without inodes.
      type: dict
      sample: {"used_percent": 91.2, "free_bytes": 92274688, "total_bytes": 1073741824,
               "inodes_used_percent": 0.0, "inodes_free": 262133}
    thresholds:
      description: The effective thresholds, defaults merged with O(thresholds).
      type: dict
      sample: {"used_percent": {"warning": "80", "critical": "90"},
               "inodes_used_percent": {"warning": "80", "critical": "90"}}
    duration_ms:
      description: How long the measurement took.
      type: float
      sample: 0.412
    path:
      description: The path or glob the result is for.
      type: str
      sample: /var
    mount:
      description: The mount point of the filesystem measured.
      type: str
      returned: when measured
      sample: /var
    fstype:
      description: Filesystem type.
      type: str
      returned: when measured
      sample: ext4
    device:
      description: The mounted source (device, server export).
      type: str
      returned: when measured
      sample: /dev/sda3
"""

from ansible_collections.sre.health.plugins.module_utils._compile_once import install

install()  # before the imports below: each is then compiled once from the AnsiballZ zip

from ansible_collections.sre.health.plugins.module_utils import _disk
from ansible_collections.sre.health.plugins.module_utils._module import run_module


def main():
    run_module(_disk)


if __name__ == "__main__":
    main()
