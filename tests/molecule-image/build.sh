#!/usr/bin/env bash
# Build the molecule test host image: Debian bookworm with systemd as PID 1 and the packages
# listed in packages.txt, made with debootstrap and `docker import` (no registry is needed).
#
# The tag is a hash of the recipe (this script and packages.txt), so an unchanged recipe reuses
# the image already in the engine and a changed one builds a new image. The image is also tagged
# :latest for running molecule by hand.
#
# Usage: build.sh [--print]   (--print: only print the image reference, build nothing)
# Prints the image reference (name:tag) on stdout; progress goes to stderr.
# Environment: SRE_HEALTH_MOLECULE_MIRROR overrides the Debian mirror, which is otherwise read
# from this machine's apt sources.
set -Eeuo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
name=${SRE_HEALTH_MOLECULE_IMAGE_NAME:-sre-health-molecule}
suite=bookworm

log() { printf 'molecule-image: %s\n' "$*" >&2; }
# No silent exits: a command that fails under set -e names itself, its line and its status.
trap 'rc=$?; log "error: step failed (exit $rc) at line $LINENO: $BASH_COMMAND"' ERR

packages() {
    sed -e 's/#.*//' -e 's/[[:space:]]//g' "$here/packages.txt" | grep -v '^$'
}

recipe_hash() {
    { printf 'suite=%s\n' "$suite"; cat "$here/build.sh" "$here/packages.txt"; } | sha256sum | cut -c1-12
}

# The first Debian mirror configured for $suite itself (not -security or -updates), from the
# deb822 .sources files or the one-line sources.list format.
apt_mirror() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        awk -v suite="$suite" '
            function flush() {
                if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && enabled != "no" && uris != "") {
                    split(uris, u, " "); print u[1]; found = 1; exit
                }
                types = suites = uris = ""; enabled = "yes"
            }
            BEGIN { enabled = "yes" }
            /^[[:space:]]*#/ { next }
            /^[[:space:]]*$/ { flush(); next }
            { key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
              if (key == "types") types = $0
              else if (key == "suites") suites = $0
              else if (key == "uris") uris = $0
              else if (key == "enabled") enabled = tolower($0) }
            END { if (!found) flush() }
        ' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -r "$f" ] || continue
        # deb [options] URI SUITE COMPONENTS...
        sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk -v suite="$suite" '$1 == "deb" && $3 == suite { print $2 }'
    done
}

ref="$name:$(recipe_hash)"
if [ "${1:-}" = "--print" ]; then
    echo "$ref"
    exit 0
fi

if docker image inspect "$ref" >/dev/null 2>&1; then
    log "reusing $ref (recipe unchanged)"
    docker tag "$ref" "$name:latest"
    echo "$ref"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    log "building $ref needs root (debootstrap); run as root or build it once as root"
    exit 1
fi
if ! command -v debootstrap >/dev/null 2>&1 || ! command -v dpkg-scanpackages >/dev/null 2>&1; then
    log "installing debootstrap and dpkg-dev"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q debootstrap dpkg-dev >&2 ||
        { apt-get update -q >&2 && apt-get install -y -q debootstrap dpkg-dev >&2; }
fi

mirror=${SRE_HEALTH_MOLECULE_MIRROR:-$(apt_mirror | head -n 1)}
if [ -z "$mirror" ]; then
    log "no Debian mirror for $suite in /etc/apt/sources*; set SRE_HEALTH_MOLECULE_MIRROR"
    exit 1
fi

rootfs=$(mktemp -d "${TMPDIR:-/var/tmp}/sre-health-rootfs.XXXXXX")
cleanup() {
    # debootstrap mounts /proc and /sys inside the target; a failed run can leave them there.
    awk -v r="$rootfs/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r |
        while read -r m; do umount -l "$m" || true; done
    rm -rf --one-file-system "$rootfs"
}
trap cleanup EXIT

include=$(packages | paste -sd, -)
log "building $ref: debootstrap $suite with $include"
started=$SECONDS
debootstrap --variant=minbase --include="$include" "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || {
    log "debootstrap failed; last lines of its log:"
    tail -n 30 "$rootfs.log" >&2
    rm -f "$rootfs.log"
    exit 1
}
rm -f "$rootfs.log"

# One offline package source inside the image, python3-psutil alone: the faults scenario removes
# psutil from a host and lets the health_check role install it again, with no network. It is the
# image's only source (the containers have no network to reach a mirror).
repo="$rootfs/srv/sre-health-apt"
mkdir -p "$repo"
cp "$rootfs"/var/cache/apt/archives/python3-psutil_*.deb "$repo/"
(cd "$repo" && dpkg-scanpackages --multiversion . /dev/null >Packages 2>/dev/null)
echo "deb [trusted=yes] file:/srv/sre-health-apt ./" >"$rootfs/etc/apt/sources.list"

# Smaller image: no package cache, lists or documentation (apt runs only against the local source).
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
# systemd makes a machine id on first boot of each container.
: >"$rootfs/etc/machine-id"

tar -C "$rootfs" --numeric-owner -c . |
    docker import --change 'CMD ["/lib/systemd/systemd"]' - "$ref" >/dev/null
docker tag "$ref" "$name:latest"
log "built $ref in $((SECONDS - started)) s"
# Images of older recipes are dead weight (about 190 MB each); one still used by a container stays.
# (grep -v finds nothing to remove on a first build and exits 1: that is not a failure.)
old_images=$(docker images --format '{{.Repository}}:{{.Tag}}' "$name") ||
    { log "could not list the older $name images (skipped removing them)"; old_images=""; }
for old in $old_images; do
    case "$old" in
    "$ref" | "$name:latest") ;;
    *) docker rmi "$old" >/dev/null 2>&1 || log "kept $old (still in use)" ;;
    esac
done
echo "$ref"
