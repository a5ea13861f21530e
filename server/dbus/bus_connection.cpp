#include "dbus/bus_connection.hpp"

#include <core/dbus/asio/executor.h>
#include <core/dbus/bus.h>
#include <core/dbus/message.h>
#include <core/dbus/types/object_path.h>
#include <core/dbus/types/signature.h>
#include <dbus/dbus.h>
#include <glib-unix.h>
#include <glib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <boost/asio/io_service.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "common/ipc.hpp"
#include "mandos/fd.hpp"
#include "mandos/log.hpp"

namespace mandos::server::dbus {

namespace cdbus = ::core::dbus;

namespace {

// Incoming arguments: nesting and item counts far beyond anything the API
// takes; a Secret is at most ipc::kMaxSecretSize bytes (checked later).
constexpr int kMaxDepth = 16;
constexpr size_t kMaxArrayItems = 4096;

struct ParseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const char* or_empty(const char* text) { return text == nullptr ? "" : text; }

template <class T>
T basic(DBusMessageIter* it) {
  T value{};
  dbus_message_iter_get_basic(it, &value);
  return value;
}

Value read_value(DBusMessageIter* it, int depth);

std::vector<Value> read_items(DBusMessageIter* it, int depth) {
  std::vector<Value> items;
  while (dbus_message_iter_get_arg_type(it) != DBUS_TYPE_INVALID) {
    if (items.size() >= kMaxArrayItems) throw ParseError("argument has too many items");
    items.push_back(read_value(it, depth));
    dbus_message_iter_next(it);
  }
  return items;
}

Value read_array(DBusMessageIter* it, int depth) {
  char* signature = dbus_message_iter_get_signature(it);
  std::string element = signature == nullptr ? std::string() : std::string(signature).substr(1);
  dbus_free(signature);
  DBusMessageIter sub;
  dbus_message_iter_recurse(it, &sub);
  if (element == "y") {
    const unsigned char* data = nullptr;
    int count = 0;
    if (dbus_message_iter_get_arg_type(&sub) == DBUS_TYPE_BYTE) {
      dbus_message_iter_get_fixed_array(&sub, &data, &count);
    }
    if (count < 0 || static_cast<size_t>(count) > ipc::kMaxSecretSize) {
      throw ParseError("byte array longer than " + std::to_string(ipc::kMaxSecretSize) + " bytes");
    }
    return Value::bytes(SecretBytes(data, static_cast<size_t>(count)));
  }
  return Value::array(element, read_items(&sub, depth + 1));
}

// Reads the value under the iterator (without advancing it).
Value read_value(DBusMessageIter* it, int depth) {
  if (depth > kMaxDepth) throw ParseError("argument nested too deeply");
  DBusMessageIter sub;
  switch (dbus_message_iter_get_arg_type(it)) {
    case DBUS_TYPE_BYTE: return Value::byte(basic<unsigned char>(it));
    case DBUS_TYPE_BOOLEAN: return Value::boolean(basic<dbus_bool_t>(it) != 0);
    case DBUS_TYPE_INT16: return Value::int16(basic<dbus_int16_t>(it));
    case DBUS_TYPE_UINT16: return Value::uint16(basic<dbus_uint16_t>(it));
    case DBUS_TYPE_INT32: return Value::int32(basic<dbus_int32_t>(it));
    case DBUS_TYPE_UINT32: return Value::uint32(basic<dbus_uint32_t>(it));
    case DBUS_TYPE_INT64: return Value::int64(basic<dbus_int64_t>(it));
    case DBUS_TYPE_UINT64: return Value::uint64(basic<dbus_uint64_t>(it));
    case DBUS_TYPE_DOUBLE: return Value::dbl(basic<double>(it));
    case DBUS_TYPE_STRING: return Value::string(or_empty(basic<const char*>(it)));
    case DBUS_TYPE_OBJECT_PATH: return Value::object_path(or_empty(basic<const char*>(it)));
    case DBUS_TYPE_SIGNATURE: return Value::signature_value(or_empty(basic<const char*>(it)));
    case DBUS_TYPE_ARRAY: return read_array(it, depth);
    case DBUS_TYPE_STRUCT:
      dbus_message_iter_recurse(it, &sub);
      return Value::structure(read_items(&sub, depth + 1));
    case DBUS_TYPE_DICT_ENTRY: {
      dbus_message_iter_recurse(it, &sub);
      auto items = read_items(&sub, depth + 1);
      if (items.size() != 2) throw ParseError("malformed dict entry");
      return Value::dict_entry(std::move(items[0]), std::move(items[1]));
    }
    case DBUS_TYPE_VARIANT: {
      dbus_message_iter_recurse(it, &sub);
      return Value::variant(read_value(&sub, depth + 1));
    }
    case DBUS_TYPE_UNIX_FD: throw ParseError("file descriptors are not accepted");
    default: break;  // libdbus type codes are ints, not an enum
  }
  throw ParseError("unsupported argument type");
}

// Everything libdbus would refuse (and abort on) is caught here, before a
// single byte is written, so a message is never left half-built.
void check_sendable(const Value& value) {
  switch (value.kind()) {
    case Kind::ObjectPath:
      if (!dbus_validate_path(value.as_string().c_str(), nullptr)) {
        throw std::runtime_error("invalid object path \"" + value.as_string() + "\"");
      }
      return;
    case Kind::Signature:
      if (!dbus_signature_validate(value.as_string().c_str(), nullptr)) {
        throw std::runtime_error("invalid signature \"" + value.as_string() + "\"");
      }
      return;
    case Kind::Array:
      if (!dbus_signature_validate_single(value.signature().c_str(), nullptr)) {
        throw std::runtime_error("invalid array element type \"" + value.element_signature() +
                                 "\"");
      }
      for (const Value& item : value.children()) {
        if (item.signature() != value.element_signature()) {
          throw std::runtime_error("array item of type " + item.signature() + " in a" +
                                   value.element_signature());
        }
      }
      break;
    case Kind::Variant:
    case Kind::Struct:
    case Kind::DictEntry:
    case Kind::Byte:
    case Kind::Boolean:
    case Kind::Int16:
    case Kind::UInt16:
    case Kind::Int32:
    case Kind::UInt32:
    case Kind::Int64:
    case Kind::UInt64:
    case Kind::Double:
    case Kind::String: break;
  }
  for (const Value& child : value.children()) check_sendable(child);
}

void write_value(cdbus::Message::Writer& w, const Value& v);

void write_array(cdbus::Message::Writer& w, const Value& v) {
  auto sub = w.open_array(cdbus::types::Signature(v.element_signature()));
  if (v.element_signature() == "y") {
    for (char c : v.as_bytes().view()) sub.push_byte(static_cast<std::int8_t>(c));
  } else {
    for (const Value& item : v.children()) write_value(sub, item);
  }
  w.close_array(std::move(sub));
}

void write_value(cdbus::Message::Writer& w, const Value& v) {
  switch (v.kind()) {
    case Kind::Byte: w.push_byte(static_cast<std::int8_t>(v.as_uint64().value_or(0))); return;
    case Kind::Boolean: w.push_boolean(v.as_bool()); return;
    case Kind::Int16: w.push_int16(static_cast<std::int16_t>(v.as_int64().value_or(0))); return;
    case Kind::UInt16: w.push_uint16(static_cast<std::uint16_t>(v.as_uint64().value_or(0))); return;
    case Kind::Int32: w.push_int32(static_cast<std::int32_t>(v.as_int64().value_or(0))); return;
    case Kind::UInt32: w.push_uint32(static_cast<std::uint32_t>(v.as_uint64().value_or(0))); return;
    case Kind::Int64: w.push_int64(v.as_int64().value_or(0)); return;
    case Kind::UInt64: w.push_uint64(v.as_uint64().value_or(0)); return;
    case Kind::Double: w.push_floating_point(v.as_double()); return;
    case Kind::String: {
      const std::string text = to_dbus_string(v.as_string());
      w.push_stringn(text.c_str(), text.size());
      return;
    }
    case Kind::ObjectPath: w.push_object_path(cdbus::types::ObjectPath(v.as_string())); return;
    case Kind::Signature: w.push_signature(cdbus::types::Signature(v.as_string())); return;
    case Kind::Array: write_array(w, v); return;
    case Kind::Struct: {
      auto sub = w.open_structure();
      for (const Value& field : v.children()) write_value(sub, field);
      w.close_structure(std::move(sub));
      return;
    }
    case Kind::DictEntry: {
      auto sub = w.open_dict_entry();
      write_value(sub, v.children().at(0));
      write_value(sub, v.children().at(1));
      w.close_dict_entry(std::move(sub));
      return;
    }
    case Kind::Variant: {
      const Value& inner = v.children().at(0);
      auto sub = w.open_variant(cdbus::types::Signature(inner.signature()));
      write_value(sub, inner);
      w.close_variant(std::move(sub));
      return;
    }
  }
}

void write_args(const cdbus::Message::Ptr& message, const std::vector<Value>& args) {
  for (const Value& arg : args) check_sendable(arg);
  auto writer = message->writer();
  for (const Value& arg : args) write_value(writer, arg);
}

}  // namespace

std::string to_dbus_string(std::string_view text) {
  std::string clean;
  clean.reserve(text.size());
  for (char c : text) {
    if (c != '\0') clean += c;
  }
  if (g_utf8_validate(clean.data(), static_cast<gssize>(clean.size()), nullptr)) return clean;
  gchar* valid = g_utf8_make_valid(clean.data(), static_cast<gssize>(clean.size()));
  std::string result(valid);
  g_free(valid);
  return result;
}

// --- Implementation -------------------------------------------------------------------

struct BusConnection::Impl {
  boost::asio::io_service io;
  std::shared_ptr<cdbus::Bus> bus;
  cdbus::Executor::Ptr executor;
  std::thread thread;
  bool exported = false;
  bool stopped = false;

  // Bus thread only (before start() and after the join: the main thread).
  std::map<std::uint64_t, cdbus::Message::Ptr> pending;
  std::uint64_t next_token = 1;

  // Bus thread -> main loop.
  std::mutex mutex;
  std::deque<IncomingCall> inbox;
  UniqueFd wakeup;  // eventfd, readable while the inbox has news
  guint source = 0;
  std::function<void(const IncomingCall&)> handler;

  DBusConnection* raw() const { return bus->raw(); }

  void send(const cdbus::Message::Ptr& message) {
    try {
      bus->send(message);
    } catch (const std::exception& e) {
      log::error("D-Bus: could not send a message: ", e.what());
    }
  }

  void send_error(const cdbus::Message::Ptr& call, const CallError& e) {
    send(cdbus::Message::make_error(call, e.name, to_dbus_string(e.message)));
  }

  void answer(std::uint64_t token, const std::vector<Value>* args, const CallError* failure) {
    auto found = pending.find(token);
    if (found == pending.end()) return;
    cdbus::Message::Ptr call = std::move(found->second);
    pending.erase(found);
    if (failure != nullptr) {
      send_error(call, *failure);
      return;
    }
    auto reply = cdbus::Message::make_method_return(call);
    try {
      write_args(reply, *args);
    } catch (const std::exception& e) {
      log::error("D-Bus: internal error in a reply: ", e.what());
      send_error(call, CallError{"org.freedesktop.DBus.Error.Failed",
                                 std::string("Internal error: ") + e.what()});
      return;
    }
    send(reply);
  }

  DBusHandlerResult receive(DBusMessage* raw_message);
  void deliver();
  void finish_on_bus_thread();
};

namespace {

DBusHandlerResult on_message(DBusConnection* /*connection*/, DBusMessage* message, void* data) {
  // Nothing may throw into libdbus.
  try {
    return static_cast<BusConnection::Impl*>(data)->receive(message);
  } catch (const std::exception& e) {
    log::error("D-Bus: dropping an incoming call: ", e.what());
    return DBUS_HANDLER_RESULT_HANDLED;
  }
}

const DBusObjectPathVTable kVTable = {nullptr, &on_message, nullptr, nullptr, nullptr, nullptr};

gboolean on_wakeup(gint /*fd*/, GIOCondition /*condition*/, gpointer data) {
  static_cast<BusConnection::Impl*>(data)->deliver();
  return G_SOURCE_CONTINUE;
}

}  // namespace

// Bus thread: one method call to "/" or below.
DBusHandlerResult BusConnection::Impl::receive(DBusMessage* raw_message) {
  if (dbus_message_get_type(raw_message) != DBUS_MESSAGE_TYPE_METHOD_CALL) {
    return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
  }
  auto message = cdbus::Message::from_raw_message(raw_message);
  const bool wants_reply = !dbus_message_get_no_reply(raw_message);
  IncomingCall call;
  call.path = or_empty(dbus_message_get_path(raw_message));
  call.interface = or_empty(dbus_message_get_interface(raw_message));
  call.member = or_empty(dbus_message_get_member(raw_message));
  call.signature = or_empty(dbus_message_get_signature(raw_message));
  DBusMessageIter it;
  try {
    if (dbus_message_iter_init(raw_message, &it)) call.args = read_items(&it, 0);
  } catch (const ParseError& e) {
    if (wants_reply) {
      send_error(message, CallError{"org.freedesktop.DBus.Error.InvalidArgs",
                                    std::string("Invalid arguments: ") + e.what()});
    }
    return DBUS_HANDLER_RESULT_HANDLED;
  }
  bool queued = false;
  {
    std::lock_guard lock(mutex);
    if (inbox.size() < kMaxQueuedCalls) {
      if (wants_reply) {
        call.token = next_token++;
        pending.emplace(call.token, message);
      }
      inbox.push_back(std::move(call));
      queued = true;
    }
  }
  if (!queued) {
    if (wants_reply) {
      send_error(message, CallError{"org.freedesktop.DBus.Error.LimitsExceeded",
                                    "Too many calls waiting for the Mandos server; try again"});
    }
    return DBUS_HANDLER_RESULT_HANDLED;
  }
  const std::uint64_t one = 1;
  if (::write(wakeup.get(), &one, sizeof one) < 0 && errno != EAGAIN) {
    log::error("D-Bus: cannot wake the main loop: ", std::strerror(errno));
  }
  return DBUS_HANDLER_RESULT_HANDLED;
}

// Main loop: hands queued calls to the API.
void BusConnection::Impl::deliver() {
  std::uint64_t count = 0;
  if (::read(wakeup.get(), &count, sizeof count) < 0 && errno != EAGAIN) {
    log::error("D-Bus: reading the wake-up counter failed: ", std::strerror(errno));
  }
  std::deque<IncomingCall> batch;
  {
    std::lock_guard lock(mutex);
    batch.swap(inbox);
  }
  for (const IncomingCall& call : batch) {
    try {
      handler(call);
    } catch (const std::exception& e) {
      log::error("D-Bus: internal error handling ", call.member, " on ", call.path, ": ", e.what());
      if (call.token != 0) {
        const std::uint64_t token = call.token;
        boost::asio::post(io, [this, token, message = std::string(e.what())] {
          CallError failure{"org.freedesktop.DBus.Error.Failed", "Internal error: " + message};
          answer(token, nullptr, &failure);
        });
      }
    }
  }
}

// Bus thread, last job: answer what is left, send everything, stop exporting.
void BusConnection::Impl::finish_on_bus_thread() {
  const CallError closing{"org.freedesktop.DBus.Error.Failed",
                          "The Mandos server is shutting down"};
  for (auto& [token, call] : pending) send_error(call, closing);
  pending.clear();
  dbus_connection_flush(raw());
  if (exported) dbus_connection_unregister_object_path(raw(), "/");
  exported = false;
  io.stop();
}

// --- Public interface ----------------------------------------------------------------

BusConnection::BusConnection() : impl_(std::make_unique<Impl>()) {}

BusConnection::~BusConnection() { stop(); }

Result<std::unique_ptr<BusConnection>> BusConnection::open(const std::vector<std::string>& names) {
  std::unique_ptr<BusConnection> connection(new BusConnection());
  Impl& impl = *connection->impl_;
  try {
    impl.bus = std::make_shared<cdbus::Bus>(cdbus::WellKnownBus::system);
  } catch (const std::exception& e) {
    return fail(std::string("cannot connect to the system bus: ") + e.what());
  }
  for (const std::string& name : names) {
    try {
      // The returned Name only records the string; the connection owns the name.
      (void)impl.bus->request_name_on_bus(name, cdbus::Bus::RequestNameFlag::do_not_queue);
    } catch (const std::exception& e) {
      return fail("cannot claim the bus name " + name + ": " + e.what());
    }
  }
  return connection;
}

Status BusConnection::start(std::function<void(const IncomingCall&)> handler) {
  Impl& impl = *impl_;
  if (impl.thread.joinable() || impl.stopped) return fail("D-Bus connection already started");
  impl.handler = std::move(handler);
  impl.wakeup = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!impl.wakeup) return fail(std::string("eventfd: ") + std::strerror(errno));
  impl.source = g_unix_fd_add(impl.wakeup.get(), G_IO_IN, &on_wakeup, &impl);
  DBusError error;
  dbus_error_init(&error);
  if (!dbus_connection_try_register_fallback(impl.raw(), "/", &kVTable, &impl, &error)) {
    std::string message = std::string("cannot export objects: ") + or_empty(error.message);
    dbus_error_free(&error);
    return fail(message);
  }
  impl.exported = true;
  try {
    impl.executor = cdbus::asio::make_executor(impl.bus, impl.io);
    impl.bus->install_executor(impl.executor);
  } catch (const std::exception& e) {
    return fail(std::string("cannot set up the D-Bus executor: ") + e.what());
  }
  impl.thread = std::thread([&impl] {
    try {
      impl.io.run();
    } catch (const std::exception& e) {
      log::critical("D-Bus thread failed, D-Bus is no longer served: ", e.what());
    }
  });
  return {};
}

void BusConnection::stop() {
  Impl& impl = *impl_;
  if (impl.stopped) return;
  impl.stopped = true;
  if (impl.source != 0) g_source_remove(impl.source);
  impl.source = 0;
  if (impl.thread.joinable()) {
    // Queued after every reply and signal already posted.
    boost::asio::post(impl.io, [&impl] { impl.finish_on_bus_thread(); });
    impl.thread.join();
  } else if (impl.bus) {
    impl.finish_on_bus_thread();
  }
  if (!impl.bus) return;
  // The bus thread is gone: this thread is the connection's only user now.
  // Closing removes libdbus's watches while no asio handler can run; the
  // handlers still queued are destroyed, never run, with the io_service.
  impl.bus->install_executor(nullptr);  // the executor and the bus own each other
  dbus_connection_close(impl.raw());
  // Nothing may call into the executor once it is gone.
  dbus_connection_set_wakeup_main_function(impl.raw(), nullptr, nullptr, nullptr);
  dbus_connection_set_watch_functions(impl.raw(), nullptr, nullptr, nullptr, nullptr, nullptr);
  dbus_connection_set_timeout_functions(impl.raw(), nullptr, nullptr, nullptr, nullptr, nullptr);
  impl.executor.reset();
  impl.bus.reset();
}

void BusConnection::reply(std::uint64_t token, std::vector<Value> args) {
  if (token == 0) return;
  Impl* impl = impl_.get();
  boost::asio::post(impl->io,
                    [impl, token, args = std::move(args)] { impl->answer(token, &args, nullptr); });
}

void BusConnection::error(std::uint64_t token, CallError failure) {
  if (token == 0) return;
  Impl* impl = impl_.get();
  boost::asio::post(impl->io, [impl, token, failure = std::move(failure)] {
    impl->answer(token, nullptr, &failure);
  });
}

void BusConnection::signal(std::string path, std::string interface, std::string member,
                           std::vector<Value> args) {
  Impl* impl = impl_.get();
  boost::asio::post(impl->io, [impl, path = std::move(path), interface = std::move(interface),
                               member = std::move(member), args = std::move(args)] {
    try {
      if (!dbus_validate_path(path.c_str(), nullptr)) {
        throw std::runtime_error("invalid object path \"" + path + "\"");
      }
      auto message = cdbus::Message::make_signal(path, interface, member);
      write_args(message, args);
      impl->send(message);
    } catch (const std::exception& e) {
      log::error("D-Bus: signal ", interface, ".", member, " not sent: ", e.what());
    }
  });
}

}  // namespace mandos::server::dbus
