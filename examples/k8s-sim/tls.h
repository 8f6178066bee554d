#pragma once
// TLS material for the simulator. kubectl (client-go) only sends bearer tokens over https —
// it drops user credentials for a plain-http server — so authentication can only be tested
// against kubectl over TLS. The simulator makes its own self-signed certificate for 127.0.0.1,
// ::1 and localhost, and writes it where the kubeconfig's certificate-authority can point.
// Thread-safety: pure functions.
#include <string>

namespace opspilot::k8s_sim {

struct TlsMaterial {
  std::string cert_pem;
  std::string key_pem;
};

/// A fresh P-256 key and a self-signed certificate (CA:TRUE, serverAuth, SANs 127.0.0.1, ::1,
/// localhost) valid for a year. Empty string on success, else what OpenSSL refused.
std::string make_self_signed(TlsMaterial* out);
/// Reads PEM files. Empty string on success, else which file could not be read.
std::string read_tls_files(const std::string& cert_file, const std::string& key_file, TlsMaterial* out);

}  // namespace opspilot::k8s_sim
