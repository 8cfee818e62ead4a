# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Every example of the docs is true. Each YAML block of README.md, docs/*.md and the roles' and extensions'
READMEs parses; the playbooks among them, and the task lists (run as the tasks of a play), pass
``ansible-playbook --syntax-check`` and ``ansible-lint --profile production``; the variables validate against
their role's argument spec (and each check entry as the health_check module validates it, before it runs
anything); every version of this collection and file name of its tarball that the docs give is galaxy.yml's.
A doc that lies is a bug: these fail on it."""

from __future__ import annotations

import glob
import os
import re
import subprocess
import sys
import textwrap

import pytest
import yaml

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.sre.health.plugins.module_utils._checks import prepare_entry
from ansible_collections.sre.health.plugins.module_utils._errors import SreHealthError
from ansible_collections.sre.health.plugins.module_utils._kinds_all import KINDS
from ansible_collections.sre.health.tests.unit.utils import ansible_env, collections_path

ROOT = os.path.join(collections_path(), "ansible_collections", "sre", "health")

DOCS = ["README.md"] + [os.path.relpath(path, ROOT) for pattern in ("docs/*.md", "roles/*/README.md", "extensions/*/README.md")
                        for path in sorted(glob.glob(os.path.join(ROOT, pattern)))]

FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)

# The YAML blocks that are neither Ansible content nor variables, by file and first key: what they are.
NOT_ANSIBLE = {
    ("README.md", "checks"): "a health_check result",
    ("README.md", "collections"): "a requirements.yml of ansible-galaxy",
    ("docs/awx.md", "description"): "an AWX survey spec",
    ("docs/awx.md", "sre_health"): "the set_stats summary a job leaves",
    ("docs/monitoring.md", "rule_files"): "a Prometheus configuration",
    ("docs/monitoring.md", "route"): "an Alertmanager configuration",
}

# Variables named <base>_<suffix> merged after <base> by the role (its README and argument spec say so).
MERGED = ("health_check_checks", "service_guard_services")


def _blocks():
    """(file, line, language, text) of every fenced block of the docs."""
    for doc in DOCS:
        with open(os.path.join(ROOT, doc), encoding="utf-8") as handle:
            text = handle.read()
        for match in FENCE.finditer(text):
            yield doc, text.count("\n", 0, match.start()) + 1, match.group(1), match.group(2)


def _yaml_blocks():
    blocks = []
    for doc, line, language, text in _blocks():
        if language in ("yaml", "yml"):
            blocks.append((doc, line, yaml.safe_load(text)))
    return blocks


def _kind(doc, data):
    """playbook, tasks, variables or other (NOT_ANSIBLE) for a parsed block."""
    if isinstance(data, list) and data and all(isinstance(item, dict) for item in data):
        plays = ["hosts" in item or any(key.endswith("import_playbook") for key in item) for item in data]
        assert all(plays) or not any(plays), "a block mixes plays and tasks"
        return "playbook" if all(plays) else "tasks"
    assert isinstance(data, dict) and data, "neither a list of plays or tasks nor a dict of variables: %r" % (data,)
    first = sorted(data)[0]
    if (doc, first) in NOT_ANSIBLE:
        return "other"
    return "variables"


def test_every_yaml_block_parses():
    """A block that does not parse fails here, with its file and line (before the tests below use them)."""
    count = 0
    for doc, line, language, text in _blocks():
        if language in ("yaml", "yml"):
            try:
                yaml.safe_load(text)
            except yaml.YAMLError as exc:
                pytest.fail("%s:%d: the YAML example does not parse: %s" % (doc, line, exc))
            count += 1
    assert count >= 20, "fewer YAML examples than the docs hold: is the fence pattern still right?"


def test_every_block_that_is_not_ansible_is_named_here_and_still_in_the_docs():
    kinds = dict(((doc, line), _kind(doc, data)) for doc, line, data in _yaml_blocks())
    used = set((doc, sorted(data)[0]) for doc, line, data in _yaml_blocks() if kinds[(doc, line)] == "other")
    assert used == set(NOT_ANSIBLE), "NOT_ANSIBLE names blocks the docs no longer have: %s" % (set(NOT_ANSIBLE) - used)


def _role_options():
    """{role: {option: spec}} over every entry point of each role's argument spec."""
    options = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml"))):
        role = path.split(os.sep)[-3]
        with open(path) as handle:
            specs = yaml.safe_load(handle)["argument_specs"]
        merged = options.setdefault(role, {})
        for entry in specs.values():
            for name, spec in (entry.get("options") or {}).items():
                merged.setdefault(name, spec)
    return options


def _spec_name(name, options):
    """The argument spec option that validates variable ``name`` (itself, or the base of a merged variable)."""
    if name in options:
        return name
    for base in MERGED:
        if name.startswith(base + "_") and base in options:
            return base
    return None


def _playbook_variables():
    """The text of the collection's playbooks, where variables such as service_guard_hosts (play keywords, not
    role options) are read."""
    text = ""
    for path in sorted(glob.glob(os.path.join(ROOT, "playbooks", "*.yml"))):
        with open(path) as handle:
            text += handle.read()
    return text


def _variable_problems(doc, line, data, roles):
    problems = []
    playbooks = _playbook_variables()
    for name, value in data.items():
        role = next((r for r in roles if name.startswith(r + "_")), None)
        spec_name = _spec_name(name, roles[role]) if role else None
        if spec_name is None and re.search(r"\b%s\b" % re.escape(name), playbooks):
            continue
        if spec_name is None:
            problems.append("%s:%d: %s is not a variable of any role's argument spec or playbook" % (doc, line, name))
            continue
        result = ArgumentSpecValidator({spec_name: roles[role][spec_name]}).validate({spec_name: value})
        problems.extend("%s:%d: %s: %s" % (doc, line, name, message) for message in result.error_messages)
        if spec_name.startswith("health_check_") and spec_name.endswith("checks"):
            problems.extend("%s:%d: %s" % (doc, line, message) for message in _check_problems(name, value))
    return problems


def _check_problems(name, entries):
    """Each check entry as health_check validates it before any check runs (an entry with state: absent removes
    a check by name: the role merges it away, the module never gets it)."""
    problems = []
    for index, entry in enumerate(entries or []):
        if isinstance(entry, dict) and entry.get("state") == "absent":
            continue
        try:
            prepare_entry(entry, "%s[%d]" % (name, index), 30, KINDS)
        except SreHealthError as exc:
            problems.append(str(exc))
    return problems


def test_the_variables_validate_against_their_roles_argument_spec():
    roles = _role_options()
    blocks = [(doc, line, data) for doc, line, data in _yaml_blocks() if _kind(doc, data) == "variables"]
    assert len(blocks) >= 8
    problems = []
    for doc, line, data in blocks:
        problems.extend(_variable_problems(doc, line, data, roles))
    assert not problems, "\n".join(problems)


def test_a_wrong_variable_in_an_example_is_caught():
    """The validation above catches what it is for: an unknown variable, a wrong type, a bad check entry."""
    roles = _role_options()
    problems = _variable_problems("x.md", 1, {
        "health_check_fail_onn": "warning",
        "health_check_max_workers": "many",
        "health_check_checks_web": [{"name": "nginx", "kind": "proces"}, {"name": "d", "kind": "disk", "pathz": ["/"]}],
        "fleet_report_alert_targets": "http://example.com",
    }, roles)
    text = "\n".join(problems)
    assert "health_check_fail_onn is not a variable" in text
    assert "health_check_max_workers" in text and "int" in text
    assert "option kind: 'proces' is invalid" in text and "unknown option pathz for kind disk" in text
    assert "fleet_report_alert_targets" in text
    assert len(problems) >= 5, text


def _write_playbooks(tmp_path):
    """Every playbook of the docs as written, and every task list as the tasks of a play, as files in ``tmp_path``."""
    paths = []
    for doc, line, language, text in _blocks():
        if language not in ("yaml", "yml"):
            continue
        kind = _kind(doc, yaml.safe_load(text))
        if kind == "tasks":
            text = ("- name: The tasks of %s line %d\n  hosts: all\n  gather_facts: false\n  tasks:\n%s"
                    % (doc, line, "".join("    " + row if row.strip() else row
                                          for row in textwrap.dedent(text).splitlines(True))))
        elif kind != "playbook":
            continue
        path = tmp_path / ("%s_%d.yml" % (re.sub(r"[^a-z0-9]+", "_", doc.lower()), line))
        path.write_text(text if re.search(r"^---$", text, re.M) else "---\n" + text)
        paths.append(str(path))
    return paths


def _tool_env():
    env = ansible_env()
    # the tools of this Python's environment (ansible-lint calls ansible-config and ansible-galaxy)
    env["PATH"] = os.path.join(sys.prefix, "bin") + os.pathsep + env.get("PATH", "")
    return env


def test_the_playbooks_pass_syntax_check_and_ansible_lint(tmp_path):
    paths = _write_playbooks(tmp_path)
    assert len(paths) >= 8
    env = _tool_env()
    # the examples name the reader's groups (web, ...), which no inventory here has (ansible-test makes that an error)
    env["ANSIBLE_HOST_PATTERN_MISMATCH"] = "ignore"
    proc = subprocess.run([sys.executable, "-m", "ansible.cli.playbook", "--syntax-check", "-i", "localhost,"] + paths,
                          env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # one ansible-lint run over them all, with the project's profile, and no configuration of its own but that
    (tmp_path / ".ansible-lint").write_text("profile: production\n")
    proc = subprocess.run([sys.executable, "-m", "ansiblelint", "--offline", "--nocolor", "-c", str(tmp_path / ".ansible-lint")]
                          + [os.path.basename(path) for path in paths],
                          env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _galaxy():
    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        return yaml.safe_load(handle)


# Where a doc names a version of this collection: its tarball, an EE image of it, "sre.health 1.2.3",
# "sre.health:1.2.3", "sre.health==1.2.3", a requirements entry's version.
VERSIONED = re.compile(r"(?:sre[-./]health(?:-ee)?(?:-|:|==|\s+v?)|version:\s*[\"']?)(\d+\.\d+\.\d+)")


def test_every_version_of_the_collection_in_the_docs_is_galaxy_yml_s():
    version = _galaxy()["version"]
    stale = []
    found = 0
    for doc in DOCS:
        with open(os.path.join(ROOT, doc), encoding="utf-8") as handle:
            for number, text in enumerate(handle, 1):
                for match in VERSIONED.finditer(text):
                    found += 1
                    if match.group(1) != version:
                        stale.append("%s:%d: %s (galaxy.yml: %s)" % (doc, number, match.group(0), version))
    assert not stale, "stale versions in the docs:\n" + "\n".join(stale)
    assert found >= 2


@pytest.mark.parametrize("text, stale", [
    ("ansible-galaxy collection install .build/sre-health-0.9.0.tar.gz", True),
    ("- {name: collections/sre-health-0.9.0.tar.gz, type: file}", True),
    ("registry.example.com/sre/health-ee:0.9.0", True),
    ("image: registry.example.com/sre/sre-health-ee:0.9.0", True),
    ("  version: 0.9.0", True),
    ("ansible-core 2.19.4, ansible-builder 3.1.0", False),
])
def test_the_version_pattern_finds_what_names_the_collection(text, stale):
    assert bool(VERSIONED.search(text)) == stale


def test_the_git_url_in_the_docs_is_galaxy_yml_s_repository():
    repository = _galaxy().get("repository")
    urls = set()
    for doc, line, language, text in _blocks():
        urls.update(re.findall(r"git\+(https://\S+?)(?:\.git)?(?:,\S*)?(?=\s|$)", text))
    assert urls, "the README shows no ansible-galaxy collection install git+https://... command"
    if repository:
        assert urls == set([repository.rstrip("/")]), (urls, repository)
