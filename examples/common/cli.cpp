#include "examples/common/cli.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <boost/asio/ip/address.hpp>

namespace opspilot::examples {

std::string parse_options(int argc, char** argv, const std::vector<std::string>& known,
                          std::map<std::string, std::string>& out, bool* help) {
  *help = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      *help = true;
      return {};
    }
    if (arg.rfind("--", 0) != 0) return "unexpected argument '" + arg + "'";
    std::string value;
    const auto eq = arg.find('=');
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    if (std::find(known.begin(), known.end(), arg) == known.end()) return "unknown option '" + arg + "'";
    if (eq == std::string::npos) {  // --flag value
      if (i + 1 >= argc) return "option " + arg + " needs a value";
      value = argv[++i];
    }
    out[arg] = value;
  }
  return {};
}

bool parse_listen(const std::string& text, std::string* host, unsigned short* port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  std::string h = text.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  const std::string p = text.substr(colon + 1);
  char* end = nullptr;
  const long n = std::strtol(p.c_str(), &end, 10);
  if (h.empty() || p.empty() || *end != '\0' || n < 0 || n > 65535) return false;
  *host = h;
  *port = static_cast<unsigned short>(n);
  return true;
}

std::string listen_on(boost::asio::ip::tcp::acceptor& acceptor, const std::string& host, unsigned short port) {
  namespace asio = boost::asio;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return "listen address '" + host + "' is not an IP address: " + ec.message();
  const asio::ip::tcp::endpoint endpoint(address, port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return "cannot listen on " + show_address(host, port) + ": " + ec.message();
  return {};
}

unsigned short bound_port(const boost::asio::ip::tcp::acceptor& acceptor) {
  boost::system::error_code ec;
  const auto ep = acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

std::string show_address(const std::string& host, unsigned short port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool write_file_atomically(const std::string& path, const std::string& content, std::string* error) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc | std::ios::binary);
    out << content;
    if (!out) {
      *error = "cannot write '" + tmp + "'";
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) *error = "cannot rename '" + tmp + "' to '" + path + "': " + ec.message();
  return !ec;
}

}  // namespace opspilot::examples
