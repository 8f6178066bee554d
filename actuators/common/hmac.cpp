#include "actuators/common/hmac.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <openssl/sha.h>

#include <climits>

namespace opspilot::actuators {

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  // The one-shot HMAC() is not deprecated in OpenSSL 3 (only the HMAC_CTX functions are).
  // Some 3.0.x releases refuse a null key pointer even with length 0, so an empty key is passed
  // as a pointer to a real (unused) byte.
  static const unsigned char kNoKey = 0;
  if (key.size() > static_cast<std::size_t>(INT_MAX)) return {};
  const void* key_ptr = key.empty() ? static_cast<const void*>(&kNoKey) : key.data();
  static const unsigned char kNoData = 0;
  const auto* data = message.empty() ? &kNoData : reinterpret_cast<const unsigned char*>(message.data());

  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()), data, message.size(), md, &md_len) ==
      nullptr)
    return {};

  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(static_cast<std::size_t>(md_len) * 2, '0');
  for (unsigned int i = 0; i < md_len; ++i) {
    out[2 * i] = kHex[md[i] >> 4];
    out[2 * i + 1] = kHex[md[i] & 0x0f];
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hmac_sha256_raw(std::string_view key, std::string_view message) {
  // Same null-pointer care as hmac_sha256_hex: empty key or message still passes a real address.
  static const unsigned char kNoKey = 0;
  static const unsigned char kNoData = 0;
  if (key.size() > static_cast<std::size_t>(INT_MAX)) return {};
  const void* key_ptr = key.empty() ? static_cast<const void*>(&kNoKey) : key.data();
  const auto* data = message.empty() ? &kNoData : reinterpret_cast<const unsigned char*>(message.data());
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()), data, message.size(), md, &md_len) ==
      nullptr)
    return {};
  return std::string(reinterpret_cast<const char*>(md), md_len);
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  static const unsigned char kNoData = 0;
  const void* ptr = data.empty() ? static_cast<const void*>(&kNoData) : data.data();
  if (EVP_Digest(ptr, data.size(), md, &md_len, EVP_sha256(), nullptr) != 1) return {};
  return to_hex(std::string_view(reinterpret_cast<const char*>(md), md_len));
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kHex[b >> 4];
    out[2 * i + 1] = kHex[b & 0x0f];
  }
  return out;
}

}  // namespace opspilot::actuators
