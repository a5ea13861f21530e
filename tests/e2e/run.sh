#!/bin/bash
# Boots the image from build-image.sh under QEMU (TCG) against OUR server
# on the host and checks that the encrypted root is unlocked.
#
# Usage: run.sh --build-dir DIR [--image DIR] [--scenario NAME] [--port N]
#               [--timeout SECONDS] [--bus auto|system|private]
#               [--net user|restricted] [--prompt-hold SECONDS]
#               [--build-image] [--keep]
#
#   --build-dir DIR    our CMake build tree (server/mandos, server/mandos-tls-worker)
#   --image DIR        build-image.sh's output (default DIR/e2e of the build dir)
#   --scenario NAME    unattended | prompt-ctl | prompt-config | all
#                      (= unattended prompt-ctl; default) | every (all three)
#   --port N           server port (default: a free one)
#   --timeout SECONDS  per boot (default 1200: TCG on a shared 2-core host)
#   --bus WHICH        D-Bus for prompt-ctl: the host's system bus, a private
#                      system-type bus, or auto (system if running; default)
#   --net WHICH        guest network, see below (default user)
#   --prompt-hold S    prompt scenarios: seconds the boot must stay at the
#                      prompt after the server's refusal before typing (30)
#   --build-image      run build-image.sh first (with the same --build-dir/--image)
#   --keep             keep the per-run overlay disk
#
# Scenarios:
#   unattended  the server knows the client: the initrd gets the passphrase
#               from it and the system boots with nobody typing.
#   prompt-ctl  the client is enabled in clients.conf and disabled before
#               the boot with OUR mandos-ctl --disable through the server's
#               D-Bus API (see --bus): the server refuses it, the console
#               password prompt stays; after --prompt-hold seconds the
#               passphrase is typed on the serial console and the system
#               boots.
#   prompt-config  the same with "enabled = False" in clients.conf instead
#               of mandos-ctl (the route without D-Bus).
# Success = the booted system's marker line on the serial console
# ("MANDOS-E2E-BOOTED root=/dev/mapper/cryptroot dm-uuid=CRYPT-LUKS2-...").
#
# Network (--net): QEMU user-mode networking, no tap, no namespace.
#   user        (default) mandos=connect:10.0.2.2:PORT; QEMU's user network
#               maps its host address 10.0.2.2 to the host's loopback, where
#               our server listens on 127.0.0.1:PORT.
#   restricted  restrict=on: the guest reaches nothing outside QEMU except
#               one guestfwd rule, 10.0.2.100:PORT -> socat -> 127.0.0.1:PORT
#               (QEMU refuses a guestfwd on 10.0.2.2 itself).
#
# Exit 0 = every scenario passed, 1 = one failed, 2 = usage.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GUEST_SERVER_ADDRESS=""
MARKER='MANDOS-E2E-BOOTED root=/dev/mapper/[^ ]* dm-uuid=CRYPT-LUKS2-'
PROMPT='Please unlock disk [^ ]*:'

BUILD_DIR=""
IMAGE_DIR=""
SCENARIO=all
PORT=""
TIMEOUT=1200
BUS=auto
PROMPT_HOLD=30
NET=user
BUILD_IMAGE=no
KEEP=no

usage() {
    sed -n '/^# Usage:/,/^# Scenarios:/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

parse_args() {
    while [ $# -gt 0 ]; do
        case "$1" in
            --build-dir) BUILD_DIR=${2:?}; shift ;;
            --image) IMAGE_DIR=${2:?}; shift ;;
            --scenario) SCENARIO=${2:?}; shift ;;
            --port) PORT=${2:?}; shift ;;
            --timeout) TIMEOUT=${2:?}; shift ;;
            --bus) BUS=${2:?}; shift ;;
            --prompt-hold) PROMPT_HOLD=${2:?}; shift ;;
            --net) NET=${2:?}; shift ;;
            --build-image) BUILD_IMAGE=yes ;;
            --keep) KEEP=yes ;;
            -h | --help) usage ;;
            *) echo "run.sh: unknown argument '$1'" >&2; usage ;;
        esac
        shift
    done
    [ -n "$BUILD_DIR" ] || { echo "run.sh: --build-dir is required" >&2; usage; }
    BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
    IMAGE_DIR=${IMAGE_DIR:-$BUILD_DIR/e2e}
    case "$SCENARIO" in
        unattended | prompt-config | prompt-ctl) SCENARIOS=("$SCENARIO") ;;
        all) SCENARIOS=(unattended prompt-ctl) ;;
        every) SCENARIOS=(unattended prompt-ctl prompt-config) ;;
        *) echo "run.sh: unknown scenario '$SCENARIO'" >&2; usage ;;
    esac
    case "$BUS" in
        auto | system | private) ;;
        *) echo "run.sh: unknown --bus '$BUS'" >&2; usage ;;
    esac
    # The longest a server, bus or QEMU we start may live: even if this
    # script is killed with SIGKILL (a ctest timeout), timeout(1) ends them
    # (it forwards our SIGTERM to them, too).
    LIFETIME=$((TIMEOUT + 300))
    case "$NET" in
        user) GUEST_SERVER_ADDRESS=10.0.2.2 ;;
        restricted) GUEST_SERVER_ADDRESS=10.0.2.100 ;;
        *) echo "run.sh: unknown --net '$NET'" >&2; usage ;;
    esac
}

# --- processes we start, ended by PID on any exit -------------------------
SERVER_PID=""
QEMU_PID=""
WATCH_PID=""
BUS_PID=""

stop_pid() {
    local pid=$1 _
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    stop_pid "$WATCH_PID"
    WATCH_PID=""
    stop_pid "$QEMU_PID"
    QEMU_PID=""
    stop_pid "$SERVER_PID"
    SERVER_PID=""
    if [ -n "$BUS_PID" ]; then
        stop_pid "$BUS_PID"
        BUS_PID=""
        unset DBUS_SYSTEM_BUS_ADDRESS
    fi
    if [ -n "$INSTALLED_POLICY" ]; then
        rm -f "$INSTALLED_POLICY"
        timeout 10 dbus-send --system --dest=org.freedesktop.DBus \
            /org/freedesktop/DBus org.freedesktop.DBus.ReloadConfig 2>/dev/null || true
        INSTALLED_POLICY=""
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    "$(e2e_python)" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- the server -------------------------------------------------------------
# clients.conf = a [DEFAULT] that keeps the client alive for a slow TCG boot
# (the checker always succeeds) + mandos-keygen's section for the client.
write_server_config() {
    local dir=$1 enabled=$2
    mkdir -p "$dir/config" "$dir/state"
    printf '[DEFAULT]\n' >"$dir/config/mandos.conf"
    {
        printf '[DEFAULT]\nchecker = true\ninterval = PT1M\ntimeout = PT1H\n\n'
        cat "$IMAGE_DIR/client-section.conf"
        [ "$enabled" = yes ] || printf 'enabled = False\n'
    } >"$dir/config/clients.conf"
    chmod 0600 "$dir/config/clients.conf"
    chmod 0700 "$dir/state"
    if getent passwd _mandos >/dev/null; then
        chown _mandos: "$dir/state"
    else
        chown nobody: "$dir/state"
    fi
}

# --- the D-Bus system bus (scenario prompt-ctl) ----------------------------
# BUS=system: the host's running system bus. Our policy file
# (systemd/mandos-dbus-policy.conf) is installed as
# /etc/dbus-1/system.d/mandos.conf if none is there, and the bus reloads its
# configuration; a policy installed here is removed again at exit. Refused
# if something else already owns se.recompile.Mandos on it (a real server:
# mandos-ctl would talk to that one).
# BUS=private: a dbus-daemon of type "system" on its own socket in the run
# directory, with the default-deny rules of Debian's system.conf plus our
# policy file, so the server and mandos-ctl pass the same checks as on a
# system bus. Used when the host has no system bus (containers without
# systemd, as on the development machine), so nothing of the host changes.
# BUS=auto (default): system if the host's system bus answers, else private.
SYSTEM_BUS_SOCKET=/run/dbus/system_bus_socket
INSTALLED_POLICY=""

system_bus_answers() {
    [ -S "$SYSTEM_BUS_SOCKET" ] &&
        timeout 10 dbus-send --system --print-reply --dest=org.freedesktop.DBus \
            /org/freedesktop/DBus org.freedesktop.DBus.GetId >/dev/null 2>&1
}

mandos_name_owned() {
    timeout 10 dbus-send --system --print-reply --dest=org.freedesktop.DBus \
        /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner \
        string:se.recompile.Mandos 2>/dev/null | grep -q 'boolean true'
}

use_system_bus() {
    local dir=$1 policy=/etc/dbus-1/system.d/mandos.conf
    unset DBUS_SYSTEM_BUS_ADDRESS
    ! mandos_name_owned ||
        e2e_die "se.recompile.Mandos is already owned on the system bus (a running server?); use --bus private"
    if [ ! -e "$policy" ]; then
        install -m 0644 "$E2E_SOURCE_DIR/systemd/mandos-dbus-policy.conf" "$policy"
        INSTALLED_POLICY=$policy
        e2e_log "installed $policy from systemd/mandos-dbus-policy.conf"
    fi
    timeout 10 dbus-send --system --print-reply --dest=org.freedesktop.DBus \
        /org/freedesktop/DBus org.freedesktop.DBus.ReloadConfig >>"$dir/ctl.log" 2>&1 ||
        e2e_die "the system bus did not reload its configuration"
    e2e_log "D-Bus: the host's system bus ($SYSTEM_BUS_SOCKET), policy $policy"
}

start_private_bus() {
    local dir=$1 _
    cat >"$dir/dbus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$dir/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <!-- Debian's system.conf defaults: anyone may connect, nobody may own a
       name or call a method unless a policy file allows it. -->
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <include>$E2E_SOURCE_DIR/systemd/mandos-dbus-policy.conf</include>
</busconfig>
EOF
    timeout --kill-after=10 "$LIFETIME" dbus-daemon --nofork --nopidfile --config-file="$dir/dbus.conf" >"$dir/dbus.log" 2>&1 &
    BUS_PID=$!
    for _ in $(seq 50); do
        [ -S "$dir/system_bus_socket" ] && break
        sleep 0.2
    done
    [ -S "$dir/system_bus_socket" ] || e2e_die "the private D-Bus daemon did not start"
    export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$dir/system_bus_socket"
    e2e_log "D-Bus: private system-type bus pid $BUS_PID ($DBUS_SYSTEM_BUS_ADDRESS), policy systemd/mandos-dbus-policy.conf"
}

start_bus() {
    local dir=$1
    case "$BUS" in
        system) system_bus_answers || e2e_die "no system bus answers on $SYSTEM_BUS_SOCKET"
                use_system_bus "$dir" ;;
        private) start_private_bus "$dir" ;;
        auto) if system_bus_answers; then use_system_bus "$dir"
              else e2e_log "no system bus on this host: using a private one"
                   start_private_bus "$dir"; fi ;;
    esac
}

# start_server DIR [dbus]: with "dbus", on the private bus of start_bus.
start_server() {
    local dir=$1 _ dbus_option=--no-dbus
    [ "${2:-}" != dbus ] || dbus_option=""
    # shellcheck disable=SC2086 # an optional option
    timeout --kill-after=10 "$LIFETIME" "$BUILD_DIR/server/mandos" --debug $dbus_option --no-zeroconf --no-ipv6 \
        --address 127.0.0.1 --port "$PORT" --configdir "$dir/config" \
        --statedir "$dir/state" --no-restore >"$dir/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 150); do
        kill -0 "$SERVER_PID" 2>/dev/null ||
            { cat "$dir/server.log" >&2; e2e_die "the server exited at start"; }
        if [ -n "$(ss -ltnH "sport = :$PORT" 2>/dev/null)" ]; then
            e2e_log "server pid $SERVER_PID listening on 127.0.0.1:$PORT"
            return 0
        fi
        sleep 0.2
    done
    e2e_die "the server did not listen on 127.0.0.1:$PORT within 30 s"
}

# Disables the client through the server's D-Bus API with OUR mandos-ctl
# and checks that the server says so (mandos-ctl --is-enabled fails).
disable_with_ctl() {
    local dir=$1 name _
    name=$(sed -n '1s/^\[\(.*\)\]$/\1/p' "$IMAGE_DIR/client-section.conf")
    for _ in $(seq 50); do
        ctl "$dir" --is-enabled "$name" && break
        sleep 0.2
    done
    ctl "$dir" --is-enabled "$name" ||
        e2e_die "mandos-ctl --is-enabled $name failed before --disable (see $dir/ctl.log)"
    ctl "$dir" --disable "$name" ||
        e2e_die "mandos-ctl --disable $name failed (see $dir/ctl.log)"
    if ctl "$dir" --is-enabled "$name"; then
        e2e_die "$name still enabled after mandos-ctl --disable"
    fi
    ctl "$dir" || true
    e2e_log "mandos-ctl --disable $name: done, --is-enabled now fails"
}

# ctl DIR ARGS...: OUR mandos-ctl, command line and output in DIR/ctl.log.
ctl() {
    local dir=$1 rc=0
    shift
    echo "\$ mandos-ctl $*" >>"$dir/ctl.log"
    "$BUILD_DIR/ctl/mandos-ctl" "$@" >>"$dir/ctl.log" 2>&1 || rc=$?
    echo "(exit $rc)" >>"$dir/ctl.log"
    return "$rc"
}

# --- the machine ------------------------------------------------------------
start_qemu() {
    local dir=$1 append
    rm -f "$dir/disk.qcow2" "$dir/serial.sock"
    qemu-img create -q -f qcow2 -F raw -b "$IMAGE_DIR/disk.img" "$dir/disk.qcow2"
    # nowatchdog: a starved TCG vCPU trips the soft-lockup detector, whose
    # stack dumps only slow the serial console further.
    local netdev=user,id=net0
    [ "$NET" != restricted ] ||
        netdev="$netdev,restrict=on,guestfwd=tcp:$GUEST_SERVER_ADDRESS:$PORT-cmd:socat STDIO TCP4:127.0.0.1:$PORT"
    append="$(cat "$IMAGE_DIR/cmdline") mandos=connect:$GUEST_SERVER_ADDRESS:$PORT panic=10 nowatchdog"
    echo "$append" >"$dir/cmdline"
    # -smp 1: the host's 2 cores are shared. wait=on: the guest runs only
    # once the console watcher is connected, so it misses nothing.
    # la57=off: 5-level paging only makes every emulated page walk longer.
    timeout --kill-after=10 "$LIFETIME" qemu-system-x86_64 -name mandos-e2e -machine pc -accel tcg -cpu max,la57=off -smp 1 -m 1024 \
        -nodefaults -display none -no-reboot \
        -kernel "$IMAGE_DIR/vmlinuz" -initrd "$IMAGE_DIR/initrd.img" -append "$append" \
        -drive "file=$dir/disk.qcow2,format=qcow2,if=virtio" \
        -netdev "$netdev" \
        -device virtio-net-pci,netdev=net0 \
        -chardev "socket,id=ser0,path=$dir/serial.sock,server=on,wait=on" \
        -serial chardev:ser0 >"$dir/qemu.log" 2>&1 &
    QEMU_PID=$!
    e2e_log "qemu pid $QEMU_PID (TCG, 1 CPU, 1024 MiB); console log $dir/console.log"
}

# watch_console DIR [serial-console.py options]: prints the watcher's report
# (also in DIR/events). In the background + wait, so that a signal to this
# script is handled at once, not when the watcher ends.
watch_console() {
    local dir=$1
    shift
    : >"$dir/console.log"
    "$(e2e_python)" "$E2E_DIR/serial-console.py" --socket "$dir/serial.sock" \
        --log "$dir/console.log" --timeout "$TIMEOUT" --success "$MARKER" \
        --event 'kernel=Linux version' \
        --event "prompt=$PROMPT" \
        --event 'unlocked=cryptsetup: [^ ]*: set up successfully' \
        --event 'systemd=Welcome to .*Debian' \
        --fail 'panic=Kernel panic' --fail 'initramfs-shell=\(initramfs\) ' \
        --fail 'gave-up=Gave up waiting' "$@" >"$dir/events" &
    WATCH_PID=$!
    local rc=0
    wait "$WATCH_PID" || rc=$?
    WATCH_PID=""
    cat "$dir/events"
    return "$rc"
}

event_time() {
    awk -v name="$2" '$1 == "event" && $2 == name { print $3 }' "$1/events"
}

# --- scenarios ----------------------------------------------------------------
RESULTS=()

scenario() {
    local name=$1 dir=$IMAGE_DIR/run-$1 t0 rc=0 verdict
    rm -rf "$dir"
    mkdir -p "$dir"
    e2e_log "=== scenario $name"
    t0=$(date +%s)
    local enabled=yes
    [ "$name" != prompt-config ] || enabled=no
    write_server_config "$dir" "$enabled"
    if [ "$name" = prompt-ctl ]; then
        start_bus "$dir"
        start_server "$dir" dbus
        disable_with_ctl "$dir"
    else
        start_server "$dir"
    fi
    start_qemu "$dir"
    if [ "$name" = unattended ]; then
        watch_console "$dir" || rc=$?
    else
        # Type only once the prompt is on the console and the server has
        # refused the client, and after PROMPT_HOLD more seconds in which
        # the boot must stay where it is (the client keeps retrying and
        # being refused): then the password prompt must win the race.
        watch_console "$dir" --type "$IMAGE_DIR/passphrase" --type-after prompt \
            --type-when-log "$dir/server.log=Client [^ ]* is disabled" \
            --type-delay "$PROMPT_HOLD" || rc=$?
    fi
    cleanup
    verdict=$(check_scenario "$name" "$dir" "$rc")
    local total refusals
    total=$(e2e_time_since "$t0")
    refusals=$(grep -c "Client [^ ]* is disabled" "$dir/server.log" || true)
    RESULTS+=("$name: $verdict; guest seconds: prompt $(event_time "$dir" prompt), typed $(event_time "$dir" typed), unlocked $(event_time "$dir" unlocked), marker $(result_time "$dir"); refusals $refusals; scenario total ${total} s")
    [ "${verdict%% *}" = PASS ] || return 1
}

result_time() {
    awk '$1 == "result" { print $3 }' "$1/events"
}

# Prints "PASS" or "FAIL (why)". Event times are seconds since the guest
# started (from serial-console.py).
check_scenario() {
    local name=$1 dir=$2 rc=$3 unlocked typed
    if [ "$rc" != 0 ]; then
        echo "FAIL (console: $(awk '$1 == "result" { print $2 }' "$dir/events"))"
        return 0
    fi
    grep -q "$MARKER" "$dir/console.log" || { echo "FAIL (no marker)"; return 0; }
    unlocked=$(event_time "$dir" unlocked)
    typed=$(event_time "$dir" typed)
    [ -n "$unlocked" ] || { echo "FAIL (no cryptsetup success line)"; return 0; }
    case "$name" in
        unattended)
            grep -q "Sending secret to" "$dir/server.log" ||
                { echo "FAIL (the server sent no secret)"; return 0; }
            [ -z "$typed" ] || { echo "FAIL (typed)"; return 0; }
            ;;
        prompt-config | prompt-ctl)
            grep -q "Client [^ ]* is disabled" "$dir/server.log" ||
                { echo "FAIL (the server never refused the client)"; return 0; }
            if grep -q "Sending secret to" "$dir/server.log"; then
                echo "FAIL (the server sent the secret to a disabled client)"
                return 0
            fi
            [ -n "$typed" ] || { echo "FAIL (nothing typed)"; return 0; }
            awk -v u="$unlocked" -v t="$typed" 'BEGIN { exit !(u >= t) }' ||
                { echo "FAIL (unlocked at $unlocked s, before typing at $typed s)"; return 0; }
            ;;
    esac
    echo "PASS"
}

main() {
    parse_args "$@"
    e2e_need_root
    e2e_ensure_tools "$E2E_HOST_TOOLS_RUN"
    if [ "$BUILD_IMAGE" = yes ]; then
        "$E2E_DIR/build-image.sh" --build-dir "$BUILD_DIR" --out "$IMAGE_DIR"
    fi
    local f
    for f in disk.img vmlinuz initrd.img cmdline passphrase client-section.conf; do
        [ -s "$IMAGE_DIR/$f" ] || e2e_die "$IMAGE_DIR/$f missing: run build-image.sh first"
    done
    for f in mandos mandos-tls-worker; do
        [ -x "$BUILD_DIR/server/$f" ] || e2e_die "$BUILD_DIR/server/$f not built"
    done
    if [ "$SCENARIO" = all ] && [ ! -x "$BUILD_DIR/ctl/mandos-ctl" ]; then
        e2e_log "mandos-ctl not built: prompt-config instead of prompt-ctl"
        SCENARIOS=(unattended prompt-config)
    fi
    PORT=${PORT:-$(free_port)}
    local failed=0 name
    for name in "${SCENARIOS[@]}"; do
        scenario "$name" || failed=1
        [ "$KEEP" = yes ] || rm -f "$IMAGE_DIR/run-$name/disk.qcow2"
    done
    printf '%s\n' "${RESULTS[@]}" | tee "$IMAGE_DIR/results"
    local passed=0
    for f in "${RESULTS[@]}"; do
        case "$f" in *": PASS"*) passed=$((passed + 1)) ;; esac
    done
    echo "$passed passed, $((${#RESULTS[@]} - passed)) failed"
    return "$failed"
}

main "$@"
