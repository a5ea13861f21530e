#!/bin/bash
# Runs the boot half of the Mandos initramfs-tools integration in a chroot
# of an extracted initrd: scripts/init-premount/mandos, then (after the
# password arrived or a pause) scripts/local-premount/mandos, the way
# initramfs-tools' init runs them.
#
# Usage: boot_flow.sh TREE WORK CLIENT CMDLINE [old-cryptroot] [rootdev]
#   TREE     extracted initrd (only read: an overlay takes all writes)
#   WORK     empty directory for the overlay and the results (WORK/out)
#   CLIENT   "succeed": the mandos-client plugin is replaced by one printing
#            the password "mandos test secret"; "fail": by one exiting 1;
#            "none": like fail, for runs where no plugin-runner is expected
#   CMDLINE  the kernel command line the scripts see in /proc/cmdline
#   old-cryptroot  also write an old-style /conf/conf.d/cryptroot
#            (with "rootdev" on one line if the next word is rootdev)
#
# Runs in private mount, PID and network namespaces, so every process it
# starts ends with it and nothing outside WORK changes. The real
# cryptroot-unlock is replaced by one that records its input.
# Exit 0 = ran (results in WORK/out), 77 = cannot run here, else failure.
set -euo pipefail

SECRET="mandos test secret"

prepare_root() {
    mkdir -p "$WORK/upper" "$WORK/overlay-work" "$WORK/root" "$WORK/out"
    mount -t overlay mandos-test-initrd -o \
        "lowerdir=$TREE,upperdir=$WORK/upper,workdir=$WORK/overlay-work" "$WORK/root"
    ROOT=$WORK/root
    mkdir -p "$ROOT/proc" "$ROOT/dev" "$ROOT/run" "$ROOT/tmp"
    mount -t proc proc "$ROOT/proc"
    printf '%s\n' "$CMDLINE" >"$WORK/cmdline"
    mount --bind "$WORK/cmdline" "$ROOT/proc/cmdline"
    local node
    for node in null zero urandom; do
        : >"$ROOT/dev/$node"
        mount --bind "/dev/$node" "$ROOT/dev/$node"
    done
}

install_fakes() {
    cat >"$ROOT/usr/bin/cryptroot-unlock" <<'EOF'
#!/bin/sh
cat >/run/unlock-input
echo called >>/run/unlock-calls
exit 0
EOF
    chmod 0755 "$ROOT/usr/bin/cryptroot-unlock"
    local client="$ROOT/usr/lib/mandos/plugins.d/mandos-client"
    if [ "$CLIENT" = succeed ]; then
        printf '#!/bin/sh\nprintf "%%s" "%s"\n' "$SECRET" >"$client"
    else
        printf '#!/bin/sh\nexit 1\n' >"$client"
    fi
    # The administrator's test plugin would print a password too.
    printf '#!/bin/sh\nexit 1\n' >"$ROOT/usr/lib/mandos/plugins.d/test-extra"
    chmod 0755 "$client" "$ROOT/usr/lib/mandos/plugins.d/test-extra"
    # Record configure_networking calls instead of touching any interface.
    printf '\nconfigure_networking() { echo "called" >/run/configure-networking; }\n' \
        >>"$ROOT/scripts/functions"
    if [ "$OLD_CRYPTROOT" = old-cryptroot ]; then
        local rootdev=""
        [ "$ROOTDEV" = rootdev ] && rootdev=",rootdev"
        printf '%s\n' \
            "target=swap_crypt,source=/dev/sda3,resumedev,key=none" \
            "target=root_crypt,source=/dev/sda2${rootdev},key=none" \
            "target=data_crypt,source=/dev/sdb1,key=none" \
            "target=other_crypt,source=/dev/sdc1${rootdev},keyscript=/lib/cryptsetup/scripts/other" \
            >"$ROOT/conf/conf.d/cryptroot"
    fi
    cp "$ROOT/conf/conf.d/mandos/plugin-runner.conf" "$WORK/out/runner.conf.before"
}

in_root() {
    # init exports quiet; /scripts/functions needs it.
    chroot "$ROOT" /usr/bin/env -i PATH=/sbin:/usr/sbin:/bin:/usr/bin quiet=n /bin/sh -c "$1"
}

# Names (exe basenames) of the processes running in the chroot.
processes() {
    local pid exe
    for pid in "$ROOT"/proc/[0-9]*; do
        [ "$(readlink "$pid/root" 2>/dev/null)" = "$ROOT" ] || continue
        exe=$(readlink "$pid/exe" 2>/dev/null) || continue
        echo "${exe##*/}"
    done | sort | uniq
}

snapshot() {
    local when=$1
    echo "$when $(date +%s.%N)" >>"$WORK/out/timeline"
    ls -A "$ROOT/run" >"$WORK/out/run.$when"
    processes >"$WORK/out/processes.$when"
}

# Waits up to $1 seconds for the shell condition $2 (evaluated here).
wait_for() {
    local tenths=$(($1 * 10))
    while [ "$tenths" -gt 0 ]; do
        eval "$2" && return 0
        sleep 0.1
        tenths=$((tenths - 1))
    done
    return 1
}

inner() {
    prepare_root
    install_fakes
    set +e
    in_root /scripts/init-premount/mandos >"$WORK/out/premount.log" 2>&1
    echo $? >"$WORK/out/premount.rc"
    set -e
    if [ "$CLIENT" = succeed ]; then
        # The helper ends (removing its flag) once the password is fed.
        # shellcheck disable=SC2016 # evaluated by wait_for
        wait_for 20 '[ -e "$ROOT/run/unlock-calls" ] && [ ! -e "$ROOT/run/mandos-keep-running" ]' ||
            echo "timeout waiting for the unlock" >>"$WORK/out/premount.log"
    elif [ "$CLIENT" = fail ]; then
        # plugin-runner keeps waiting for its dummy plugin.
        wait_for 10 'processes | grep -qx plugin-runner' || true
        sleep 1
    else
        sleep 1
    fi
    snapshot before
    set +e
    in_root /scripts/local-premount/mandos >"$WORK/out/local.log" 2>&1
    echo $? >"$WORK/out/local.rc"
    set -e
    snapshot after
    # shellcheck disable=SC2016 # evaluated by wait_for
    wait_for 10 '[ -z "$(processes)" ]' || true
    snapshot end
    cp "$ROOT/conf/conf.d/mandos/plugin-runner.conf" "$WORK/out/runner.conf"
    local file
    for file in cryptroot cryptroot.mandos-old; do
        if [ -e "$ROOT/conf/conf.d/$file" ]; then
            cp "$ROOT/conf/conf.d/$file" "$WORK/out/$file"
        fi
    done
    for file in unlock-input unlock-calls configure-networking; do
        if [ -e "$ROOT/run/$file" ]; then
            cp "$ROOT/run/$file" "$WORK/out/$file"
        fi
    done
    if [ -e "$ROOT/usr/lib/mandos/plugins.d/dummy" ]; then
        stat -c '%a' "$ROOT/usr/lib/mandos/plugins.d/dummy" >"$WORK/out/dummy.mode"
    fi
}

if [ "${1:-}" = --inner ]; then
    shift
    TREE=$1 WORK=$2 CLIENT=$3 CMDLINE=$4 OLD_CRYPTROOT=${5:-} ROOTDEV=${6:-}
    inner
    exit 0
fi

[ "$#" -ge 4 ] || { echo "usage: boot_flow.sh TREE WORK CLIENT CMDLINE [old-cryptroot [rootdev]]" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 77; }
[ -d "$1/scripts" ] || { echo "no extracted initrd in $1" >&2; exit 77; }
exec unshare --mount --pid --net --fork --propagation private "$0" --inner "$@"
