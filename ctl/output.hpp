// The two listings of mandos-ctl (ctl.md §4, §5): the client table, default
// or verbose, and the --dump-json document. Both fail, naming the client and
// property, when the server did not send a property they need.
#pragma once

#include <span>
#include <string>

#include "client.hpp"
#include "mandos/result.hpp"

namespace mandos::ctl {

// One table cell: Yes/No for booleans, [dT]HH:MM:SS for durations, else the
// value as Python's str() prints it.
std::string cell_text(std::string_view property, const PropertyValue& value);

// Header line plus one line per client, every cell padded to its column's
// width in code points (trailing spaces included), each line ending in LF.
// With no clients only the header is printed (the reference crashes).
[[nodiscard]] Result<std::string> format_table(std::span<const Client> clients, bool verbose);

// {"name": {20 properties}, ...} as json.dumps(indent=4, separators=(",", ": "))
// writes it, plus the LF that print() adds. No clients: "{}\n".
[[nodiscard]] Result<std::string> format_json(std::span<const Client> clients);

}  // namespace mandos::ctl
