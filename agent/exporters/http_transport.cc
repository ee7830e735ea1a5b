#include "agent/exporters/http_transport.h"

#include <curl/curl.h>  // types and constants only: libcurl is dlopen()ed
#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "agent/log.h"

namespace heapagent {

struct HttpTransport::Api {
  decltype(&curl_global_init) global_init;
  decltype(&curl_easy_init) easy_init;
  decltype(&curl_easy_reset) easy_reset;
  decltype(&curl_easy_setopt) easy_setopt;
  decltype(&curl_easy_perform) easy_perform;
  decltype(&curl_easy_getinfo) easy_getinfo;
  decltype(&curl_easy_cleanup) easy_cleanup;
  decltype(&curl_easy_strerror) easy_strerror;
  decltype(&curl_slist_append) slist_append;
  decltype(&curl_slist_free_all) slist_free_all;
};

namespace {

const HttpTransport::Api* LoadCurlApi();

// Sanitizers cannot follow RTLD_DEEPBIND (ASan refuses it); the unit tests
// that run under them use no TLS, so plain local binding is enough there.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int kOpenFlags = RTLD_NOW | RTLD_LOCAL;
#else
constexpr int kOpenFlags = RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND;
#endif

struct TransferState {
  const std::function<bool()>* should_abort;
  HttpResponse* response;
};

size_t KeepBodyStart(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  const size_t bytes = size * count;
  constexpr size_t kKept = 512;
  if (response->body.size() < kKept) response->body.append(data, std::min(bytes, kKept - response->body.size()));
  return bytes;
}

size_t ReadHeader(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  const size_t bytes = size * count;
  const std::string_view line(data, bytes);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size() && strncasecmp(line.data(), kName.data(), kName.size()) == 0) {
    response->retry_after_seconds = ParseRetryAfter(line.substr(kName.size()), static_cast<int64_t>(time(nullptr)));
  }
  return bytes;
}

int CheckAbort(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* state = static_cast<TransferState*>(user);
  return (*state->should_abort)() ? 1 : 0;  // non-zero aborts the transfer
}

}  // namespace

namespace {
const HttpTransport::Api* LoadCurlApi() {
  static const HttpTransport::Api* const api = []() -> const HttpTransport::Api* {
    void* library = dlopen("libcurl.so.4", kOpenFlags);
    if (library == nullptr) return nullptr;
    static HttpTransport::Api loaded;
    bool complete = true;
    const auto bind = [&](auto& function, const char* name) {
      function = reinterpret_cast<std::remove_reference_t<decltype(function)>>(dlsym(library, name));
      complete = complete && function != nullptr;
    };
    bind(loaded.global_init, "curl_global_init");
    bind(loaded.easy_init, "curl_easy_init");
    bind(loaded.easy_reset, "curl_easy_reset");
    bind(loaded.easy_setopt, "curl_easy_setopt");
    bind(loaded.easy_perform, "curl_easy_perform");
    bind(loaded.easy_getinfo, "curl_easy_getinfo");
    bind(loaded.easy_cleanup, "curl_easy_cleanup");
    bind(loaded.easy_strerror, "curl_easy_strerror");
    bind(loaded.slist_append, "curl_slist_append");
    bind(loaded.slist_free_all, "curl_slist_free_all");
    if (!complete || loaded.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return nullptr;
    return &loaded;
  }();
  return api;
}
}  // namespace

std::unique_ptr<HttpTransport> HttpTransport::Create(std::string user_agent) {
  const Api* api = LoadCurlApi();
  if (api == nullptr) {
    Log(LogLevel::kWarn, "libcurl.so.4 not found or unusable (install Debian's libcurl4); uploads are off");
    return nullptr;
  }
  CURL* handle = api->easy_init();
  if (handle == nullptr) {
    Log(LogLevel::kWarn, "libcurl could not create a handle; uploads are off");
    return nullptr;
  }
  return std::unique_ptr<HttpTransport>(new HttpTransport(api, handle, std::move(user_agent)));
}

HttpTransport::~HttpTransport() { api_->easy_cleanup(static_cast<CURL*>(handle_)); }

HttpResponse HttpTransport::Post(const HttpRequest& request, const HttpTimeouts& timeouts,
                                 const std::function<bool()>& should_abort) {
  HttpResponse response;
  CURL* curl = static_cast<CURL*>(handle_);
  api_->easy_reset(curl);  // options only: the connection cache survives
  curl_slist* headers = nullptr;
  for (const std::string& header : request.headers) headers = api_->slist_append(headers, header.c_str());
  headers = api_->slist_append(headers, "Expect:");  // no 100-continue round trip
  char error[CURL_ERROR_SIZE] = {};
  TransferState state{&should_abort, &response};

  const auto set = [&](CURLoption option, auto value) { api_->easy_setopt(curl, option, value); };
  set(CURLOPT_URL, request.url.c_str());
  if (!request.unix_socket_path.empty()) set(CURLOPT_UNIX_SOCKET_PATH, request.unix_socket_path.c_str());
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_PROXY, "");  // ignore http_proxy & co
  set(CURLOPT_POST, 1L);
  set(CURLOPT_POSTFIELDS, request.body.data());
  set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  set(CURLOPT_HTTPHEADER, headers);
  set(CURLOPT_USERAGENT, user_agent_.c_str());
  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::max<int64_t>(1, timeouts.connect.count())));
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<int64_t>(1, timeouts.total.count())));
  set(CURLOPT_NOPROGRESS, 0L);
  set(CURLOPT_XFERINFOFUNCTION, &CheckAbort);
  set(CURLOPT_XFERINFODATA, static_cast<void*>(&state));
  set(CURLOPT_WRITEFUNCTION, &KeepBodyStart);
  set(CURLOPT_WRITEDATA, static_cast<void*>(&response));
  set(CURLOPT_HEADERFUNCTION, &ReadHeader);
  set(CURLOPT_HEADERDATA, static_cast<void*>(&response));
  set(CURLOPT_ERRORBUFFER, error);
  if (!request.basic_auth_user.empty()) {
    set(CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    set(CURLOPT_USERNAME, request.basic_auth_user.c_str());
    set(CURLOPT_PASSWORD, request.basic_auth_password.c_str());
  }

  const CURLcode result = api_->easy_perform(curl);
  if (result == CURLE_OK) {
    long status = 0;
    api_->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    response.status = status;
  } else {
    response.status = 0;
    response.error = error[0] != '\0' ? error : api_->easy_strerror(result);
  }
  api_->slist_free_all(headers);
  // The request's strings must not stay referenced by the handle.
  api_->easy_reset(curl);
  return response;
}

}  // namespace heapagent
