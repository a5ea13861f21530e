// Zeroconf announcement of the server (server.md §10) with libavahi-client
// on the GLib main loop: service `_mandos._tcp`, renamed on collisions,
// re-registered whenever the Avahi daemon (re)starts.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "mandos/result.hpp"

namespace mandos::server {

inline constexpr int kMaxZeroconfRenames = 32768;

struct ZeroconfOptions {
  std::string name = "Mandos";
  int port = 0;
  bool ipv6 = true;       // AVAHI_PROTO_INET6, else AVAHI_PROTO_INET
  std::string interface;  // empty: all
};

class Zeroconf {
 public:
  // `fatal(code)` is called when the server cannot go on (too many renames,
  // a failed entry group); the server then shuts down with that code.
  Zeroconf(ZeroconfOptions options, std::function<void(int)> fatal);
  ~Zeroconf();
  Zeroconf(const Zeroconf&) = delete;
  Zeroconf& operator=(const Zeroconf&) = delete;

  // Connects to the Avahi daemon; fails if it is not reachable now.
  [[nodiscard]] Status start();
  const std::string& name() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mandos::server
