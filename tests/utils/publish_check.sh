#!/usr/bin/env bash
# The checks a release must pass before it is published (`make publish-check`, part of `make test`), with the
# tools of .build/publish-venv (requirements-publish.txt), offline:
#   1. the tarball, built from the copy (`make copy`) as `ansible-galaxy collection build` builds it;
#   2. galaxy-importer on it, as Galaxy runs it on an upload (tests/publish/galaxy-importer.cfg): no error, no warning;
#   3. antsibull-docs lint-collection-docs --plugin-docs on the installed tarball: exit 0, nothing printed;
#   4. the docsite's RST (antsibull-docs collection --fail-on-error) into .build/docsite: a page for every
#      module, filter and role, and each role entry point in its role's page;
#   5. antsibull-changelog lint on the fragments;
#   6. ansible-navigator reads ansible-navigator.yml (its own schema) and the artifacts land where it runs.
# Usage: publish_check.sh PUBLISH_VENV COPY BUILD
set -euo pipefail

venv=$(realpath "$1")
copy=$(realpath "$2")
build=$(realpath "$3")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# The publish venv's tools first: galaxy-importer runs ansible-doc, ansible-lint and flake8 from PATH.
export PATH="$venv/bin:$PATH"
unset VIRTUAL_ENV
export ANSIBLE_NOCOLOR=1 NO_COLOR=1

# The collection is installed outside any ansible_collections directory: this checkout sits in one, and
# ansible-doc skips a collection whose path names ansible_collections twice (its roles would go undocumented).
scratch=$(mktemp -d "${TMPDIR:-/tmp}/sre-health-publish.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

step() { printf '%s: %s\n' "publish-check" "$*"; }
started=$SECONDS
timed() { printf '%s: %s (%d s)\n' "publish-check" "$1" $((SECONDS - started)); started=$SECONDS; }
# Fails on a line a tool prints as a warning or an error: the output is in $1, shown on failure.
no_warnings() {
    if grep -E -i -n '(^|[^a-z_])(warning|error|deprecat)' "$1"; then
        echo "publish-check: $2 printed the warnings or errors above (full output: $1)" >&2
        exit 1
    fi
}

out="$build/publish"
rm -rf "$out" && mkdir -p "$out"
"$venv/bin/ansible-galaxy" collection build --force --output-path "$out" "$copy" >"$out/build.log" 2>&1
no_warnings "$out/build.log" "ansible-galaxy collection build"
tarball=$(ls "$out"/sre-health-*.tar.gz)
timed "built $(basename "$tarball")"

(cd "$out" && GALAXY_IMPORTER_CONFIG="$here/tests/publish/galaxy-importer.cfg" \
    "$venv/bin/python" -m galaxy_importer.main "$(basename "$tarball")" >importer.log 2>&1) || {
    cat "$out/importer.log" >&2; echo "publish-check: galaxy-importer failed" >&2; exit 1; }
grep -q '^Importer processing completed successfully$' "$out/importer.log" || {
    cat "$out/importer.log" >&2; echo "publish-check: galaxy-importer did not complete" >&2; exit 1; }
if grep -E -n '^(WARNING|ERROR|CRITICAL):' "$out/importer.log"; then
    echo "publish-check: galaxy-importer found the problems above (full output: $out/importer.log)" >&2
    exit 1
fi
timed "galaxy-importer: no error, no warning ($out/importer.log)"

export ANSIBLE_COLLECTIONS_PATH="$scratch/collections"
"$venv/bin/ansible-galaxy" collection install --offline -p "$ANSIBLE_COLLECTIONS_PATH" "$tarball" >"$out/install.log" 2>&1
no_warnings "$out/install.log" "ansible-galaxy collection install"
installed="$ANSIBLE_COLLECTIONS_PATH/ansible_collections/sre/health"

"$venv/bin/antsibull-docs" lint-collection-docs --plugin-docs "$installed" >"$out/docs-lint.log" 2>&1 || {
    cat "$out/docs-lint.log" >&2; echo "publish-check: antsibull-docs lint-collection-docs failed" >&2; exit 1; }
if [ -s "$out/docs-lint.log" ]; then
    cat "$out/docs-lint.log" >&2; echo "publish-check: antsibull-docs lint-collection-docs printed the above" >&2; exit 1
fi
timed "antsibull-docs lint-collection-docs --plugin-docs: clean"

docsite="$build/docsite"
rm -rf "$docsite" && mkdir -p "$docsite"
"$venv/bin/antsibull-docs" collection --use-current --fail-on-error --dest-dir "$docsite" sre.health \
    >"$out/docsite.log" 2>&1 || {
    cat "$out/docsite.log" >&2; echo "publish-check: antsibull-docs collection failed" >&2; exit 1; }
no_warnings "$out/docsite.log" "antsibull-docs collection"
pages="$docsite/collections/sre/health"
missing=()
for module in "$installed"/plugins/modules/*.py; do
    name=$(basename "$module" .py)
    case "$name" in _*) continue ;; esac  # private helpers, __init__
    [ -s "$pages/${name}_module.rst" ] || missing+=("module $name")
done
filters=$("$venv/bin/python" -c 'import json, sys; print("\n".join(json.load(sys.stdin)))' \
    < <("$venv/bin/ansible-doc" -t filter -l sre.health -j 2>/dev/null))
[ -n "$filters" ] || missing+=("ansible-doc lists no filter")
for filter in $filters; do
    [ -s "$pages/${filter#sre.health.}_filter.rst" ] || missing+=("filter $filter")
done
for role in "$installed"/roles/*/; do
    name=$(basename "$role")
    page="$pages/${name}_role.rst"
    if [ ! -s "$page" ]; then missing+=("role $name"); continue; fi
    for entry in $("$venv/bin/python" -c 'import sys, yaml; print("\n".join(yaml.safe_load(open(sys.argv[1]))["argument_specs"]))' \
            "$role/meta/argument_specs.yml"); do
        grep -q "^Entry point \`\`$entry\`\`" "$page" || missing+=("role $name entry point $entry")
    done
done
if [ ${#missing[@]} -gt 0 ]; then
    printf 'publish-check: the docsite has no page for: %s\n' "${missing[@]}" >&2
    exit 1
fi
timed "docsite RST: $(find "$pages" -name '*.rst' ! -name index.rst | wc -l) pages in $docsite"

(cd "$here" && "$venv/bin/antsibull-changelog" lint) >"$out/changelog-lint.log" 2>&1 || {
    cat "$out/changelog-lint.log" >&2; echo "publish-check: antsibull-changelog lint failed" >&2; exit 1; }
if [ -s "$out/changelog-lint.log" ]; then
    cat "$out/changelog-lint.log" >&2; echo "publish-check: antsibull-changelog lint printed the above" >&2; exit 1
fi
timed "antsibull-changelog lint: clean"

# Navigator validates a settings file against its schema (an unknown key or a wrong type fails it); run where
# no file is picked up but the one named, and read back the value it will use.
(cd "$scratch" && ANSIBLE_NAVIGATOR_CONFIG="$here/ansible-navigator.yml" "$venv/bin/ansible-navigator" settings \
    --effective --mode stdout --execution-environment false --log-file /dev/null) >"$out/navigator.yml" 2>&1 || {
    cat "$out/navigator.yml" >&2; echo "publish-check: ansible-navigator refused ansible-navigator.yml" >&2; exit 1; }
"$venv/bin/python" - "$here/ansible-navigator.yml" "$out/navigator.yml" <<'EOF'
import sys

import yaml

with open(sys.argv[1]) as handle:
    shipped = yaml.safe_load(handle)["ansible-navigator"]["playbook-artifact"]
with open(sys.argv[2]) as handle:
    effective = yaml.safe_load(handle)["ansible-navigator"]["playbook-artifact"]
save_as = effective.get("save-as")
if effective.get("enable") is not False and (save_as != shipped.get("save-as") or save_as.startswith("/")
                                              or "{playbook_dir}" in save_as):
    sys.exit("publish-check: ansible-navigator saves artifacts as %r, not in the directory it runs in" % save_as)
EOF
timed "ansible-navigator.yml: valid; artifacts land in the directory navigator runs in"
