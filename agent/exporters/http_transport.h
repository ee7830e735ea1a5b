// HTTP POSTs through Debian's libcurl, loaded with dlopen("libcurl.so.4") on
// first use rather than linked: libheapagent.so is preloaded into every
// process a node app spawns, and must not drag libcurl and its TLS stack into
// all of them (the same reasoning as sampling/libdw_api.h).
//
// The library is opened RTLD_LOCAL | RTLD_DEEPBIND: node's binary exports
// its own OpenSSL, and without DEEPBIND libcurl's libssl would bind to it.
// Proxy variables (http_proxy...) are ignored, as node's http and fetch do.
//
// Every transfer has a connect timeout and a total timeout, uses no signals
// (CURLOPT_NOSIGNAL), and polls `should_abort` (from curl's progress
// callback, at least about once a second) so an exit deadline can cut it.
//
// Thread-safety: one HttpTransport per thread (it reuses one curl handle and
// its connections). LoadCurl is safe to call from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/exporters/retry_policy.h"

namespace heapagent {

struct HttpRequest {
  std::string url;               // http(s)://host[:port]/path?query
  std::string unix_socket_path;  // when set, the connection goes there (url's host is then only the Host header)
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  std::string basic_auth_user;   // when set, HTTP Basic with basic_auth_password
  std::string basic_auth_password;
};

struct HttpTimeouts {
  std::chrono::milliseconds connect{2000};
  std::chrono::milliseconds total{10000};
};

class HttpTransport {
 public:
  // nullptr (and one "heapagent:" line) when libcurl.so.4 is missing.
  static std::unique_ptr<HttpTransport> Create(std::string user_agent);
  struct Api;  // the libcurl entry points used, bound by dlsym
  ~HttpTransport();

  HttpResponse Post(const HttpRequest& request, const HttpTimeouts& timeouts,
                    const std::function<bool()>& should_abort);

 private:
  HttpTransport(const Api* api, void* handle, std::string user_agent)
      : api_(api), handle_(handle), user_agent_(std::move(user_agent)) {}
  const Api* api_;
  void* handle_;  // CURL*
  std::string user_agent_;
};

}  // namespace heapagent
