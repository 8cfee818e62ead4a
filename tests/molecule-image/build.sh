#!/usr/bin/env bash
# Build a molecule test host image: a Debian release with systemd as PID 1 and the packages listed
# in packages.txt, made with debootstrap and `docker import` (no registry is needed).
#
# Releases: bullseye (11: Python 3.9, systemd 247), bookworm (12, the default) and trixie (13:
# Python 3.13, systemd 257), the ones the collection is tested on.
#
# The tag is the release and a hash of the recipe (the release, this script and packages.txt), so an
# unchanged recipe reuses the image already in the engine and a changed one builds a new image. The
# image is also tagged :RELEASE (and bookworm's :latest) for running molecule by hand.
#
# Usage: build.sh [--print] [RELEASE]   (--print: only print the image reference, build nothing)
# Prints the image reference (name:tag) on stdout; progress goes to stderr.
# Environment: SRE_HEALTH_MOLECULE_MIRROR overrides the Debian mirror, which is otherwise read
# from this machine's apt sources (the one it uses for its own release serves the others too).
set -Eeuo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
name=${SRE_HEALTH_MOLECULE_IMAGE_NAME:-sre-health-molecule}
releases="bullseye bookworm trixie"
suite=bookworm
print=""
for arg in "$@"; do
    case "$arg" in
    --print) print=1 ;;
    -*) printf 'molecule-image: unknown option %s\n' "$arg" >&2; exit 2 ;;
    *)
        case " $releases " in
        *" $arg "*) suite=$arg ;;
        *) printf 'molecule-image: unknown release %s (one of: %s)\n' "$arg" "$releases" >&2; exit 2 ;;
        esac
        ;;
    esac
done

log() { printf 'molecule-image %s: %s\n' "$suite" "$*" >&2; }
# No silent exits: a command that fails under set -e names itself, its line and its status.
trap 'rc=$?; log "error: step failed (exit $rc) at line $LINENO: $BASH_COMMAND"' ERR

packages() {
    sed -e 's/#.*//' -e 's/[[:space:]]//g' "$here/packages.txt" | grep -v '^$'
}

recipe_hash() {
    { printf 'suite=%s\n' "$suite"; cat "$here/build.sh" "$here/packages.txt"; } | sha256sum | cut -c1-12
}

# The first Debian mirror configured for the suite $1 itself (not -security or -updates), from the
# deb822 .sources files or the one-line sources.list format.
apt_mirror() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        awk -v suite="$1" '
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
        sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk -v suite="$1" '$1 == "deb" && $3 == suite { print $2 }'
    done
}

ref="$name:$suite-$(recipe_hash)"
if [ -n "$print" ]; then
    echo "$ref"
    exit 0
fi

# The moving tags: :RELEASE, and :latest for bookworm (the scenarios' default image).
tag_current() {
    docker tag "$ref" "$name:$suite"
    if [ "$suite" = bookworm ]; then
        docker tag "$ref" "$name:latest"
    fi
}

if docker image inspect "$ref" >/dev/null 2>&1; then
    log "reusing $ref (recipe unchanged)"
    tag_current
    echo "$ref"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    log "building $ref needs root (debootstrap); run as root or build it once as root"
    exit 1
fi
# One at a time: tests/utils/molecule.sh builds the releases' images in parallel, and apt-get does
# not wait for another's lock.
exec 8>"${TMPDIR:-/tmp}/sre-health-molecule-image.lock"
flock 8
if ! command -v debootstrap >/dev/null 2>&1 || ! command -v dpkg-scanpackages >/dev/null 2>&1; then
    log "installing debootstrap and dpkg-dev"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q debootstrap dpkg-dev >&2 ||
        { apt-get update -q >&2 && apt-get install -y -q debootstrap dpkg-dev >&2; }
fi
exec 8>&-

# The machine's mirror for this release, else the one it uses for its own release (the Debian
# archive serves every release).
host_suite=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}") || host_suite=""
# (All of them, then the first: `| head -n 1` would end the lookup with SIGPIPE, which set -E reports.)
mirror=${SRE_HEALTH_MOLECULE_MIRROR:-$(apt_mirror "$suite"; [ -z "$host_suite" ] || apt_mirror "$host_suite")}
mirror=${mirror%%$'\n'*}
if [ -z "$mirror" ]; then
    log "no Debian mirror for $suite${host_suite:+ or $host_suite} in /etc/apt/sources*; set SRE_HEALTH_MOLECULE_MIRROR"
    exit 1
fi

rootfs=$(mktemp -d "${TMPDIR:-/var/tmp}/sre-health-rootfs.XXXXXX")
cleanup() {
    # debootstrap and the package step mount /proc (and /sys) inside the target; a failed run can
    # leave them there.
    awk -v r="$rootfs/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r |
        while read -r m; do umount -l "$m" || true; done
    rm -rf --one-file-system "$rootfs" "$rootfs.log"
}
trap cleanup EXIT

fail_with_log() {
    log "$1 failed; last lines of its log:"
    tail -n 30 "$rootfs.log" >&2
    exit 1
}

started=$SECONDS
# The base system first, then the packages with the release's own apt: debootstrap resolves no
# virtual packages and configures a long --include list in an order that fails on some releases.
log "building $ref: debootstrap $suite from $mirror"
debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 ||
    fail_with_log "debootstrap $suite"

packages=$(packages | tr '\n' ' ')
log "installing in $suite: $packages"
# No service starts in the chroot (nginx's postinst would start it on this machine's port 80).
printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
chmod 755 "$rootfs/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
mount -t proc proc "$rootfs/proc"
# shellcheck disable=SC2086
{
    chroot "$rootfs" apt-get update -q &&
        DEBIAN_FRONTEND=noninteractive chroot "$rootfs" apt-get install -y -q --no-install-recommends $packages
} >"$rootfs.log" 2>&1 || fail_with_log "installing the packages"
umount "$rootfs/proc"
rm -f "$rootfs/usr/sbin/policy-rc.d"
: >"$rootfs/etc/resolv.conf"

# One offline package source inside the image, python3-psutil alone: the faults scenario removes
# psutil from a host and lets the health_check role install it again, with no network. It is the
# image's only source (the containers have no network to reach a mirror).
repo="$rootfs/srv/sre-health-apt"
mkdir -p "$repo"
cp "$rootfs"/var/cache/apt/archives/python3-psutil_*.deb "$repo/"
(cd "$repo" && dpkg-scanpackages --multiversion . /dev/null >Packages 2>/dev/null)
echo "deb [trusted=yes] file:/srv/sre-health-apt ./" >"$rootfs/etc/apt/sources.list"
rm -f "$rootfs"/etc/apt/sources.list.d/*

# Smaller image: no package cache (75 MB of it apt's own *.bin), lists or documentation (apt runs
# only against the local source, and rebuilds its cache when it does).
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
# systemd makes a machine id on first boot of each container.
: >"$rootfs/etc/machine-id"

tar -C "$rootfs" --numeric-owner -c . |
    docker import --change 'CMD ["/lib/systemd/systemd"]' - "$ref" >/dev/null
tag_current
log "built $ref in $((SECONDS - started)) s"
# Images of this release's older recipes are dead weight (about 200 MB each), and so are those of
# the recipe before releases were named (tag: the bare hash); one still used by a container stays.
old_images=$(docker images --format '{{.Repository}}:{{.Tag}}' "$name") ||
    { log "could not list the older $name images (skipped removing them)"; old_images=""; }
for old in $old_images; do
    case "${old#"$name":}" in
    "$suite"-*) [ "$old" = "$ref" ] || docker rmi "$old" >/dev/null 2>&1 || log "kept $old (still in use)" ;;
    *[!0-9a-f]* | "") ;;
    *) docker rmi "$old" >/dev/null 2>&1 || log "kept $old (still in use)" ;;
    esac
done
echo "$ref"
