#!/usr/bin/env bash
# Run the molecule scenarios (extensions/molecule/*) on real systemd containers, from a bare
# machine. Usage: bash tests/utils/molecule.sh [scenario ...]   (default: every scenario)
#
# What it does, each step skipped when already done:
#   1. a Docker engine: when `docker info` fails and we are root, install Debian's docker.io
#      and start dockerd in the background (there is no init system to do it);
#   2. molecule and its docker driver into the active virtual environment
#      (requirements-molecule.txt);
#   3. the collections molecule's docker driver needs (community.docker, ansible.posix),
#      extracted from the `ansible` community package's wheel because Galaxy is unreachable;
#   4. this collection, built with ansible-galaxy and installed next to them, so the scenarios
#      test the artifact users get;
#   5. the test host image of each Debian release a scenario runs on (tests/molecule-image/build.sh,
#      rebuilt only when its recipe changes);
#   6. `molecule test` for each scenario on each of its releases, destroying its containers whatever
#      happens.
#
# Releases: the default scenario runs on Debian 12 (bookworm), 11 (bullseye) and 13 (trixie), one
# run per release with that release's image (SRE_HEALTH_MOLECULE_IMAGE, which every molecule.yml
# reads); the other scenarios run on bookworm. MOLECULE_DISTRO="bullseye trixie" (one or more of
# bullseye, bookworm, trixie) runs the given scenarios on those releases instead.
#
# Environment: SRE_HEALTH_DOCKERD_LOG (default /var/log/sre-health-dockerd.log) is where a
# dockerd started here logs. MOLECULE_OPTS adds options to `molecule test`.
set -Eeuo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
build="$repo/.build/molecule"
collections="$build/collections"
dockerd_log=${SRE_HEALTH_DOCKERD_LOG:-/var/log/sre-health-dockerd.log}

# The `ansible` community package bundles community.docker 4.8.5 (and its dependency
# community.library_inventory_filtering_v1) and ansible.posix 2.1.0; 12.x requires
# ansible-core 2.19.x. Only these collections are extracted: installing the whole package
# would put 477 MB of collections into the venv and take 20 s.
ansible_bundle="ansible==12.3.0"
bundled_collections=(community/docker community/library_inventory_filtering_v1 ansible/posix)

started=$SECONDS
log() { printf '==> molecule.sh [%3ds] %s\n' "$((SECONDS - started))" "$*" >&2; }
die() { printf 'molecule.sh: error: %s\n' "$*" >&2; exit 1; }
# No silent exits: a command that fails under set -e names itself, its line and its status.
trap 'rc=$?; printf "molecule.sh: error: step failed (exit %s) at line %s: %s\n" "$rc" "$LINENO" "$BASH_COMMAND" >&2' ERR

is_root() { [ "$(id -u)" -eq 0 ]; }

apt_install() {
    # An apt-get update first only when the package is unknown (fresh machine, empty lists).
    if ! apt-cache show "$@" >/dev/null 2>&1; then
        apt-get update -q >&2
    fi
    # ... and again when the lists are stale (the mirror no longer has the versions they name).
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2 || {
        apt-get update -q >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2
    }
}

# --- 0. the project virtual environment -------------------------------------------------
if [ -z "${VIRTUAL_ENV:-}" ] && [ -f "$repo/.venv/bin/activate" ]; then
    # shellcheck disable=SC1091
    source "$repo/.venv/bin/activate"
fi
command -v ansible-playbook >/dev/null 2>&1 ||
    die "ansible-playbook is not on PATH: activate the project's virtual environment (.venv) first"

# --- 1. a Docker engine -----------------------------------------------------------------
ensure_docker() {
    if docker info >/dev/null 2>&1; then
        return
    fi
    if ! is_root; then
        die "no Docker engine answers ('docker info' fails) and only root may install and start one here.
Start a Docker engine you can use (or run this script as root, which installs Debian's docker.io
and starts dockerd), then run it again."
    fi
    if ! command -v dockerd >/dev/null 2>&1; then
        log "installing Debian's docker.io (Docker engine)"
        apt_install docker.io
    fi
    command -v docker >/dev/null 2>&1 || die "no docker client after installing docker.io"

    local pid="" started_here=""
    if [ -s /var/run/docker.pid ] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
        pid=$(cat /var/run/docker.pid)
        log "dockerd (pid $pid) is running but not answering yet; waiting for it"
    else
        log "starting dockerd (no bridge network, no iptables; log: $dockerd_log)"
        mkdir -p "$(dirname "$dockerd_log")"
        # setsid: the engine outlives this script (the next run reuses it) and is not hit by
        # signals sent to the caller's process group.
        # 9>&-: the daemon outlives this run and must not keep holding the run lock
        setsid dockerd --bridge=none --iptables=false >>"$dockerd_log" 2>&1 </dev/null 9>&- &
        pid=$!
        started_here=1
    fi
    local i
    for i in $(seq 1 60); do
        if docker info >/dev/null 2>&1; then
            log "Docker engine up after ${i} s"
            return
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 1
    done
    tail -n 20 "$dockerd_log" >&2 || true
    if [ -n "$started_here" ]; then
        # Not left half-started: the next run starts a fresh one.
        kill "$pid" 2>/dev/null || true
        die "dockerd did not answer within 60 s; stopped it (log above, full log in $dockerd_log)"
    fi
    die "dockerd (pid $pid, not started by this script) did not answer within 60 s; see $dockerd_log"
}

# --- 2. Python packages -------------------------------------------------------------------
ensure_python_packages() {
    local stamp="$build/pip.stamp" want
    want="$(python -c 'import sys; print(sys.prefix)') $(sha256sum requirements-molecule.txt | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && python -c 'import molecule, molecule_plugins.docker' 2>/dev/null; then
        return
    fi
    log "installing requirements-molecule.txt into $(python -c 'import sys; print(sys.prefix)')"
    python -m pip install --quiet -r requirements-molecule.txt
    python - <<'EOF' || die "requirements-molecule.txt moved ansible-core out of 2.19"
import ansible.release, sys
sys.exit(0 if ansible.release.__version__.startswith("2.19.") else 1)
EOF
    mkdir -p "$build"
    echo "$want" >"$stamp"
}

# --- 3. community.docker and ansible.posix ------------------------------------------------
ensure_bundled_collections() {
    local stamp="$collections/.bundled" want="$ansible_bundle ${bundled_collections[*]}"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return
    fi
    log "extracting ${bundled_collections[*]} from $ansible_bundle"
    mkdir -p "$build/wheels" "$collections/ansible_collections"
    python -m pip download --quiet --no-deps --dest "$build/wheels" "$ansible_bundle"
    local wheel
    wheel=$(ls "$build"/wheels/ansible-"${ansible_bundle#ansible==}"-*.whl)
    python - "$wheel" "$collections" "${bundled_collections[@]}" <<'EOF'
import shutil, sys, zipfile
from pathlib import Path

wheel, dest, wanted = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]
prefixes = tuple("ansible_collections/%s/" % name for name in wanted)
for name in wanted:
    shutil.rmtree(dest / "ansible_collections" / name, ignore_errors=True)
with zipfile.ZipFile(wheel) as archive:
    members = [m for m in archive.namelist() if m.startswith(prefixes)]
    for name in wanted:
        if not any(m.startswith("ansible_collections/%s/" % name) for m in members):
            sys.exit("%s has no collection %s" % (wheel, name))
    archive.extractall(dest, members)
EOF
    echo "$want" >"$stamp"
}

# --- 4. this collection ---------------------------------------------------------------------
install_this_collection() {
    mkdir -p "$build/dist"
    rm -f "$build"/dist/sre-health-*.tar.gz
    ansible-galaxy collection build --force --output-path "$build/dist" "$repo" >/dev/null
    rm -rf "$collections/ansible_collections/sre/health"
    ansible-galaxy collection install --offline --force -p "$collections" "$build"/dist/sre-health-*.tar.gz >/dev/null
}

# --- 6. molecule ------------------------------------------------------------------------------
scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
    for f in extensions/molecule/*/molecule.yml; do
        scenarios+=("$(basename "$(dirname "$f")")")
    done
fi

for scenario in "${scenarios[@]}"; do
    [ -f "extensions/molecule/$scenario/molecule.yml" ] || die "no scenario extensions/molecule/$scenario"
done

# The releases each scenario runs on: bookworm first (the release most users run), then the others.
releases_of() {
    if [ -n "${MOLECULE_DISTRO:-}" ]; then
        echo "$MOLECULE_DISTRO"
    elif [ "$1" = default ]; then
        echo "bookworm bullseye trixie"
    else
        echo "bookworm"
    fi
}
for release in ${MOLECULE_DISTRO:-}; do
    case "$release" in
    bullseye | bookworm | trixie) ;;
    *) die "MOLECULE_DISTRO: unknown release $release (one of: bullseye bookworm trixie)" ;;
    esac
done

destroy_on_failure() {
    local rc=$?
    if [ "$rc" -ne 0 ] && [ -n "${running_scenario:-}" ]; then
        log "cleaning up scenario $running_scenario (${SRE_HEALTH_MOLECULE_RELEASE:-bookworm}) after failure"
        molecule destroy -s "$running_scenario" >/dev/null 2>&1 || true
    fi
    exit "$rc"
}
trap destroy_on_failure EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# One run at a time on this machine: container names are global in the engine, and two runs
# would both start dockerd or build the image.
exec 9>"${TMPDIR:-/tmp}/sre-health-molecule.lock"
if ! flock -n 9; then
    log "another molecule run holds the lock; waiting (at most 15 min)"
    flock -w 900 9 || die "another molecule run is still going after 15 min"
fi

ensure_docker
ensure_python_packages
ensure_bundled_collections

export ANSIBLE_COLLECTIONS_PATH="$collections"
export MOLECULE_GLOB="extensions/molecule/*/molecule.yml"
# Plain output in logs (make, CI); colours on a terminal.
if [ ! -t 1 ] && [ -z "${NO_COLOR:-}${FORCE_COLOR:-}" ]; then
    export NO_COLOR=1 ANSIBLE_NOCOLOR=1
fi
install_this_collection
log "collections ready in $collections"

# Every image first, so that a release whose image cannot be built fails the run before any scenario.
# The missing ones build in parallel: debootstrap fetches one package at a time, so most of a build
# is spent waiting for the mirror (three releases take little longer than one).
releases=()
for scenario in "${scenarios[@]}"; do
    for release in $(releases_of "$scenario"); do
        case " ${releases[*]} " in *" $release "*) ;; *) releases+=("$release") ;; esac
    done
done
image_refs=$(mktemp -d "${TMPDIR:-/tmp}/sre-health-images.XXXXXX")
build_pids=()
for release in "${releases[@]}"; do
    # 9>&-: the molecule run lock stays this script's
    bash tests/molecule-image/build.sh "$release" >"$image_refs/$release" 9>&- &
    build_pids+=("$!")
done
failed_builds=()
for i in "${!releases[@]}"; do
    wait "${build_pids[$i]}" || failed_builds+=("${releases[$i]}")
done
declare -A images=()
for release in "${releases[@]}"; do
    images[$release]=$(cat "$image_refs/$release")
done
rm -rf "$image_refs"
[ ${#failed_builds[@]} -eq 0 ] ||
    die "building the test host image of ${failed_builds[*]} failed (tests/molecule-image/build.sh, its messages above)"
for release in "${releases[@]}"; do
    log "test host image $release: ${images[$release]}"
done

passed=()
for scenario in "${scenarios[@]}"; do
    for release in $(releases_of "$scenario"); do
        running_scenario=$scenario
        export SRE_HEALTH_MOLECULE_IMAGE=${images[$release]} SRE_HEALTH_MOLECULE_RELEASE=$release
        log "scenario $scenario on $release"
        # shellcheck disable=SC2086
        molecule test -s "$scenario" ${MOLECULE_OPTS:-}
        running_scenario=""
        passed+=("$scenario/$release")
    done
done
log "all scenarios passed: ${passed[*]}"
