// mandos-monitor's main loop: the UI thread polls the terminal, the bus
// event queue and the signalfd; it never waits on anything else, and it
// wakes once a second only while a countdown is on screen.
#pragma once

namespace mandos::monitor {

// Runs the monitor until `q`, Ctrl-C or a fatal problem; returns the exit
// status. Termination signals are re-raised after the terminal is restored.
int run_monitor();

}  // namespace mandos::monitor
