#include "common/ipc.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace mandos::server::ipc {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

const std::string kKeyId(64, 'A');
const std::string kOtherKeyId =
    "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";

// Raw frame building, independent of the encoder under test.
std::string u32(uint32_t value) {
  std::string out;
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(value >> (8 * i)));
  return out;
}
std::string u64(uint64_t value) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(value >> (8 * i)));
  return out;
}
std::string str(const std::string& text) { return u32(static_cast<uint32_t>(text.size())) + text; }
std::string frame(uint32_t type, const std::string& payload) {
  return u32(type) + u32(static_cast<uint32_t>(payload.size())) + payload;
}
std::string request_payload(uint64_t id, const std::string& key_id, const std::string& peer) {
  return u64(id) + str(key_id) + str(peer);
}

template <class Decoder>
auto decode_one(const std::string& bytes) {
  Decoder decoder;
  decoder.feed(bytes.data(), bytes.size());
  return decoder.next();
}

// The error text of decoding `bytes` from the worker (empty if no error).
std::string worker_error(const std::string& bytes) {
  auto result = decode_one<WorkerMessageDecoder>(bytes);
  return result ? std::string() : result.error().message;
}
std::string main_error(const std::string& bytes) {
  auto result = decode_one<MainMessageDecoder>(bytes);
  return result ? std::string() : result.error().message;
}

WorkerMessage round_trip(const WorkerMessage& message) {
  SecretBytes bytes = encode(message);
  WorkerMessageDecoder decoder;
  decoder.feed(bytes.data(), bytes.size());
  auto decoded = decoder.next();
  EXPECT_TRUE(decoded) << decoded.error().message;
  EXPECT_TRUE(decoded->has_value());
  return std::move(**decoded);
}

MainMessage round_trip(const MainMessage& message) {
  SecretBytes bytes = encode(message);
  MainMessageDecoder decoder;
  decoder.feed(bytes.data(), bytes.size());
  auto decoded = decoder.next();
  EXPECT_TRUE(decoded) << decoded.error().message;
  EXPECT_TRUE(decoded->has_value());
  return std::move(**decoded);
}

// ---------------------------------------------------------------------------
// Round trips and layout

TEST(IpcCodec, HelloIsEncodedAsLittleEndianTypeLengthAndVersion) {
  SecretBytes bytes = encode(WorkerMessage(Hello{}));
  EXPECT_EQ(std::string(bytes.view()), frame(1, u32(kProtocolVersion)));
  EXPECT_EQ(std::string(bytes.view()), std::string("\1\0\0\0\4\0\0\0\1\0\0\0", 12));
}

TEST(IpcCodec, SecretRequestRoundTripsWithKeyIdAndPeerAddress) {
  auto message = round_trip(WorkerMessage(SecretRequest{42, kOtherKeyId, "fe80::1%eth0"}));
  const auto& request = std::get<SecretRequest>(message);
  EXPECT_EQ(request.connection, 42u);
  EXPECT_EQ(request.key_id, kOtherKeyId);
  EXPECT_EQ(request.peer_address, "fe80::1%eth0");
}

TEST(IpcCodec, SecretRequestLayoutIsIdThenTwoLengthPrefixedStrings) {
  SecretBytes bytes = encode(WorkerMessage(SecretRequest{7, kKeyId, "::1"}));
  EXPECT_EQ(std::string(bytes.view()), frame(2, request_payload(7, kKeyId, "::1")));
}

TEST(IpcCodec, ConnectionEndedRoundTripsEveryOutcome) {
  for (Outcome outcome : {Outcome::Delivered, Outcome::PeerGone, Outcome::Failed}) {
    auto message = round_trip(WorkerMessage(ConnectionEnded{~uint64_t{0}, outcome}));
    const auto& ended = std::get<ConnectionEnded>(message);
    EXPECT_EQ(ended.connection, ~uint64_t{0});
    EXPECT_EQ(ended.outcome, outcome);
  }
}

TEST(IpcCodec, SecretGrantRoundTripsBinarySecretWithNulBytes) {
  SecretBytes secret(std::string_view("\0pass\0word\xff\n", 12));
  auto message = round_trip(MainMessage(SecretGrant{3, secret}));
  const auto& grant = std::get<SecretGrant>(message);
  EXPECT_EQ(grant.connection, 3u);
  EXPECT_EQ(grant.secret, secret);
  EXPECT_EQ(grant.secret.size(), 12u);
}

TEST(IpcCodec, EmptySecretGrantRoundTrips) {
  auto message = round_trip(MainMessage(SecretGrant{3, SecretBytes()}));
  EXPECT_TRUE(std::get<SecretGrant>(message).secret.empty());
}

TEST(IpcCodec, SecretOfTheMaximumSizeRoundTrips) {
  SecretBytes secret(std::string(kMaxSecretSize, 'x'));
  auto message = round_trip(MainMessage(SecretGrant{9, secret}));
  EXPECT_EQ(std::get<SecretGrant>(message).secret.size(), kMaxSecretSize);
}

TEST(IpcCodec, SecretRefusalRoundTripsEveryReason) {
  for (Refusal reason :
       {Refusal::NotFound, Refusal::Disabled, Refusal::Denied, Refusal::ApprovalTimedOut}) {
    auto message = round_trip(MainMessage(SecretRefusal{5, reason}));
    EXPECT_EQ(std::get<SecretRefusal>(message).reason, reason);
  }
}

TEST(IpcCodec, PeerAddressOfExactlyTheLimitIsAccepted) {
  std::string peer(kMaxPeerAddress, 'a');
  auto message = round_trip(WorkerMessage(SecretRequest{1, kKeyId, peer}));
  EXPECT_EQ(std::get<SecretRequest>(message).peer_address, peer);
}

// ---------------------------------------------------------------------------
// Streaming

TEST(IpcDecoder, TruncatedHeaderWaitsForMoreBytes) {
  std::string bytes = frame(1, u32(1));
  WorkerMessageDecoder decoder;
  decoder.feed(bytes.data(), 7);
  auto first = decoder.next();
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->has_value());
  decoder.feed(bytes.data() + 7, bytes.size() - 7);
  auto second = decoder.next();
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->has_value());
}

TEST(IpcDecoder, TruncatedPayloadWaitsForMoreBytes) {
  std::string bytes = frame(5, u64(1) + u32(2));
  MainMessageDecoder decoder;
  decoder.feed(bytes.data(), bytes.size() - 1);
  auto first = decoder.next();
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->has_value());
}

TEST(IpcDecoder, ByteByByteFeedingYieldsEachMessageAtItsLastByte) {
  std::string bytes = std::string(encode(WorkerMessage(Hello{})).view()) +
                      std::string(encode(WorkerMessage(SecretRequest{1, kKeyId, "::1"})).view()) +
                      std::string(encode(WorkerMessage(ConnectionEnded{1, Outcome::Delivered})).view());
  WorkerMessageDecoder decoder;
  std::vector<size_t> completed_at;
  for (size_t i = 0; i < bytes.size(); ++i) {
    decoder.feed(&bytes[i], 1);
    auto message = decoder.next();
    ASSERT_TRUE(message) << message.error().message;
    if (message->has_value()) completed_at.push_back(i + 1);
  }
  std::vector<size_t> expected{12, 12 + 8 + 8 + 4 + 64 + 4 + 3, 12 + 91 + 20};
  EXPECT_EQ(completed_at, expected);
}

TEST(IpcDecoder, SeveralFramesInOneFeedComeOutInOrder) {
  std::string bytes = frame(5, u64(1) + u32(1)) + frame(4, u64(2) + str("s")) +
                      frame(5, u64(3) + u32(3));
  MainMessageDecoder decoder;
  decoder.feed(bytes.data(), bytes.size());
  std::vector<uint64_t> ids;
  for (;;) {
    auto message = decoder.next();
    ASSERT_TRUE(message);
    if (!message->has_value()) break;
    ids.push_back(std::visit([](const auto& m) { return m.connection; }, **message));
  }
  EXPECT_EQ(ids, (std::vector<uint64_t>{1, 2, 3}));
}

TEST(IpcDecoder, StreamStaysDeadAfterAnError) {
  std::string bad = frame(99, "");
  std::string good = frame(1, u32(1));
  WorkerMessageDecoder decoder;
  decoder.feed(bad.data(), bad.size());
  EXPECT_FALSE(decoder.next());
  decoder.feed(good.data(), good.size());
  auto again = decoder.next();
  ASSERT_FALSE(again);
  EXPECT_THAT(again.error().message, HasSubstr("already failed"));
}

// ---------------------------------------------------------------------------
// Malformed frames

TEST(IpcDecoder, OversizedFrameLengthIsRejectedFromTheHeaderAlone) {
  std::string header = u32(4) + u32(static_cast<uint32_t>(kMaxFrameSize + 1));
  EXPECT_THAT(main_error(header), AllOf(HasSubstr("frame of " + std::to_string(kMaxFrameSize + 1)),
                                        HasSubstr("exceeds the limit")));
}

TEST(IpcDecoder, UnknownTypeIsRejectedNamingTheNumber) {
  EXPECT_THAT(worker_error(frame(99, "")), HasSubstr("unknown message type 99"));
  EXPECT_THAT(main_error(frame(0, "")), HasSubstr("unknown message type 0"));
}

TEST(IpcDecoder, MainProcessMessageTypeFromTheWorkerIsRejected) {
  EXPECT_THAT(worker_error(frame(4, u64(1) + str("x"))),
              AllOf(HasSubstr("SecretGrant"), HasSubstr("not valid from the worker")));
}

TEST(IpcDecoder, WorkerMessageTypeFromTheMainProcessIsRejected) {
  EXPECT_THAT(main_error(frame(1, u32(1))),
              AllOf(HasSubstr("Hello"), HasSubstr("not valid from the main process")));
  EXPECT_THAT(main_error(frame(2, request_payload(1, kKeyId, "::1"))),
              HasSubstr("SecretRequest"));
}

TEST(IpcDecoder, FixedSizePayloadOfAnotherLengthIsRejected) {
  EXPECT_THAT(worker_error(frame(1, u32(1) + "x")),
              AllOf(HasSubstr("Hello"), HasSubstr("payload of 5 bytes, expected exactly 4")));
  EXPECT_THAT(main_error(frame(5, u64(1))), HasSubstr("expected exactly 12"));
}

TEST(IpcDecoder, TrailingBytesInAPayloadAreRejected) {
  EXPECT_THAT(worker_error(frame(2, request_payload(1, kKeyId, "::1") + "z")),
              AllOf(HasSubstr("SecretRequest"), HasSubstr("1 trailing bytes")));
  EXPECT_THAT(main_error(frame(4, u64(1) + str("secret") + "zz")),
              AllOf(HasSubstr("SecretGrant"), HasSubstr("2 trailing bytes")));
}

TEST(IpcDecoder, StringLongerThanTheRestOfThePayloadIsRejected) {
  std::string payload = u64(1) + u32(64) + std::string(10, 'A');
  EXPECT_THAT(worker_error(frame(2, payload)),
              AllOf(HasSubstr("SecretRequest"), HasSubstr("truncated in key id")));
  EXPECT_THAT(main_error(frame(4, u64(1) + u32(100) + "short")),
              HasSubstr("truncated in secret"));
}

TEST(IpcDecoder, PayloadTooShortForItsFieldsIsRejected) {
  EXPECT_THAT(worker_error(frame(2, u64(1) + u32(0))), HasSubstr("truncated in peer address"));
}

TEST(IpcDecoder, SecretLargerThanTheLimitIsRejected) {
  std::string payload = u64(1) + u32(static_cast<uint32_t>(kMaxSecretSize + 1));
  // Rejected from the header: the frame cannot hold a legal grant.
  std::string header = u32(4) + u32(static_cast<uint32_t>(payload.size() + kMaxSecretSize + 1));
  EXPECT_THAT(main_error(header), HasSubstr("SecretGrant: payload of"));
  // A length field beyond the limit inside a legal frame.
  EXPECT_THAT(main_error(frame(4, payload + "abc")),
              AllOf(HasSubstr("secret of " + std::to_string(kMaxSecretSize + 1) + " bytes"),
                    HasSubstr("exceeds the limit")));
}

TEST(IpcDecoder, KeyIdThatIsNotSixtyFourUpperCaseHexDigitsIsRejected) {
  std::string lower(64, 'a');
  std::string short_id(63, 'A');
  std::string not_hex = std::string(63, 'A') + "G";
  for (const std::string& key_id : {lower, short_id, not_hex, std::string()}) {
    EXPECT_THAT(worker_error(frame(2, request_payload(1, key_id, "::1"))),
                HasSubstr("key id is not 64 upper-case hex digits"))
        << key_id;
  }
  EXPECT_THAT(worker_error(frame(2, request_payload(1, std::string(65, 'A'), "::1"))),
              HasSubstr("key id of 65 bytes exceeds the limit of 64"));
}

TEST(IpcDecoder, PeerAddressOverTheLimitIsRejected) {
  // The whole frame is then too long for a request: rejected from the header.
  std::string peer(kMaxPeerAddress + 1, 'a');
  EXPECT_THAT(worker_error(frame(2, request_payload(1, kKeyId, peer))),
              HasSubstr("SecretRequest: payload of 209 bytes, expected at most 208"));
  // A length field over the limit inside a frame of legal size.
  std::string payload = u64(1) + str(kKeyId) + u32(kMaxPeerAddress + 1) + "::1";
  EXPECT_THAT(worker_error(frame(2, payload)),
              HasSubstr("peer address of 129 bytes exceeds the limit of 128"));
}

TEST(IpcDecoder, EmptyOrUnprintablePeerAddressIsRejected) {
  for (const std::string& peer : {std::string(), std::string("::1 x"), std::string("::1\n"),
                                  std::string("\0", 1), std::string("caf\xc3\xa9")}) {
    EXPECT_THAT(worker_error(frame(2, request_payload(1, kKeyId, peer))),
                HasSubstr("peer address is empty or not printable ASCII"));
  }
}

TEST(IpcDecoder, ConnectionIdZeroIsRejectedInEveryMessage) {
  EXPECT_THAT(worker_error(frame(2, request_payload(0, kKeyId, "::1"))),
              HasSubstr("SecretRequest: connection id 0"));
  EXPECT_THAT(worker_error(frame(3, u64(0) + u32(1))), HasSubstr("ConnectionEnded: connection id 0"));
  EXPECT_THAT(main_error(frame(4, u64(0) + str("s"))), HasSubstr("SecretGrant: connection id 0"));
  EXPECT_THAT(main_error(frame(5, u64(0) + u32(1))), HasSubstr("SecretRefusal: connection id 0"));
}

TEST(IpcDecoder, UnknownOutcomeIsRejected) {
  EXPECT_THAT(worker_error(frame(3, u64(1) + u32(0))), HasSubstr("unknown outcome 0"));
  EXPECT_THAT(worker_error(frame(3, u64(1) + u32(4))), HasSubstr("unknown outcome 4"));
}

TEST(IpcDecoder, UnknownRefusalReasonIsRejected) {
  EXPECT_THAT(main_error(frame(5, u64(1) + u32(5))), HasSubstr("unknown reason 5"));
}

TEST(IpcDecoder, HelloWithAnotherProtocolVersionIsRejected) {
  EXPECT_THAT(worker_error(frame(1, u32(2))),
              AllOf(HasSubstr("unsupported protocol version 2"), HasSubstr("expected 1")));
}

// ---------------------------------------------------------------------------
// Shared validation

TEST(IpcValidation, KeyIdMustBeSixtyFourUpperCaseHexDigits) {
  EXPECT_TRUE(is_valid_key_id(kOtherKeyId));
  EXPECT_TRUE(is_valid_key_id(std::string(64, '0')));
  EXPECT_FALSE(is_valid_key_id(std::string(64, 'f')));
  EXPECT_FALSE(is_valid_key_id(std::string(65, 'F')));
  EXPECT_FALSE(is_valid_key_id(""));
}

TEST(IpcValidation, PeerAddressMustBeShortVisibleAscii) {
  EXPECT_TRUE(is_valid_peer_address("::ffff:127.0.0.1"));
  EXPECT_TRUE(is_valid_peer_address("fe80::1%eth0"));
  EXPECT_FALSE(is_valid_peer_address(""));
  EXPECT_FALSE(is_valid_peer_address("a b"));
  EXPECT_FALSE(is_valid_peer_address(std::string(kMaxPeerAddress + 1, 'a')));
}

}  // namespace
}  // namespace mandos::server::ipc
