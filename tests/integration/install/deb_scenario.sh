#!/bin/bash
# Builds the mandos and mandos-client .debs from a copy of the source tree
# and, in a throw-away root: upgrades Debian's packages to them (where those
# are installed), installs them afresh, reinstalls, removes and purges them.
#
#   deb_scenario.sh SOURCE_DIR BUILD_DIR WORK_DIR
#
# BUILD_DIR is an already built tree, configured with any prefix, whose
# programs and manual pages are packaged (debian/rules MANDOS_PREBUILT);
# empty: build the packages from scratch (slow). WORK_DIR must be empty; the caller
# removes it.
#
# Safety: this machine may have Debian's own mandos / mandos-client
# installed (tests/interop), with the same package names. Nothing here
# touches the machine's dpkg database, users or /etc: the packages are
# installed with dpkg inside a private mount namespace, chrooted into an
# overlay whose lower layer is the running system's / (read-only) and
# whose upper layer is a tmpfs (/etc and dpkg's database are tmpfs copies).
# Leaving the namespace discards every change; the machine's state is
# compared before and after all the same.
# A private PID namespace ends any process a maintainer script leaves
# behind; a private network namespace keeps the server started in the
# root off the machine's network. Services never start: the root has a fresh /run (no systemd) and
# a policy-rc.d that forbids them.
#
# Output: one line per check, "ok - NAME", "FAIL - NAME: why" or, for the
# checks that need Debian's packages, "skip - NAME: why"; exit 77 with
# "skip: why" when not run as root.
set -u

mode=outer
case "${1:-}" in
    --in-namespace) mode=namespace; shift ;;
    --in-root) mode=root; shift ;;
esac

failures=0
ok() { echo "ok - $1"; }
fail() { echo "FAIL - $1: $2"; failures=$((failures + 1)); }
# check NAME COMMAND...: ok if COMMAND succeeds.
check() {
    local name=$1
    shift
    local output
    if output=$("$@" 2>&1); then
        ok "$name"
    else
        fail "$name" "$(printf '%s' "$output" | tail -n 5 | tr '\n' ' ')"
    fi
}
phase() { echo "phase: $1 at ${SECONDS}s"; }
# logged FILE COMMAND...: runs COMMAND with its output also kept in FILE.
logged() {
    local file=$1
    shift
    "$@" > "$file" 2>&1
    local status=$?
    cat "$file"
    return $status
}

# ---------------------------------------------------------------------------
# Inside the chroot: the packages' life cycle.

# FILE MODE OWNER:GROUP
has_mode() {
    local got
    got=$(stat -c '%a %U:%G' "$1") || return 1
    [ "$got" = "$2 $3" ] || { echo "$1 is $got, want $2 $3"; return 1; }
}

# Paths and modes that matter (reference initramfs.md §1).
modes_are_debians() {
    local lib status=0
    lib=/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)/mandos
    while read -r path want owner; do
        has_mode "$path" "$want" "$owner" || status=1
    done <<EOF
/usr/sbin/mandos 755 root:root
/usr/sbin/mandos-keygen 755 root:root
$lib/plugin-runner 755 root:root
$lib/plugins.d 700 root:root
$lib/plugins.d/mandos-client 4755 root:root
$lib/plugins.d/askpass-fifo 4755 root:root
$lib/plugins.d/plymouth 4755 root:root
$lib/plugins.d/password-prompt 755 root:root
$lib/plugin-helpers 700 root:root
$lib/plugin-helpers/mandos-client-iprouteadddel 755 root:root
/usr/lib/dracut/modules.d/90mandos/password-agent 755 root:root
/etc/mandos/mandos.conf 644 root:root
/etc/mandos/clients.conf 600 root:root
/etc/mandos/plugin-runner.conf 644 root:root
/etc/mandos/plugins.d 700 root:root
/etc/mandos/plugin-helpers 700 root:root
/etc/mandos/network-hooks.d 755 root:root
/etc/keys/mandos 700 root:root
/var/lib/mandos 700 _mandos:_mandos
/lib/systemd/system/mandos.service 644 root:root
EOF
    return $status
}

is_installed() {  # PACKAGE VERSION
    local got
    got=$(dpkg-query -W -f='${db:Status-Abbrev}${Version}' "$1" 2>&1)
    [ "$got" = "ii $2" ] || { echo "$1: $got"; return 1; }
}

both_installed() {
    is_installed mandos "$1" && is_installed mandos-client "$1"
}

root_is_clean() {
    if dpkg-query -W -f='${db:Status-Abbrev}\n' mandos mandos-client 2>/dev/null | grep -q '^.[^n]'; then
        echo "a mandos package is still known to dpkg"
        return 1
    fi
    ! getent passwd _mandos
}

user_is_system_user() {
    local entry
    entry=$(getent passwd _mandos) || { echo "no user _mandos"; return 1; }
    IFS=: read -r name _ uid gid _ home shell <<<"$entry"
    [ "$home" = /nonexistent ] || { echo "home $home"; return 1; }
    [ "$uid" -lt 1000 ] || { echo "uid $uid is not a system uid"; return 1; }
    [ "$(getent group _mandos | cut -d: -f3)" = "$gid" ] || { echo "group _mandos"; return 1; }
    case "$shell" in */nologin | /bin/false) ;; *) echo "shell $shell"; return 1 ;; esac
}

keys_were_generated() {
    local dir=/etc/keys/mandos
    has_mode $dir/seckey.txt 600 root:root || return 1
    grep -qx -- '-----BEGIN PGP PUBLIC KEY BLOCK-----' $dir/pubkey.txt || return 1
    grep -qx -- '-----BEGIN PGP PRIVATE KEY BLOCK-----' $dir/seckey.txt || return 1
    grep -qx -- '-----BEGIN PRIVATE KEY-----' $dir/tls-privkey.pem || return 1
    grep -qx -- '-----BEGIN PUBLIC KEY-----' $dir/tls-pubkey.pem || return 1
    if command -v certtool >/dev/null || command -v openssl >/dev/null; then
        grep -qx -- '-----BEGIN DH PARAMETERS-----' $dir/dhparams.pem || return 1
    fi
}

# The generated keys work: mandos-keygen encrypts a password with them.
keys_make_a_clients_conf_entry() {
    local entry
    printf 'test passphrase' > /tmp/pkgtest/passfile
    entry=$(mandos-keygen --passfile /tmp/pkgtest/passfile --no-ssh) || return 1
    grep -Eq '^key_id = [0-9a-f]{64}$' <<<"$entry" || { echo "$entry"; return 1; }
    grep -Eq '^fingerprint = [0-9A-F]{40}$' <<<"$entry" || { echo "$entry"; return 1; }
}

server_check_passes() {
    local output
    output=$(mandos --check 2>&1) || { echo "$output"; return 1; }
    grep -q 'All checks passed' <<<"$output" || { echo "$output"; return 1; }
}

conffiles_are_registered() {
    local list status=0
    list=$(dpkg-query -W -f='${Conffiles}\n' mandos mandos-client)
    for file in /etc/mandos/mandos.conf /etc/mandos/clients.conf /etc/default/mandos \
                /etc/mandos/plugin-runner.conf; do
        grep -q " $file " <<<"$list" || { echo "$file is not a conffile"; status=1; }
    done
    return $status
}

# What the packages could leave behind, one "PATH TYPE MODE OWNER" line
# each: every change to the overlay (new files; deleted ones show up as
# whiteouts; directories only when new or changed), /etc and dpkg's
# package lists. Not: logs, caches and the user database.
snapshot() {
    local upper=/run/pkgtest/upper lower=/run/pkgtest/lower
    {
        (cd "$upper" && find . -mindepth 1 \( -path ./var/log -o -path ./var/cache \) -prune \
             -o -printf '%P %y %m %u:%g\n') |
        while read -r path type perm owner; do
            if [ "$type" = d ] && [ -d "$lower/$path" ] && [ ! -L "$lower/$path" ] &&
               [ "$(stat -c '%a %U:%G' "$lower/$path")" = "$perm $owner" ]; then
                continue  # only copied up
            fi
            echo "/$path $type $perm $owner"
        done
        find /etc /var/lib/dpkg/info \! -path '/etc/passwd*' \! -path '/etc/group*' \
             \! -path '/etc/shadow*' \! -path '/etc/gshadow*' \! -path '/etc/subuid*' \
             \! -path '/etc/subgid*' \! -path /etc/ld.so.cache -printf '%p %y %m %u:%g\n'
    } | LC_ALL=C sort
}

# The installed server runs as under mandos.service (but without Zeroconf
# and D-Bus, which the root lacks), finds its TLS worker where the package
# put it, listens, and saves its state as _mandos when told to stop. The
# root has a network namespace of its own: the port cannot clash.
server_starts_and_saves_state() {
    local log=/tmp/pkgtest/server.log lib pid status tries=0 worker
    lib=/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)/mandos
    rm -f /var/lib/mandos/clients.json
    /usr/sbin/mandos --debug --no-dbus --no-zeroconf --no-ipv6 --address 127.0.0.1 \
        --port 48921 > "$log" 2>&1 &
    pid=$!
    until grep -q "Now listening on" "$log" && grep -q "Started worker" "$log"; do
        tries=$((tries + 1))
        if [ $tries -gt 100 ] || ! kill -0 $pid 2>/dev/null; then
            kill -KILL $pid 2>/dev/null
            tail -n 5 "$log"
            return 1
        fi
        sleep 0.1
    done
    grep -q "Now listening on address '127.0.0.1', port 48921" "$log" || { tail -n 5 "$log"; return 1; }
    worker=$(sed -n 's/.*Started worker [0-9]* (\(.*\))$/\1/p' "$log" | head -n 1)
    [ "$(readlink -f "$worker")" = "$lib/mandos-tls-worker" ] ||
        { echo "worker $worker is not the packaged one"; kill -KILL $pid; return 1; }
    kill -TERM $pid
    wait $pid
    status=$?
    [ $status = 0 ] || { echo "server exited with $status"; tail -n 5 "$log"; return 1; }
    has_mode /var/lib/mandos/clients.json 600 _mandos:_mandos
}

# A later version of the packages whose conffiles changed: DEB with version
# VERSION, every conffile given a new last line. Writes the new .deb to OUT.
repack_with_changed_conffiles() {
    local deb=$1 version=$2 out=$3 tree
    tree=$(mktemp -d /tmp/pkgtest/repack.XXXXXX)
    dpkg-deb -R "$deb" "$tree" || return 1
    sed -i "s/^Version: .*/Version: $version/" "$tree/DEBIAN/control"
    while read -r conffile; do
        echo "# new in $version" >> "$tree$conffile"
    done < "$tree/DEBIAN/conffiles"
    (cd "$tree" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' |
         xargs -0 md5sum > DEBIAN/md5sums) || return 1
    dpkg-deb -Zgzip -z1 -b "$tree" "$out" >/dev/null || return 1
    rm -rf "$tree"
}

# After an upgrade with dpkg's unattended defaults (--force-confdef
# --force-confold): locally changed conffiles kept and the new version put
# next to them as .dpkg-dist; unchanged ones replaced by the new version.
upgrade_kept_changed_conffiles() {
    local version=$1 file status=0
    for file in /etc/mandos/mandos.conf /etc/mandos/clients.conf /etc/mandos/plugin-runner.conf; do
        grep -qx "# new in $version" "$file" && { echo "$file was overwritten"; status=1; }
        grep -qx "# new in $version" "$file.dpkg-dist" || { echo "no new $file.dpkg-dist"; status=1; }
    done
    grep -qx "debuglevel = INFO" /etc/mandos/mandos.conf || { echo "local change lost"; status=1; }
    grep -qx "# new in $version" /etc/default/mandos || { echo "unchanged /etc/default/mandos not updated"; status=1; }
    has_mode /etc/mandos/clients.conf 600 root:root || status=1
    return $status
}

# Replacing Debian's own packages, as an administrator switching would:
# keys stay, a changed conffile stays (dpkg --force-confold keeps it and
# puts ours next to it). Only where Debian's packages are installed.
upgrade_from_debian() {
    local client=$1 server=$2 version=$3 name
    local names=("upgrade from Debian's packages succeeds"
                 "upgrade leaves our version installed"
                 "upgrade keeps the keys Debian's postinst made"
                 "upgrade keeps a changed conffile"
                 "mandos --check passes with Debian's configuration")
    if ! dpkg-query -W -f='${db:Status-Abbrev}${Version}\n' mandos mandos-client 2>/dev/null |
            grep -c '^ii 1\.8\.16-' | grep -qx 2 || ! [ -s /etc/keys/mandos/seckey.txt ]; then
        for name in "${names[@]}"; do echo "skip - $name: Debian's packages are not installed"; done
        return 0
    fi
    phase "upgrade from Debian's packages"
    (cd /etc/keys/mandos && md5sum seckey.txt pubkey.txt tls-privkey.pem tls-pubkey.pem) \
        > "$debs/debian-keys.md5"
    echo '# changed before the upgrade' >> /etc/mandos/clients.conf
    check "${names[0]}" logged "$debs/upgrade.log" \
        dpkg -i --force-confold "$client" "$server"
    check "${names[1]}" both_installed "$version"
    check "${names[2]}" sh -c "cd /etc/keys/mandos && md5sum --quiet -c $debs/debian-keys.md5"
    check "${names[3]}" grep -qx '# changed before the upgrade' /etc/mandos/clients.conf
    check "${names[4]}" server_check_passes
}

in_root() {
    local debs=$1 version client server
    export DEBIAN_FRONTEND=noninteractive LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin
    cd /
    client=$(ls "$debs"/mandos-client_*.deb)
    server=$(ls "$debs"/mandos_*.deb)
    version=$(dpkg-deb -f "$server" Version)

    # No service may start; update-initramfs only records its calls.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    if ! dpkg-divert --list /usr/sbin/update-initramfs | grep -q .; then
        dpkg-divert --quiet --local --rename --add /usr/sbin/update-initramfs
    fi
    printf '#!/bin/sh\necho "$*" >> %s/update-initramfs.log\n' "$debs" > /usr/sbin/update-initramfs
    chmod 0755 /usr/sbin/update-initramfs

    upgrade_from_debian "$client" "$server" "$version"

    phase "clean root"
    # Whatever is installed now (Debian's packages from the lower layer, or
    # ours after the upgrade) goes, and the user with it, so that ours
    # start from nothing.
    dpkg --purge mandos mandos-client >"$debs/purge-previous.log" 2>&1
    if getent passwd _mandos >/dev/null; then userdel _mandos; fi
    if getent group _mandos >/dev/null; then groupdel _mandos; fi
    check "root starts without mandos packages or user" root_is_clean
    snapshot > "$debs/before.list"

    phase "install"
    check "dpkg installs both packages" logged "$debs/install.log" dpkg -i "$client" "$server"
    check "both packages are installed at version $version" both_installed "$version"
    check "postinst created the _mandos system user and group" user_is_system_user
    check "files have Debian's paths, modes and owners" modes_are_debians
    check "client postinst generated the keys with mandos-keygen" keys_were_generated
    check "client postinst showed the new key_id" \
        grep -Eq "^mandos-client: this client's key_id is [0-9a-f]{64}$" "$debs/install.log"
    check "generated keys make a clients.conf entry" keys_make_a_clients_conf_entry
    check "client postinst rebuilt the initramfs" grep -qx -- '-u -k all' "$debs/update-initramfs.log"
    check "mandos --check passes" server_check_passes
    check "the installed server starts, finds its worker and saves its state as _mandos" \
        server_starts_and_saves_state
    check "configuration files are conffiles" conffiles_are_registered
    check "mandos.service is enabled" \
        test -L /etc/systemd/system/multi-user.target.wants/mandos.service
    check "tmpfiles and sysusers snippets are installed" \
        test -s /usr/lib/tmpfiles.d/mandos.conf -a -s /usr/lib/sysusers.d/mandos.conf \
             -a -s /usr/lib/sysusers.d/mandos-client.conf

    phase "reinstall"
    echo 'debuglevel = INFO' >> /etc/mandos/mandos.conf
    echo '# local change' >> /etc/mandos/clients.conf
    echo '--options-for=mandos-client:--debug' >> /etc/mandos/plugin-runner.conf
    (cd /etc/keys/mandos && md5sum seckey.txt pubkey.txt tls-privkey.pem tls-pubkey.pem) \
        > "$debs/keys.md5"
    check "dpkg reinstalls both packages" logged "$debs/reinstall.log" dpkg -i "$client" "$server"
    check "changed conffiles survive a reinstall" \
        sh -c 'grep -qx "debuglevel = INFO" /etc/mandos/mandos.conf &&
               grep -qx "# local change" /etc/mandos/clients.conf &&
               grep -qx -- "--options-for=mandos-client:--debug" /etc/mandos/plugin-runner.conf &&
               ! ls /etc/mandos/*.dpkg-* 2>/dev/null | grep -q .'
    check "existing keys are kept on reinstall" \
        sh -c "cd /etc/keys/mandos && md5sum --quiet -c $debs/keys.md5"
    check "mandos --check passes with the changed configuration" server_check_passes
    # Keys from a release before TLS keys existed: only those are added.
    rm /etc/keys/mandos/tls-privkey.pem /etc/keys/mandos/tls-pubkey.pem
    check "postinst adds missing TLS keys and keeps the OpenPGP keys" \
        sh -c "/var/lib/dpkg/info/mandos-client.postinst configure $version &&
               cd /etc/keys/mandos && grep -q -- '-----BEGIN PRIVATE KEY-----' tls-privkey.pem &&
               grep -q -- '-----BEGIN PUBLIC KEY-----' tls-pubkey.pem &&
               md5sum --quiet -c $debs/keys.md5 2>&1 | grep -q '^tls-privkey.pem: FAILED' &&
               grep '  seckey.txt$' $debs/keys.md5 | md5sum --quiet -c &&
               grep '  pubkey.txt$' $debs/keys.md5 | md5sum --quiet -c &&
               ! ls -a | grep -q '^\.new-keys'"

    phase "upgrade with changed conffiles"
    local next=$version.1
    if repack_with_changed_conffiles "$client" "$next" /tmp/pkgtest/next-client.deb &&
       repack_with_changed_conffiles "$server" "$next" /tmp/pkgtest/next-server.deb; then
        check "dpkg upgrades both packages to a version with changed conffiles" \
            logged "$debs/upgrade-next.log" dpkg -i --force-confdef --force-confold \
            /tmp/pkgtest/next-client.deb /tmp/pkgtest/next-server.deb
    else
        fail "dpkg upgrades both packages to a version with changed conffiles" "repacking failed"
    fi
    check "both packages are upgraded to version $next" both_installed "$next"
    check "the upgrade keeps changed conffiles and replaces unchanged ones" \
        upgrade_kept_changed_conffiles "$next"
    check "mandos --check passes after the upgrade" server_check_passes

    phase "remove"
    # The state the server saved, should its start above have failed.
    if ! [ -e /var/lib/mandos/clients.json ]; then
        install -o _mandos -g _mandos -m 0600 /dev/null /var/lib/mandos/clients.json
    fi
    local rebuilds
    rebuilds=$(grep -cx -- '-u -k all' "$debs/update-initramfs.log")
    check "dpkg removes both packages" logged "$debs/remove.log" dpkg --remove mandos mandos-client
    check "client postrm rebuilt the initramfs on remove" \
        test "$(grep -cx -- '-u -k all' "$debs/update-initramfs.log")" = $((rebuilds + 1))
    check "remove keeps conffiles, keys and state" \
        sh -c 'grep -qx "debuglevel = INFO" /etc/mandos/mandos.conf &&
               test -s /etc/keys/mandos/seckey.txt && test -e /var/lib/mandos/clients.json &&
               ! test -e /usr/sbin/mandos'

    phase "purge"
    check "dpkg purges both packages" logged "$debs/purge.log" dpkg --purge mandos mandos-client
    check "purge removes configuration, keys, state and the unit's links" \
        sh -c '! test -e /etc/mandos && ! test -e /etc/keys/mandos && ! test -e /var/lib/mandos &&
               ! test -e /etc/default/mandos &&
               ! test -e /etc/systemd/system/multi-user.target.wants/mandos.service'
    snapshot > "$debs/after.list"
    check "purge leaves nothing behind" diff "$debs/before.list" "$debs/after.list"
    if getent passwd _mandos >/dev/null; then
        echo "note: the _mandos user stays after purge, as with Debian's packages"
    fi
    return $((failures != 0))
}

# ---------------------------------------------------------------------------
# Inside the private mount and PID namespaces: build the overlay root.

in_namespace() {
    local work=$1 root=$1/overlay/root dir status
    ip link set lo up || return 1
    mount -t tmpfs -o mode=0755 mandos-pkgtest "$work/overlay" || return 1
    mkdir "$work/overlay/upper" "$work/overlay/work" "$root"
    mount -t overlay overlay \
        -o "lowerdir=/,upperdir=$work/overlay/upper,workdir=$work/overlay/work" "$root" || return 1
    # Copies of the trees dpkg and adduser rewrite, so that package
    # installs on the machine meanwhile cannot change them underneath
    # (overlayfs answers such changes with ESTALE).
    for dir in /etc /var/lib/dpkg; do
        mkdir -p "$work/overlay/copy$dir"
        cp -a "$dir/." "$work/overlay/copy$dir/" || return 1
        mount --bind "$work/overlay/copy$dir" "$root$dir" || return 1
    done
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount -t tmpfs -o mode=0755 tmpfs "$root/run"
    # For snapshot(): the overlay's layers, read-only.
    mkdir -p "$root/run/pkgtest/upper" "$root/run/pkgtest/lower"
    mount --bind -o ro "$work/overlay/upper" "$root/run/pkgtest/upper"
    mount --bind -o ro / "$root/run/pkgtest/lower"
    mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
    mkdir "$root/tmp/pkgtest"
    cp "$work"/*.deb "$0" "$root/tmp/pkgtest/"
    chroot "$root" /bin/bash "/tmp/pkgtest/$(basename "$0")" --in-root /tmp/pkgtest
    status=$?
    cp "$root"/tmp/pkgtest/*.log "$root"/tmp/pkgtest/*.list "$work/" 2>/dev/null
    return $status
}

# ---------------------------------------------------------------------------
# On the machine: build, run the namespace, compare the machine before/after.

skip() { echo "skip: $*"; exit 77; }

# What this test could change on the machine if it were not isolated
# (other tests may install unrelated packages meanwhile).
host_state() {
    dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\n' mandos mandos-client 2>&1
    getent passwd _mandos
    getent group _mandos
    dpkg-divert --list '*update-initramfs*' 2>&1
    find /etc/mandos /etc/keys /var/lib/mandos /etc/default/mandos /usr/lib/*/mandos \
         /lib/systemd/system/mandos.service /etc/systemd/system /usr/sbin/policy-rc.d \
         /usr/sbin/update-initramfs /etc/dbus-1/system.d/mandos.conf \
         -printf '%p %m %u:%g %s %T@\n' 2>&1 | LC_ALL=C sort
    findmnt -rn -o TARGET 2>&1 | grep -F "mandos-pkgtest" || true
    findmnt -rn -o SOURCE 2>&1 | grep -F "mandos-pkgtest" || true
}

outer() {
    local src=$1 prebuilt=$2 work=$3 status
    [ "$(id -u)" = 0 ] || skip "needs root (dpkg, mount namespaces)"
    # As root (CI) a missing tool is a failure, not a reason to skip.
    for command in dpkg-buildpackage dh dpkg-deb unshare chroot findmnt ip; do
        command -v $command >/dev/null ||
            { fail "prerequisites" "needs $command (packages debhelper, dpkg-dev, util-linux, iproute2)"; return 1; }
    done
    grep -qw overlay /proc/filesystems || { fail "prerequisites" "needs overlayfs"; return 1; }
    unshare --mount --propagation private true 2>/dev/null ||
        { fail "prerequisites" "cannot create mount namespaces"; return 1; }
    host_state > "$work/host-before.txt"

    phase "build"
    mkdir "$work/overlay"
    # From a copy of the tree (scripts/build-debs), reusing $prebuilt's programs.
    if DEB_BUILD_OPTIONS="noddebs parallel=2" "$src/scripts/build-debs" "$work" ${prebuilt:+"$prebuilt"} \
            > "$work/dpkg-buildpackage.log" 2>&1; then
        ok "dpkg-buildpackage builds the packages"
    else
        fail "dpkg-buildpackage builds the packages" "$(tail -n 15 "$work/dpkg-buildpackage.log")"
        return 1
    fi
    check "exactly the packages mandos and mandos-client are built" \
        sh -c "cd '$work' && ls mandos_*.deb mandos-client_*.deb && [ \$(ls *.deb | wc -l) = 2 ]"
    check "set-uid plugins and private directories are in the archive" \
        sh -c "dpkg-deb -c '$work'/mandos-client_*.deb | grep -E '^-rwsr-xr-x root/root .*/mandos/plugins.d/mandos-client$' &&
               dpkg-deb -c '$work'/mandos-client_*.deb | grep -E '^drwx------ root/root .* ./etc/keys/mandos/$' &&
               dpkg-deb -c '$work'/mandos_*.deb | grep -E '^-rw------- root/root .* ./etc/mandos/clients.conf$'"

    phase "throw-away root"
    unshare --mount --pid --net --fork --propagation private \
        /bin/bash "$0" --in-namespace "$work"
    status=$?
    [ $status = 0 ] || failures=$((failures + 1))

    phase "host"
    host_state > "$work/host-after.txt"
    check "this machine is unchanged" diff "$work/host-before.txt" "$work/host-after.txt"
    phase "done"
    return $((failures != 0))
}

case $mode in
    outer) outer "$1" "$2" "$3" ;;
    namespace) in_namespace "$1" ;;
    root) in_root "$1" ;;
esac
