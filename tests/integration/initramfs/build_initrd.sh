#!/bin/bash
# Builds an initramfs-tools initrd with our Mandos files, without changing
# the host (CTest fixture set-up for the initramfs tests).
#
# Usage: build_initrd.sh BUILD_DIR WORK_DIR
#
# 1. Stages our build with each area's cmake_install.cmake and
#    DESTDIR=WORK_DIR/stage (prefix /usr).
# 2. Re-runs itself in private mount and network namespaces (unshare), where
#    writable overlays on /usr and /etc (upper layers in WORK_DIR/overlay)
#    and a tmpfs on /boot make our files appear at their real paths:
#    /usr/lib/<multiarch>/mandos (any installed reference copy hidden),
#    /usr/share/initramfs-tools/..., keys from our mandos-keygen in
#    /etc/keys/mandos, a crypttab entry, test plugins and network hooks in
#    /etc/mandos, a fake kernel version with an empty modules directory and
#    a /boot/config for it. Nothing is written outside WORK_DIR.
# 3. Runs mkinitramfs there, then lists (lsinitramfs -l) and extracts
#    (unmkinitramfs) the image into WORK_DIR.
#
# Exit 0 = built; 77 = skipped (not root, tools missing); other = failure.
# WORK_DIR/status says which, the logs are in WORK_DIR.
set -euo pipefail

KVER=0.0.0-mandos-test
TEST_UID=4711
TEST_GID=4712

skip() {
    echo "skip: $*" >"$WORK/status"
    echo "SKIPPED: $*" >&2
    exit 77
}

fail() {
    echo "fail: $*" >"$WORK/status"
    echo "FAILED: $*" >&2
    exit 1
}

multiarch_libdir() {
    local multiarch
    multiarch=$(gcc -print-multiarch 2>/dev/null || true)
    if [ -z "$multiarch" ]; then
        multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || true)
    fi
    echo "/usr/lib/${multiarch:?cannot tell the multiarch triplet}"
}

outer() {
    rm -rf "$WORK"
    mkdir -p "$WORK"
    echo "running" >"$WORK/status"
    [ "$(id -u)" = 0 ] || skip "needs root (mount namespaces, overlays, file owners)"
    for tool in mkinitramfs lsinitramfs unmkinitramfs unshare cpio certtool; do
        command -v "$tool" >/dev/null || skip "$tool not installed"
    done
    [ -e /usr/share/initramfs-tools/hooks/cryptroot ] ||
        skip "cryptsetup-initramfs not installed"
    unshare --mount --net true 2>/dev/null || skip "unshare --mount --net not permitted"

    # 1. Staging install of the areas the initrd needs.
    for area in plugin-runner plugins.d client keygen initramfs-tools; do
        DESTDIR="$WORK/stage" cmake -DCMAKE_INSTALL_PREFIX=/usr \
            -P "$BUILD/$area/cmake_install.cmake" >>"$WORK/stage.log" 2>&1 ||
            fail "staging install of $area failed (see stage.log)"
    done
    multiarch_libdir >"$WORK/libdir"
    staged_libexec_dir >"$WORK/libexec"

    # 2. + 3. in private namespaces.
    unshare --mount --net --propagation private "$0" --inner "$BUILD" "$WORK" ||
        fail "building the initrd failed (see mkinitramfs.log)"

    lsinitramfs -l "$WORK/initrd.img" >"$WORK/listing.txt" || fail "lsinitramfs failed"
    unmkinitramfs "$WORK/initrd.img" "$WORK/tree" || fail "unmkinitramfs failed"
    # With an early (microcode) archive, the main one is in tree/main.
    if [ -d "$WORK/tree/main" ]; then
        mv "$WORK/tree" "$WORK/tree-all" && mv "$WORK/tree-all/main" "$WORK/tree"
    fi
    echo "ok" >"$WORK/status"
}

# Where the staging install put plugin-runner: MANDOS_LIBEXECDIR follows the
# configured prefix (lib/<multiarch>/mandos only when configured for /usr).
staged_libexec_dir() {
    local runner
    runner=$(find "$WORK/stage" -type f -name plugin-runner -path '*/mandos/*' | head -n 1)
    [ -n "$runner" ] || fail "the staging install has no plugin-runner (see stage.log)"
    dirname "${runner#"$WORK/stage"}"
}

mount_overlay() {
    local target=$1 name=$2
    mkdir -p "$WORK/overlay/$name-upper" "$WORK/overlay/$name-work"
    mount -t overlay "mandos-test-$name" -o \
        "lowerdir=$target,upperdir=$WORK/overlay/$name-upper,workdir=$WORK/overlay/$name-work" \
        "$target"
}

# Our staged files replace any installed copy (e.g. Debian's mandos-client):
# its directories are removed in the overlay first, so nothing of it mixes in.
install_stage() {
    local libdir
    libdir=$(cat "$WORK/libdir")
    rm -rf /usr/lib/mandos /usr/local/lib/mandos "$libdir/mandos"
    rm -f /usr/share/initramfs-tools/hooks/mandos \
        /usr/share/initramfs-tools/scripts/*/mandos \
        /usr/share/initramfs-tools/conf.d/mandos-conf \
        /usr/share/initramfs-tools/conf-hooks.d/zz-mandos
    cp -a "$WORK/stage/usr/." /usr/
}

fake_kernel() {
    mkdir -p "/usr/lib/modules/$KVER"
    : >"/usr/lib/modules/$KVER/modules.order"
    : >"/usr/lib/modules/$KVER/modules.builtin"
    depmod "$KVER"
    mount -t tmpfs -o mode=0755 mandos-test-boot /boot
    printf 'CONFIG_RD_GZIP=y\nCONFIG_RD_ZSTD=y\n' >"/boot/config-$KVER"
}

make_keys() {
    rm -rf /etc/keys/mandos /etc/mandos/keys
    mkdir -p /etc/keys/mandos
    chmod 0700 /etc/keys/mandos
    "$BUILD/keygen/mandos-keygen" --dir /etc/keys/mandos --length 2048 \
        --sublength 2048 --name initramfs-test >"$WORK/keygen.log" 2>&1 ||
        fail "mandos-keygen failed (see keygen.log)"
    certtool --get-dh-params --sec-param medium >/etc/keys/mandos/dhparams.pem \
        2>>"$WORK/keygen.log" || fail "certtool --get-dh-params failed"
    chmod 0600 /etc/keys/mandos/dhparams.pem
    cp -a /etc/keys/mandos "$WORK/keys"
}

# A known unprivileged user, so the expected --userid/--groupid are fixed.
set_mandos_user() {
    sed -i '/^_mandos:/d' /etc/passwd
    sed -i '/^_mandos:/d' /etc/group
    echo "_mandos:x:$TEST_UID:$TEST_GID:Mandos test:/nonexistent:/usr/sbin/nologin" >>/etc/passwd
    echo "_mandos:x:$TEST_GID:" >>/etc/group
}

# The administrator's files: plugin-runner.conf, an override and an added
# plugin (with names that must be skipped), a helper, network hooks.
admin_files() {
    rm -rf /etc/mandos/plugins.d /etc/mandos/plugin-helpers /etc/mandos/network-hooks.d
    mkdir -p /etc/mandos/plugins.d /etc/mandos/plugin-helpers /etc/mandos/network-hooks.d
    chmod 0700 /etc/mandos/plugins.d /etc/mandos/plugin-helpers
    chmod 0755 /etc/mandos/network-hooks.d
    printf '%s\n' '# test configuration' '--options-for=mandos-client:--retry=7' \
        >/etc/mandos/plugin-runner.conf
    chmod 0644 /etc/mandos/plugin-runner.conf
    local name
    for name in password-prompt test-extra 'test-extra~' .hidden '#autosave#' \
        old.dpkg-old bak.dpkg-bak new.dpkg-new divert.dpkg-divert; do
        printf '#!/bin/sh\necho "admin plugin %s"\n' "$name" >"/etc/mandos/plugins.d/$name"
        chmod 0755 "/etc/mandos/plugins.d/$name"
    done
    printf '#!/bin/sh\necho helper\n' >/etc/mandos/plugin-helpers/test-helper
    chmod 0755 /etc/mandos/plugin-helpers/test-helper

    local hooks=/etc/mandos/network-hooks.d
    echo "hook data" >"$WORK/hook-data.txt"
    cat >"$hooks/test-hook" <<EOF
#!/bin/sh
# Test network hook: records how it was run, lists a file and a module.
echo "MODE=\$MODE ARG=\$1 VERBOSITY=\$VERBOSITY DEVICE=\$DEVICE DIR=\$MANDOSNETHOOKDIR" \
    >>"$WORK/hook-runs.log"
case "\${MODE:-\$1}" in
    files)
        echo "$WORK/hook-data.txt /lib/mandos/test-hook-data.txt"
        echo "/bin/true"
        echo "/nonexistent/mandos-test-file"
        ;;
    modules)
        echo "mandos_test_module"
        ;;
esac
exit 0
EOF
    chmod 0755 "$hooks/test-hook"
    echo "# settings for test-hook" >"$hooks/test-hook.conf"
    chmod 0644 "$hooks/test-hook.conf"
    printf '#!/bin/sh\nexit 0\n' >"$hooks/bad@name"
    chmod 0755 "$hooks/bad@name"
    mkdir "$hooks/subdir"

    mkdir -p /etc/initramfs-tools/conf.d
    echo "DEVICE=eth7" >/etc/initramfs-tools/conf.d/mandos-test-device
    printf '%s\n' \
        '# <target name> <source device> <key file> <options>' \
        'mandos_test_root UUID=01234567-89ab-cdef-0123-456789abcdef none luks,initramfs' \
        >/etc/crypttab
}

# The hook must refuse to run without a key directory.
hook_without_keys() {
    mv /etc/keys/mandos /etc/keys/mandos.away
    local dest="$WORK/nokeys-destdir"
    mkdir -p "$dest"
    set +e
    DESTDIR="$dest" /usr/share/initramfs-tools/hooks/mandos >"$WORK/nokeys.out" 2>"$WORK/nokeys.err"
    echo $? >"$WORK/nokeys.rc"
    set -e
    mv /etc/keys/mandos.away /etc/keys/mandos
}

inner() {
    mount_overlay /usr usr
    mount_overlay /etc etc
    install_stage
    fake_kernel
    set_mandos_user
    make_keys
    admin_files
    hook_without_keys
    mkdir -p "$WORK/tmp"
    TMPDIR="$WORK/tmp" mkinitramfs -v -o "$WORK/initrd.img" "$KVER" \
        >"$WORK/mkinitramfs.log" 2>&1
    stat -c '%a' "$WORK/initrd.img" >"$WORK/initrd.mode"
}

if [ "${1:-}" = --inner ]; then
    BUILD=$2 WORK=$3
    inner
else
    BUILD=${1:?usage: build_initrd.sh BUILD_DIR WORK_DIR}
    WORK=${2:?usage: build_initrd.sh BUILD_DIR WORK_DIR}
    case "$WORK" in
        /*/*) ;;
        *) echo "build_initrd.sh: WORK_DIR must be an absolute path below /" >&2; exit 2 ;;
    esac
    outer
fi
