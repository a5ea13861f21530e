// mandos-monitor: an interactive, curses-based view of a Mandos server's
// clients over D-Bus (monitor.md). Takes no options; arguments are ignored,
// as the reference ignores them.
#include <exception>
#include <iostream>

#include "app.hpp"

int main() {
  try {
    return mandos::monitor::run_monitor();
  } catch (const std::exception& e) {
    // The terminal owner has been destroyed by now: the message is readable.
    std::cerr << "mandos-monitor: " << e.what() << "\n";
    return 1;
  }
}
