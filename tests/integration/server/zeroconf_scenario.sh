#!/bin/bash
# Runs inside `unshare -n` (a private network namespace with only lo): a
# private system bus, avahi-daemon, and two mandos servers announcing the same
# service name; then avahi-daemon is restarted under the first one.
# Usage: zeroconf_scenario.sh MANDOS CONFDIR STATEDIR WORKDIR
set -u
MANDOS=$1 CONF=$2 STATE=$3 WORK=$4
ip link set lo up || exit 77
cat > "$WORK/bus.conf" <<BUS
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$WORK/bus.sock</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/>
  </policy>
</busconfig>
BUS
printf '[server]\nuse-ipv4=yes\nuse-ipv6=yes\nenable-dbus=yes\n[publish]\npublish-addresses=no\npublish-hinfo=no\npublish-workstation=no\n' > "$WORK/avahi.conf"
dbus-daemon --config-file="$WORK/bus.conf" --fork --print-pid > "$WORK/dbus.pid" || exit 77
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$WORK/bus.sock
start_avahi() { avahi-daemon -f "$WORK/avahi.conf" --no-drop-root --no-chroot --no-rlimits -D 2>> "$WORK/avahi.err"; }
start_avahi || { kill "$(cat "$WORK/dbus.pid")"; exit 77; }
sleep 1
ARGS=(--configdir "$CONF" --statedir "$STATE" --no-dbus --no-restore --port 0 --address ::1 --debug --servicename Test)
timeout 12 "$MANDOS" "${ARGS[@]}" > "$WORK/first.log" 2>&1 &
sleep 2
timeout 3 "$MANDOS" "${ARGS[@]}" > "$WORK/second.log" 2>&1
avahi-daemon -k 2>/dev/null
sleep 2
start_avahi
wait
avahi-daemon -k 2>/dev/null
kill "$(cat "$WORK/dbus.pid")"
exit 0
