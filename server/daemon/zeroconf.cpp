#include "daemon/zeroconf.hpp"

#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-glib/glib-watch.h>
#include <net/if.h>

#include <exception>

#include "mandos/log.hpp"

namespace mandos::server {

struct Zeroconf::Impl {
  ZeroconfOptions options;
  std::function<void(int)> fatal;
  AvahiGLibPoll* poll = nullptr;
  AvahiClient* client = nullptr;
  AvahiEntryGroup* group = nullptr;
  int rename_count = 0;
  bool failed = false;

  ~Impl() {
    if (client != nullptr) avahi_client_free(client);  // frees its groups too
    if (poll != nullptr) avahi_glib_poll_free(poll);
  }

  AvahiIfIndex interface_index() const {
    if (options.interface.empty()) return AVAHI_IF_UNSPEC;
    unsigned index = if_nametoindex(options.interface.c_str());
    return index == 0 ? AVAHI_IF_UNSPEC : static_cast<AvahiIfIndex>(index);
  }

  void die(int code) {
    if (failed) return;
    failed = true;
    fatal(code);
  }

  void reset_group() {
    if (group != nullptr) avahi_entry_group_reset(group);
  }

  void rename(bool remove) {
    if (rename_count >= kMaxZeroconfRenames) {
      log::critical("No suitable Zeroconf service name found after ", rename_count,
                    " retries, exiting.");
      die(1);
      return;
    }
    char* alternative = avahi_alternative_service_name(options.name.c_str());
    options.name = alternative;
    avahi_free(alternative);
    ++rename_count;
    log::info("Changing Zeroconf service name to '", options.name, "' ...");
    log::set_syslog_tag("Mandos (" + options.name + ")");
    if (remove) reset_group();
    add();
  }

  void add() {
    if (failed || client == nullptr) return;
    if (group == nullptr) {
      group = avahi_entry_group_new(client, &Impl::group_callback, this);
      if (group == nullptr) {
        log::critical("Avahi: cannot create entry group: ",
                      avahi_strerror(avahi_client_errno(client)));
        die(1);
        return;
      }
    }
    log::debug("Adding Zeroconf service '", options.name, "' of type '_mandos._tcp' ...");
    const AvahiProtocol protocol = options.ipv6 ? AVAHI_PROTO_INET6 : AVAHI_PROTO_INET;
    int rc = avahi_entry_group_add_service(group, interface_index(), protocol,
                                           static_cast<AvahiPublishFlags>(0),
                                           options.name.c_str(), "_mandos._tcp", nullptr,
                                           nullptr, static_cast<uint16_t>(options.port),
                                           nullptr);
    if (rc == AVAHI_ERR_COLLISION) {
      log::info("Local Zeroconf service name collision.");
      rename(false);
      return;
    }
    if (rc >= 0) rc = avahi_entry_group_commit(group);
    if (rc < 0) {
      log::critical("Avahi: cannot publish service: ", avahi_strerror(rc));
      die(1);
    }
  }

  static void group_callback(AvahiEntryGroup* g, AvahiEntryGroupState state, void* data) {
    auto* self = static_cast<Impl*>(data);
    try {
      self->group = g;
      log::debug("Avahi entry group state change: ", static_cast<int>(state));
      switch (state) {
        case AVAHI_ENTRY_GROUP_ESTABLISHED:
          log::debug("Zeroconf service established.");
          break;
        case AVAHI_ENTRY_GROUP_COLLISION:
          log::info("Zeroconf service name collision.");
          self->rename(true);
          break;
        case AVAHI_ENTRY_GROUP_FAILURE:
          log::critical("Avahi: Error in group state changed ",
                        avahi_strerror(avahi_client_errno(avahi_entry_group_get_client(g))));
          self->die(1);
          break;
        case AVAHI_ENTRY_GROUP_UNCOMMITED:
        case AVAHI_ENTRY_GROUP_REGISTERING:
          break;
      }
    } catch (const std::exception& e) {
      log::error("Zeroconf: ", e.what());
    }
  }

  static void client_callback(AvahiClient* c, AvahiClientState state, void* data) {
    auto* self = static_cast<Impl*>(data);
    try {
      self->client = c;  // also when called from inside avahi_client_new()
      self->on_client_state(c, state);
    } catch (const std::exception& e) {
      log::error("Zeroconf: ", e.what());
    }
  }

  void on_client_state(AvahiClient* c, AvahiClientState state) {
    log::debug("Avahi server state change: ", static_cast<int>(state));
    switch (state) {
      case AVAHI_CLIENT_S_RUNNING:
        reset_group();
        add();
        break;
      case AVAHI_CLIENT_S_REGISTERING:
        reset_group();
        break;
      case AVAHI_CLIENT_S_COLLISION:
        log::error("Zeroconf server name collision");
        reset_group();
        break;
      case AVAHI_CLIENT_FAILURE:
        if (avahi_client_errno(c) == AVAHI_ERR_DISCONNECTED) {
          // The daemon went away: start over and wait for it to return.
          log::warning("Lost connection to the Avahi daemon; waiting for it");
          reconnect();
        } else {
          log::error("Zeroconf server failure: ", avahi_strerror(avahi_client_errno(c)));
          reset_group();
        }
        break;
      case AVAHI_CLIENT_CONNECTING:
        log::debug("Waiting for the Avahi daemon");
        break;
    }
  }

  void reconnect() {
    // Freeing from inside its own callback is not allowed: do it from idle.
    g_idle_add(
        [](gpointer data) -> gboolean {
          auto* self = static_cast<Impl*>(data);
          if (self->client != nullptr) avahi_client_free(self->client);
          self->client = nullptr;
          self->group = nullptr;
          int error = 0;
          AvahiClient* c = avahi_client_new(avahi_glib_poll_get(self->poll), AVAHI_CLIENT_NO_FAIL,
                                            &Impl::client_callback, self, &error);
          if (c == nullptr) {
            log::critical("Avahi: cannot reconnect: ", avahi_strerror(error));
            self->die(1);
            return G_SOURCE_REMOVE;
          }
          self->client = c;
          return G_SOURCE_REMOVE;
        },
        this);
  }
};

Zeroconf::Zeroconf(ZeroconfOptions options, std::function<void(int)> fatal)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->fatal = std::move(fatal);
}

Zeroconf::~Zeroconf() = default;

const std::string& Zeroconf::name() const { return impl_->options.name; }

Status Zeroconf::start() {
  impl_->poll = avahi_glib_poll_new(nullptr, G_PRIORITY_DEFAULT);
  if (impl_->poll == nullptr) return fail("Avahi: cannot create GLib poll adapter");
  int error = 0;
  // NO_FAIL: the client survives avahi-daemon restarts (it reconnects).
  AvahiClient* client = avahi_client_new(avahi_glib_poll_get(impl_->poll), AVAHI_CLIENT_NO_FAIL,
                                         &Impl::client_callback, impl_.get(), &error);
  if (client == nullptr) return fail(std::string("Avahi: ") + avahi_strerror(error));
  impl_->client = client;
  if (avahi_client_get_state(client) == AVAHI_CLIENT_CONNECTING) {
    // As the reference: no Avahi at start-up is fatal.
    return fail("Avahi daemon is not running (or not reachable over D-Bus)");
  }
  return {};
}

}  // namespace mandos::server
