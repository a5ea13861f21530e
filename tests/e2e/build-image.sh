#!/bin/bash
# Builds the end-to-end test machine: a Debian 12 (bookworm) disk image
# whose root file system is on LUKS2 and whose initrd (initramfs-tools +
# cryptsetup-initramfs) holds OUR Mandos client, plus the clients.conf
# section for OUR server. run.sh boots it. See README.md.
#
# Usage: build-image.sh --build-dir DIR [--out DIR] [--cache-dir DIR]
#                       [--mirror URL] [--base-only] [--keep-work]
#
#   --build-dir DIR  our CMake build tree (programs built; the image gets
#                    them from each area's cmake_install.cmake, DESTDIR)
#   --out DIR        where the image goes (default DIR/e2e of the build dir)
#   --cache-dir DIR  debootstrap cache (default $E2E_CACHE_DIR or
#                    /var/cache/mandos-e2e); key = suite, arch, variant,
#                    package list and recipe version
#   --mirror URL     Debian mirror (default $E2E_MIRROR or deb.debian.org)
#   --base-only      only make (or find) the cached debootstrap tarball
#   --keep-work      keep OUT/work (the unpacked root) for inspection
#
# No loop device and no device-mapper are needed: the file systems are made
# from directories (mkfs.ext4 -d) and the root one is encrypted in place,
# offline, by `cryptsetup reencrypt --encrypt` on the plain file (the kernel
# here has loop devices but no device-mapper, so luksOpen is impossible).
#
# Outputs in OUT: disk.img (MBR: 1 = /boot ext4, 2 = LUKS2 root), vmlinuz,
# initrd.img (copies of those in /boot), cmdline (kernel parameters without
# mandos=), passphrase (the LUKS passphrase, no newline, 0600),
# client-section.conf (mandos-keygen --passfile output, 0600), image.env,
# build.log and timings.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SUITE=bookworm
ARCH=amd64
VARIANT=minbase
# Bump when the base recipe (not the package list) changes.
BASE_RECIPE=1
CLIENT_NAME=e2e-client
LUKS_NAME=cryptroot
BOOT_MB=256
# The LUKS key slot uses PBKDF2 with a fixed, small iteration count: under
# TCG emulation Argon2's default (1 GiB, ~2 s native) would take minutes and
# may not fit the guest's memory. Key strength is irrelevant for this image.
PBKDF_ITERATIONS=20000
# Upper bounds (seconds): debootstrap from the mirror, and the chroot work
# (mandos-keygen + update-initramfs).
DEBOOTSTRAP_TIMEOUT=3600
CUSTOMIZE_TIMEOUT=1800

# The guest's packages: the system, the kernel, cryptsetup in the initrd,
# and the run-time libraries of our client, plugin-runner and mandos-keygen
# (checked with ldd after installing; add here what it reports missing).
GUEST_PACKAGES=(
    systemd systemd-sysv udev kmod procps
    linux-image-amd64 initramfs-tools busybox
    cryptsetup cryptsetup-initramfs e2fsprogs
    gpg gpg-agent gpgconf libgpgme11
    libgnutls30 libavahi-core7 libavahi-common3 libglib2.0-0
)
# Our install areas the guest needs (the client side).
STAGE_AREAS=(plugin-runner plugins.d client keygen initramfs-tools conf)

BUILD_DIR=""
OUT_DIR=""
CACHE_DIR=${E2E_CACHE_DIR:-/var/cache/mandos-e2e}
MIRROR=${E2E_MIRROR:-http://deb.debian.org/debian}
BASE_ONLY=no
KEEP_WORK=no

usage() {
    sed -n '/^# Usage:/,/^# No loop/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

parse_args() {
    while [ $# -gt 0 ]; do
        case "$1" in
            --build-dir) BUILD_DIR=${2:?}; shift ;;
            --out) OUT_DIR=${2:?}; shift ;;
            --cache-dir) CACHE_DIR=${2:?}; shift ;;
            --mirror) MIRROR=${2:?}; shift ;;
            --base-only) BASE_ONLY=yes ;;
            --keep-work) KEEP_WORK=yes ;;
            -h | --help) usage ;;
            *) echo "build-image.sh: unknown argument '$1'" >&2; usage ;;
        esac
        shift
    done
    if [ "$BASE_ONLY" = no ]; then
        [ -n "$BUILD_DIR" ] || { echo "build-image.sh: --build-dir is required" >&2; usage; }
        BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
        OUT_DIR=${OUT_DIR:-$BUILD_DIR/e2e}
    fi
}

cache_key() {
    {
        echo "recipe=$BASE_RECIPE suite=$SUITE arch=$ARCH variant=$VARIANT"
        printf '%s\n' "${GUEST_PACKAGES[@]}" | sort -u
    } | sha256sum | cut -c1-16
}

# 1. The debootstrap result, cached as a tarball. debootstrap runs in a
# private mount namespace, so the /proc and /sys it mounts in the target
# vanish with it even if it fails.
make_base() {
    BASE_TARBALL=$CACHE_DIR/base-$SUITE-$ARCH-$(cache_key).tar.zst
    mkdir -p "$CACHE_DIR"
    exec 9>"$CACHE_DIR/lock"
    flock 9
    if [ -s "$BASE_TARBALL" ]; then
        e2e_log "debootstrap cache hit: $BASE_TARBALL"
        return 0
    fi
    local tmp=$CACHE_DIR/tmp.$$ includes
    rm -rf "$tmp"
    mkdir -p "$tmp"
    includes=$(IFS=,; echo "${GUEST_PACKAGES[*]}")
    e2e_log "debootstrap $SUITE ($VARIANT + ${#GUEST_PACKAGES[@]} packages) from $MIRROR; log: $tmp/debootstrap.log"
    if ! timeout "$DEBOOTSTRAP_TIMEOUT" unshare --mount --propagation private \
        debootstrap --arch="$ARCH" --variant="$VARIANT" --components=main \
        --include="$includes" "$SUITE" "$tmp/rootfs" "$MIRROR" >"$tmp/debootstrap.log" 2>&1; then
        tail -n 30 "$tmp/debootstrap.log" >&2
        e2e_die "debootstrap failed (log kept in $tmp/debootstrap.log)"
    fi
    rm -f "$tmp"/rootfs/var/cache/apt/archives/*.deb
    rm -rf "$tmp"/rootfs/var/lib/apt/lists/*
    tar --numeric-owner --xattrs --acls -C "$tmp/rootfs" -cf - . |
        zstd -q -T2 -3 -o "$tmp/base.tar.zst"
    mv "$tmp/base.tar.zst" "$BASE_TARBALL"
    rm -rf "$tmp"
    e2e_log "cached $BASE_TARBALL ($(du -h "$BASE_TARBALL" | cut -f1))"
}

# 2. Our programs, staged with the build tree's install scripts.
stage_programs() {
    local area
    rm -rf "$WORK/stage"
    for area in "${STAGE_AREAS[@]}"; do
        [ -f "$BUILD_DIR/$area/cmake_install.cmake" ] ||
            e2e_die "$BUILD_DIR/$area/cmake_install.cmake missing: configure and build first"
        DESTDIR="$WORK/stage" cmake -DCMAKE_INSTALL_PREFIX=/usr \
            -P "$BUILD_DIR/$area/cmake_install.cmake" >>"$WORK/stage.log" 2>&1 ||
            e2e_die "staging install of $area failed (see $WORK/stage.log)"
    done
    [ -n "$(find "$WORK/stage" -name mandos-client -type f)" ] ||
        e2e_die "mandos-client not built in $BUILD_DIR"
}

unpack_base() {
    rm -rf "$WORK/rootfs"
    mkdir -p "$WORK/rootfs"
    zstd -q -dc "$BASE_TARBALL" |
        tar --numeric-owner --xattrs --acls -xpf - -C "$WORK/rootfs"
    KVER=$(find "$WORK/rootfs/lib/modules/" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' |
        sort | head -n 1)
    [ -n "$KVER" ] || e2e_die "no kernel in the base system"
    e2e_log "guest kernel $KVER"
    # Our files win over anything a package might have put there.
    cp -a "$WORK/stage/." "$WORK/rootfs/"
}

# The guest's configuration files, written from the host.
write_guest_config() {
    local root=$WORK/rootfs
    echo e2e-guest >"$root/etc/hostname"
    printf '127.0.0.1 localhost\n127.0.1.1 e2e-guest\n' >"$root/etc/hosts"
    cat >"$root/etc/fstab" <<EOF
/dev/mapper/$LUKS_NAME / ext4 errors=remount-ro 0 1
UUID=$BOOT_UUID /boot ext4 defaults 0 2
EOF
    cat >"$root/etc/crypttab" <<EOF
# <target name> <source device> <key file> <options>
$LUKS_NAME UUID=$LUKS_UUID none luks,initramfs
EOF
    # The root device cannot be found from inside a chroot: include
    # cryptsetup anyway (the crypttab "initramfs" option names the device).
    mkdir -p "$root/etc/cryptsetup-initramfs"
    echo "CRYPTSETUP=y" >"$root/etc/cryptsetup-initramfs/conf-hook"
    write_marker_unit "$root"
    # A getty on the serial console (systemd would add it for console=ttyS0
    # anyway; explicit so the image does not depend on the generator).
    mkdir -p "$root/etc/systemd/system/getty.target.wants"
    ln -sf /lib/systemd/system/serial-getty@.service \
        "$root/etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service"
}

# The booted system says so on the serial console, with the root device and
# its device-mapper UUID (CRYPT-LUKS2-... proves the root is the LUKS one).
# It runs as soon as the local file systems are mounted (before sysinit),
# not at the end of the boot: under TCG on a busy host the rest of
# systemd's start takes many minutes and proves nothing more.
write_marker_unit() {
    local root=$1
    cat >"$root/usr/local/sbin/mandos-e2e-marker" <<'EOF'
#!/bin/sh
# Prints the end-to-end test's boot marker on the serial console.
rootdev=$(awk '$2 == "/" { print $1 }' /proc/mounts | tail -n 1)
dmuuid=none
for uuid in /sys/block/dm-*/dm/uuid; do
    [ -r "$uuid" ] && dmuuid=$(cat "$uuid")
done
echo "MANDOS-E2E-BOOTED root=$rootdev dm-uuid=$dmuuid" >/dev/ttyS0
EOF
    chmod 0755 "$root/usr/local/sbin/mandos-e2e-marker"
    cat >"$root/etc/systemd/system/mandos-e2e-marker.service" <<'EOF'
[Unit]
Description=Mandos end-to-end test: boot marker on the serial console
DefaultDependencies=no
After=local-fs.target
Before=sysinit.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/mandos-e2e-marker

[Install]
WantedBy=sysinit.target
EOF
    mkdir -p "$root/etc/systemd/system/sysinit.target.wants"
    ln -sf /etc/systemd/system/mandos-e2e-marker.service \
        "$root/etc/systemd/system/sysinit.target.wants/mandos-e2e-marker.service"
}

# Runs inside the chroot (written to the guest, run with /bin/sh, removed).
chroot_script() {
    cat <<EOF
set -eu
export LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin
getent passwd _mandos >/dev/null ||
    useradd --system --user-group --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin _mandos
# Root can log in on the serial console (debugging the test image).
echo root:mandos-e2e | chpasswd
mkdir -p /etc/keys/mandos
chmod 0700 /etc/keys/mandos
mandos-keygen --dir /etc/keys/mandos --name $CLIENT_NAME
mandos-keygen --dir /etc/keys/mandos --name $CLIENT_NAME --no-ssh \
    --passfile /root/e2e-passphrase >/root/e2e-section.conf
rm -f /root/e2e-passphrase
for f in \$(find /usr/lib -path '*/mandos/*' -type f -perm /111) /usr/sbin/mandos-keygen; do
    if ldd "\$f" | grep 'not found'; then
        echo "missing libraries for \$f" >&2
        exit 1
    fi
done
update-initramfs -u -k $KVER
# The initrd must hold OUR client side (no Debian mandos-client is installed);
# /lib is usr/lib in a merged-/usr initrd.
lsinitramfs /boot/initrd.img-$KVER >/root/e2e-initrd.list
for f in lib/mandos/plugin-runner lib/mandos/mandos-to-cryptroot-unlock \
    lib/mandos/plugins.d/mandos-client conf/conf.d/mandos/plugin-runner.conf \
    conf/conf.d/mandos/tls-pubkey.pem scripts/init-premount/mandos \
    scripts/local-premount/mandos usr/bin/cryptroot-unlock; do
    grep -qxE "(usr/)?\$f" /root/e2e-initrd.list || { echo "initrd lacks \$f" >&2; exit 1; }
done
rm -f /root/e2e-initrd.list
EOF
}

# Kills what the chroot left running (gpg-agent, ...), by PID.
kill_chroot_leftovers() {
    local root=$1 proc pid
    for proc in /proc/[0-9]*; do
        [ "$(readlink "$proc/root" 2>/dev/null)" = "$root" ] || continue
        pid=${proc#/proc/}
        e2e_log "ending leftover chroot process $pid ($(cat "$proc/comm" 2>/dev/null))"
        kill "$pid" 2>/dev/null || true
    done
}

# 3. In a private mount namespace (re-executed; mounts vanish with it):
# keys from our mandos-keygen, the clients.conf section, the initrd.
inner_customize() {
    local root=$WORK/rootfs
    # Also when killed (the timeout above): nothing may keep running there.
    trap 'kill_chroot_leftovers "$WORK/rootfs"' EXIT
    mount -t proc proc "$root/proc"
    mount -t sysfs sys "$root/sys"
    mount --rbind /dev "$root/dev"
    mount -t tmpfs -o mode=0755 tmpfs "$root/run"
    mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
    install -m 0600 "$OUT_DIR/passphrase" "$root/root/e2e-passphrase"
    chroot_script >"$root/root/e2e-setup.sh"
    local rc=0
    chroot "$root" /bin/sh /root/e2e-setup.sh || rc=$?
    rm -f "$root/root/e2e-setup.sh" "$root/root/e2e-passphrase"
    kill_chroot_leftovers "$root"
    return "$rc"
}

# 4. The file systems, the encryption and the disk.
make_disk() {
    local root=$WORK/rootfs used_mb root_mb luks_bytes
    rm -rf "$WORK/bootfs"
    mkdir -p "$WORK/bootfs"
    cp -a "$root/boot/." "$WORK/bootfs/"
    cp "$root/boot/vmlinuz-$KVER" "$OUT_DIR/vmlinuz"
    cp "$root/boot/initrd.img-$KVER" "$OUT_DIR/initrd.img"
    find "$root/boot" -mindepth 1 -delete
    rm -f "$root/etc/machine-id" && : >"$root/etc/machine-id"

    rm -f "$WORK/boot.ext4" "$WORK/root.img"
    mkfs.ext4 -q -L boot -U "$BOOT_UUID" -d "$WORK/bootfs" "$WORK/boot.ext4" "${BOOT_MB}M"
    used_mb=$(du -sxm "$root" | cut -f1)
    root_mb=$((used_mb * 13 / 10 + 256))
    mkfs.ext4 -q -L root -d "$root" "$WORK/root.img" "${root_mb}M"
    # reencrypt --encrypt puts the LUKS2 header in front of the data: the
    # file must be that much larger than the file system in it.
    truncate -s "$((root_mb + 32))M" "$WORK/root.img"
    e2e_log "encrypting the ${root_mb} MiB root file system (LUKS2, offline, no device-mapper)"
    cryptsetup reencrypt --encrypt --type luks2 --batch-mode --uuid "$LUKS_UUID" \
        --reduce-device-size 32M --pbkdf pbkdf2 --pbkdf-force-iterations "$PBKDF_ITERATIONS" \
        --key-file "$OUT_DIR/passphrase" "$WORK/root.img" >>"$WORK/cryptsetup.log" 2>&1 ||
        e2e_die "cryptsetup reencrypt --encrypt failed (see $WORK/cryptsetup.log)"
    cryptsetup isLuks --type luks2 "$WORK/root.img" || e2e_die "root.img is not LUKS2"

    luks_bytes=$(stat -c %s "$WORK/root.img")
    local boot_start=2048 boot_sectors=$((BOOT_MB * 2048))
    local root_start=$((boot_start + boot_sectors)) root_sectors=$((luks_bytes / 512))
    rm -f "$OUT_DIR/disk.img"
    truncate -s "$(((root_start + root_sectors + 2048) * 512))" "$OUT_DIR/disk.img"
    printf 'label: dos\nstart=%s, size=%s, type=83, bootable\nstart=%s, size=%s, type=83\n' \
        "$boot_start" "$boot_sectors" "$root_start" "$root_sectors" |
        sfdisk --quiet "$OUT_DIR/disk.img"
    dd if="$WORK/boot.ext4" of="$OUT_DIR/disk.img" bs=512 seek="$boot_start" \
        conv=notrunc,sparse status=none
    dd if="$WORK/root.img" of="$OUT_DIR/disk.img" bs=1M seek="$((root_start / 2048))" \
        conv=notrunc,sparse status=none
}

write_outputs() {
    echo "root=/dev/mapper/$LUKS_NAME ro console=ttyS0 ip=dhcp" >"$OUT_DIR/cmdline"
    install -m 0600 "$WORK/rootfs/root/e2e-section.conf" "$OUT_DIR/client-section.conf"
    rm -f "$WORK/rootfs/root/e2e-section.conf"
    cat >"$OUT_DIR/image.env" <<EOF
E2E_KVER=$KVER
E2E_CLIENT_NAME=$CLIENT_NAME
E2E_LUKS_NAME=$LUKS_NAME
E2E_LUKS_UUID=$LUKS_UUID
E2E_BOOT_UUID=$BOOT_UUID
E2E_BASE_TARBALL=$BASE_TARBALL
EOF
}

main() {
    parse_args "$@"
    e2e_need_root
    e2e_ensure_tools "$E2E_HOST_TOOLS_BUILD"
    local t0 t_base t_unpack t_chroot
    t0=$(date +%s)
    make_base
    t_base=$(e2e_time_since "$t0")
    [ "$BASE_ONLY" = no ] || return 0

    mkdir -p "$OUT_DIR"
    WORK=$OUT_DIR/work
    rm -rf "$WORK"
    mkdir -p "$WORK"
    LUKS_UUID=$(cat /proc/sys/kernel/random/uuid)
    BOOT_UUID=$(cat /proc/sys/kernel/random/uuid)
    # The LUKS passphrase: random, printable, no trailing newline (typed at
    # the console prompt in scenario 2, so it must survive a terminal).
    (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '\n/+=' >"$OUT_DIR/passphrase")

    stage_programs
    unpack_base
    write_guest_config
    t_unpack=$(e2e_time_since "$t0")
    timeout "$CUSTOMIZE_TIMEOUT" unshare --mount --propagation private \
        "$0" --inner-customize "$WORK" "$OUT_DIR" "$KVER" >"$WORK/chroot.log" 2>&1 ||
        { tail -n 40 "$WORK/chroot.log" >&2; e2e_die "customising the guest failed (see $WORK/chroot.log)"; }
    t_chroot=$(e2e_time_since "$t0")
    write_outputs
    make_disk
    [ "$KEEP_WORK" = yes ] || rm -rf "$WORK"
    local total
    total=$(e2e_time_since "$t0")
    # Cumulative seconds since the start at the end of each step.
    printf 'base_seconds=%s\nunpacked_seconds=%s\nchroot_done_seconds=%s\ntotal_seconds=%s\n' \
        "$t_base" "$t_unpack" "$t_chroot" "$total" >"$OUT_DIR/timings"
    e2e_log "image ready in $OUT_DIR (debootstrap or cache ${t_base} s, staged+unpacked at ${t_unpack} s, keys+initrd at ${t_chroot} s, total ${total} s)"
}

if [ "${1:-}" = --inner-customize ]; then
    WORK=$2 OUT_DIR=$3 KVER=$4
    inner_customize
else
    main "$@"
fi
