# Shared by build-image.sh and run.sh (sourced, not run).
# shellcheck shell=bash disable=SC2034 # the variables are used by the scripts

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_SOURCE_DIR=$(cd "$E2E_DIR/../.." && pwd)

# The host tools each script needs, as "command:Debian package".
E2E_HOST_TOOLS_BUILD="debootstrap:debootstrap mkfs.ext4:e2fsprogs debugfs:e2fsprogs
    cryptsetup:cryptsetup-bin sfdisk:fdisk zstd:zstd cmake:cmake"
E2E_HOST_TOOLS_RUN="qemu-system-x86_64:qemu-system-x86 qemu-img:qemu-utils socat:socat
    python3:python3 ss:iproute2 dbus-daemon:dbus-daemon dbus-send:dbus-bin"

e2e_log() {
    printf '%s e2e: %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

e2e_die() {
    printf '%s e2e: ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2
    exit 1
}

e2e_need_root() {
    [ "$(id -u)" = 0 ] || e2e_die "must run as root (chroot, loop-free LUKS set-up, qemu)"
}

# e2e_ensure_tools "cmd:pkg ...": installs (apt-get, no recommends) the
# packages of the commands that are missing; does nothing when all exist.
e2e_ensure_tools() {
    local pair missing=""
    for pair in $1; do
        command -v "${pair%%:*}" >/dev/null 2>&1 && continue
        [ -x "/usr/sbin/${pair%%:*}" ] && continue
        missing="$missing ${pair#*:}"
    done
    [ -n "$missing" ] || return 0
    if [ "${E2E_NO_INSTALL:-0}" = 1 ]; then
        e2e_die "missing packages:$missing (E2E_NO_INSTALL=1 forbids installing them)"
    fi
    e2e_log "installing host packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086 # a list of package names
    apt-get install -y --no-install-recommends $missing >&2 ||
        { apt-get update >&2 && apt-get install -y --no-install-recommends $missing >&2; } ||
        e2e_die "apt-get install$missing failed"
}

# A Python 3 that is Debian's (pyenv shims may lack modules or be absent in CI).
e2e_python() {
    if [ -x /usr/bin/python3 ]; then
        echo /usr/bin/python3
    else
        command -v python3
    fi
}

# e2e_time_since START_EPOCH: whole seconds elapsed.
e2e_time_since() {
    echo $(($(date +%s) - $1))
}
