#include "output.hpp"

#include <algorithm>
#include <chrono>
#include <limits>

#include "mandos/duration.hpp"
#include "text.hpp"

namespace mandos::ctl {
namespace {

std::span<const Column> table_columns(bool verbose) {
  return verbose ? std::span<const Column>(kColumns)
                 : std::span<const Column>(kColumns).first(kDefaultColumnCount);
}

// Every client must carry every property the output shows.
Status check_properties(std::span<const Client> clients, std::span<const Column> columns) {
  for (const Client& client : clients) {
    for (const Column& column : columns) {
      if (client.find(column.property) == nullptr) {
        return fail("The Mandos server sent client " + client.path + " without property " +
                    column.property);
      }
    }
  }
  return {};
}

std::string duration_cell(std::int64_t milliseconds) {
  return format_ctl_duration(std::chrono::milliseconds(milliseconds));
}

void pad_to(std::string& line, std::string_view cell, std::size_t width) {
  line += cell;
  const std::size_t length = code_point_count(cell);
  if (length < width) line.append(width - length, ' ');
}

std::string json_value(const PropertyValue& value) {
  struct Visitor {
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(std::int64_t i) const { return std::to_string(i); }
    std::string operator()(std::uint64_t u) const { return std::to_string(u); }
    std::string operator()(double d) const {
      const std::string text = python_float(d);
      if (text == "nan") return "NaN";
      if (text == "inf") return "Infinity";
      if (text == "-inf") return "-Infinity";
      return text;
    }
    std::string operator()(const std::string& s) const { return json_string(s); }
    std::string operator()(const OtherValue& o) const { return json_string(o.signature); }
  };
  return std::visit(Visitor{}, value);
}

}  // namespace

std::string cell_text(std::string_view property, const PropertyValue& value) {
  struct Visitor {
    std::string_view property;
    std::string operator()(bool b) const { return b ? "Yes" : "No"; }
    std::string operator()(std::int64_t i) const {
      return is_duration_property(property) ? duration_cell(i) : std::to_string(i);
    }
    std::string operator()(std::uint64_t u) const {
      // Beyond int64 no duration is meaningful (the reference overflows).
      if (is_duration_property(property) &&
          u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return duration_cell(static_cast<std::int64_t>(u));
      }
      return std::to_string(u);
    }
    std::string operator()(double d) const { return python_float(d); }
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(const OtherValue& o) const { return o.signature; }
  };
  return std::visit(Visitor{property}, value);
}

Result<std::string> format_table(std::span<const Client> clients, bool verbose) {
  const std::span<const Column> columns = table_columns(verbose);
  if (auto ok = check_properties(clients, columns); !ok) return ok.error();
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header;
  std::vector<std::size_t> widths;
  for (const Column& column : columns) {
    header.emplace_back(column.header);
    widths.push_back(code_point_count(column.header));
  }
  rows.push_back(std::move(header));
  for (const Client& client : clients) {
    std::vector<std::string> row;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      row.push_back(cell_text(columns[i].property, *client.find(columns[i].property)));
      widths[i] = std::max(widths[i], code_point_count(row.back()));
    }
    rows.push_back(std::move(row));
  }
  std::string out;
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i > 0) out += ' ';
      pad_to(out, row[i], widths[i]);
    }
    out += '\n';
  }
  return out;
}

Result<std::string> format_json(std::span<const Client> clients) {
  if (auto ok = check_properties(clients, kColumns); !ok) return ok.error();
  if (clients.empty()) return std::string("{}\n");
  std::string out = "{";
  for (std::size_t c = 0; c < clients.size(); ++c) {
    out += c == 0 ? "\n    " : ",\n    ";
    out += json_string(clients[c].name()) + ": {";
    for (std::size_t i = 0; i < kColumns.size(); ++i) {
      out += i == 0 ? "\n        " : ",\n        ";
      out += json_string(kColumns[i].property) + ": " +
             json_value(*clients[c].find(kColumns[i].property));
    }
    out += "\n    }";
  }
  out += "\n}\n";
  return out;
}

}  // namespace mandos::ctl
