// Carries out a parsed mandos-ctl invocation against a MandosBus
// (ctl.md §3): fetch the clients, select them by name, then run the
// commands in order, or print the table when there are none.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <vector>

#include "command.hpp"
#include "mandos_bus.hpp"

namespace mandos::ctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// The reference's order: every --deny that follows the first --remove is
// moved to just before it, so a request is denied before its client goes.
std::vector<Command> order_commands(std::vector<Command> commands);

// Makes the bus connection; `debug` is the stream for D-Bus call logging
// (nullptr without --debug).
using BusConnector =
    std::function<Result<std::unique_ptr<MandosBus>>(std::ostream* debug)>;

// Returns the exit status. Listings go to `out`, messages to `err`.
int run_invocation(const Invocation& invocation, const BusConnector& connect, std::ostream& out,
                   std::ostream& err);

// One line for a failed bus call: the last line of a Python traceback the
// reference server sends as error message, else the message.
std::string summarize_bus_message(const std::string& message);

}  // namespace mandos::ctl
