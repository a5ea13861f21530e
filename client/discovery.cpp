#include "discovery.hpp"

#include <avahi-common/error.h>
#include <avahi-common/simple-watch.h>
#include <avahi-core/core.h>
#include <avahi-core/log.h>
#include <avahi-core/lookup.h>
#include <net/if.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <deque>

#include "mandos/log.hpp"
#include "signals.hpp"

namespace mandos::client {
namespace {

constexpr const char* kServiceType = "_mandos._tcp";

// Avahi's own messages: only in --debug mode (the reference is silent).
bool g_avahi_debug = false;

void avahi_log(AvahiLogLevel level, const char* text) {
  if (!g_avahi_debug || text == nullptr) return;
  try {
    log::debug("Avahi (", static_cast<int>(level), "): ", text);
  } catch (...) {
    // Nothing may unwind into Avahi.
  }
}

// Avahi's poll, with our signals unblocked: a signal ends the wait and
// the iteration returns as if it timed out, so run() sees the flag.
int avahi_poll(pollfd* fds, unsigned count, int timeout, void* /*userdata*/) {
  int ret = signals::poll(fds, count, timeout);
  if (ret < 0 && errno == EINTR && signals::stop_requested()) {
    for (unsigned i = 0; i < count; ++i) fds[i].revents = 0;
    return 0;
  }
  return ret;
}

}  // namespace

// ---------------------------------------------------------------------------
// RetryList

void RetryList::add(const Server& server, Clock::time_point now) {
  // Inserted just before the current entry, i.e. last in the round.
  entries_.insert(entries_.begin() + static_cast<std::ptrdiff_t>(current_), Entry{server, now});
  if (entries_.size() > 1) ++current_;
}

std::chrono::milliseconds RetryList::wait(std::chrono::milliseconds retry,
                                          Clock::time_point now) const {
  auto since = std::chrono::duration_cast<std::chrono::milliseconds>(
      now - entries_[current_].last_tried);
  return retry - since;
}

void RetryList::advance(Clock::time_point now) {
  entries_[current_].last_tried = now;
  current_ = (current_ + 1) % entries_.size();
}

// ---------------------------------------------------------------------------
// Discovery

struct Discovery::Impl {
  DiscoverySettings settings;
  AvahiSimplePoll* poll = nullptr;
  AvahiServer* server = nullptr;
  AvahiSServiceBrowser* browser = nullptr;
  std::deque<Server> found;  // resolved, not yet tried
  std::string failure;       // browser or server failure

  ~Impl() {
    if (browser != nullptr) avahi_s_service_browser_free(browser);
    if (server != nullptr) avahi_server_free(server);  // frees pending resolvers too
    if (poll != nullptr) avahi_simple_poll_free(poll);
  }

  bool interface_in_use(AvahiIfIndex interface) const {
    if (settings.in_use.empty()) return true;
    return std::find(settings.in_use.begin(), settings.in_use.end(),
                     static_cast<unsigned>(interface)) != settings.in_use.end();
  }

  void resolved(AvahiIfIndex interface, const char* name, const AvahiAddress* address,
                uint16_t port) {
    Server found_server;
    found_server.port = port;
    found_server.ifindex = interface > 0 ? static_cast<unsigned>(interface) : 0;
    char ifname[IF_NAMESIZE] = {};
    if (found_server.ifindex != 0 && ::if_indextoname(found_server.ifindex, ifname) != nullptr) {
      found_server.ifname = ifname;
    }
    if (address->proto == AVAHI_PROTO_INET) {
      found_server.family = AF_INET;
      std::memcpy(found_server.address, &address->data.ipv4.address, 4);
    } else {
      found_server.family = AF_INET6;
      std::memcpy(found_server.address, address->data.ipv6.address, 16);
    }
    if (!interface_in_use(interface)) {
      log::debug("Skipping Mandos server \"", name, "\" (", found_server.description(),
                 "): interface not in use");
      return;
    }
    log::debug("Mandos server \"", name, "\" found: ", found_server.description());
    found.push_back(found_server);
  }
};

namespace {

void on_resolve(AvahiSServiceResolver* resolver, AvahiIfIndex interface, AvahiProtocol /*proto*/,
                AvahiResolverEvent event, const char* name, const char* /*type*/,
                const char* /*domain*/, const char* /*host*/, const AvahiAddress* address,
                uint16_t port, AvahiStringList* /*txt*/, AvahiLookupResultFlags /*flags*/,
                void* userdata) {
  auto* impl = static_cast<Discovery::Impl*>(userdata);
  try {
    if (event == AVAHI_RESOLVER_FOUND && address != nullptr) {
      impl->resolved(interface, name != nullptr ? name : "", address, port);
    } else {
      log::debug("Cannot resolve Mandos server \"", name != nullptr ? name : "", "\": ",
                 avahi_strerror(avahi_server_errno(impl->server)));
    }
  } catch (...) {
    // Nothing may unwind into Avahi; a lost result is retried by Avahi.
  }
  avahi_s_service_resolver_free(resolver);
}

void on_browse(AvahiSServiceBrowser* /*browser*/, AvahiIfIndex interface, AvahiProtocol protocol,
               AvahiBrowserEvent event, const char* name, const char* type, const char* domain,
               AvahiLookupResultFlags /*flags*/, void* userdata) {
  auto* impl = static_cast<Discovery::Impl*>(userdata);
  try {
    switch (event) {
      case AVAHI_BROWSER_NEW:
        // Resolve with the protocol it was found on (A for IPv4, AAAA for IPv6).
        if (avahi_s_service_resolver_new(impl->server, interface, protocol, name, type, domain,
                                         protocol, static_cast<AvahiLookupFlags>(0), on_resolve,
                                         impl) == nullptr) {
          log::warning("Avahi: cannot resolve service \"", name, "\": ",
                       avahi_strerror(avahi_server_errno(impl->server)));
        }
        break;
      case AVAHI_BROWSER_FAILURE:
        impl->failure = std::string("Avahi browser failed: ") +
                        avahi_strerror(avahi_server_errno(impl->server));
        break;
      case AVAHI_BROWSER_REMOVE:  // servers already listed stay (as the reference)
      case AVAHI_BROWSER_CACHE_EXHAUSTED:
      case AVAHI_BROWSER_ALL_FOR_NOW:
        break;
    }
  } catch (...) {
    // Nothing may unwind into Avahi.
  }
}

void on_server_state(AvahiServer* server, AvahiServerState state, void* userdata) {
  auto* impl = static_cast<Discovery::Impl*>(userdata);
  if (state != AVAHI_SERVER_FAILURE) return;
  try {
    impl->failure = std::string("Avahi server failed: ") +
                    avahi_strerror(avahi_server_errno(server));
  } catch (...) {
  }
}

}  // namespace

Discovery::Discovery(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Discovery::~Discovery() = default;

Result<std::unique_ptr<Discovery>> Discovery::create(DiscoverySettings settings) {
  g_avahi_debug = settings.debug;
  avahi_set_log_function(avahi_log);
  auto impl = std::make_unique<Impl>();
  impl->settings = std::move(settings);
  impl->poll = avahi_simple_poll_new();
  if (impl->poll == nullptr) return fail("Avahi: cannot create the main loop");
  avahi_simple_poll_set_func(impl->poll, avahi_poll, nullptr);

  AvahiServerConfig config;
  avahi_server_config_init(&config);
  // A querier only: nothing about this host is announced.
  config.publish_hinfo = 0;
  config.publish_addresses = 0;
  config.publish_workstation = 0;
  config.publish_domain = 0;
  config.disable_publishing = 1;
  config.use_ipv4 = 1;
  config.use_ipv6 = 1;
  int error = 0;
  impl->server = avahi_server_new(avahi_simple_poll_get(impl->poll), &config, on_server_state,
                                  impl.get(), &error);
  avahi_server_config_free(&config);
  if (impl->server == nullptr) {
    return fail(std::string("Avahi: cannot start: ") + avahi_strerror(error));
  }
  AvahiIfIndex interface = impl->settings.browse_ifindex == 0
                               ? AVAHI_IF_UNSPEC
                               : static_cast<AvahiIfIndex>(impl->settings.browse_ifindex);
  impl->browser = avahi_s_service_browser_new(impl->server, interface, AVAHI_PROTO_UNSPEC,
                                              kServiceType, nullptr,
                                              static_cast<AvahiLookupFlags>(0), on_browse,
                                              impl.get());
  if (impl->browser == nullptr) {
    return fail(std::string("Avahi: cannot browse for ") + kServiceType + ": " +
                avahi_strerror(avahi_server_errno(impl->server)));
  }
  return std::unique_ptr<Discovery>(new Discovery(std::move(impl)));
}

Result<AttemptResult> Discovery::run(const AttemptFunction& attempt) {
  Impl& impl = *impl_;
  RetryList list;
  const auto retry = impl.settings.retry;
  auto interrupted = [] {
    AttemptResult result;
    result.outcome = Outcome::kInterrupted;
    return result;
  };
  for (;;) {
    if (signals::stop_requested()) return interrupted();
    if (!impl.failure.empty()) return fail(impl.failure);
    // New servers are tried at once.
    while (!impl.found.empty()) {
      Server server = impl.found.front();
      impl.found.pop_front();
      AttemptResult result = attempt(server);
      if (result.outcome != Outcome::kFailed) return result;
      list.add(server, RetryList::Clock::now());
    }
    int timeout = -1;  // nothing to retry: wait for Avahi
    if (!list.empty()) {
      auto wait = list.wait(retry, RetryList::Clock::now());
      if (wait.count() <= 0) {
        AttemptResult result = attempt(list.current().server);
        if (result.outcome != Outcome::kFailed) return result;
        list.advance(RetryList::Clock::now());
        timeout = 0;
      } else {
        timeout = static_cast<int>(std::min<long long>(wait.count(), INT_MAX));
      }
    }
    if (avahi_simple_poll_iterate(impl.poll, timeout) < 0) {
      return fail(std::string("Avahi main loop failed: ") + std::strerror(errno));
    }
  }
}

}  // namespace mandos::client
