#pragma once
// What the example programs (opspilot-sandbox, opspilot-k8s-sim) share around their servers: the
// `--name value` / `--name=value` command line, `HOST:PORT` listen addresses, binding an
// acceptor, and files written atomically (port files, certificates) so a reader polling for them
// never sees half a file.
// Thread-safety: pure functions, or functions on the caller's own objects.
#include <map>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

namespace opspilot::examples {

/// Parses `--name value` and `--name=value` options, each named in `known`. "" on success, else
/// the usage error in words; `*help` is set (and parsing stops) on --help or -h.
std::string parse_options(int argc, char** argv, const std::vector<std::string>& known,
                          std::map<std::string, std::string>& out, bool* help);

/// Splits "HOST:PORT" ("[::1]:0" for IPv6; port 0 = any free port). false when malformed.
bool parse_listen(const std::string& text, std::string* host, unsigned short* port);

/// Opens, binds and listens `acceptor` on host:port. "" on success, else the error in words.
std::string listen_on(boost::asio::ip::tcp::acceptor& acceptor, const std::string& host, unsigned short port);

/// The port `acceptor` is bound to, 0 when it is not.
unsigned short bound_port(const boost::asio::ip::tcp::acceptor& acceptor);

/// "127.0.0.1:PORT", with IPv6 hosts in brackets.
std::string show_address(const std::string& host, unsigned short port);

/// Writes `content` to `path + ".tmp"` then renames it over `path`. false and `error` set on failure.
bool write_file_atomically(const std::string& path, const std::string& content, std::string* error);

}  // namespace opspilot::examples
