#include "agent/exporters/backend_sinks.h"

#include <unistd.h>

#include <chrono>

#include "agent/exporters/datadog_exporter.h"
#include "agent/exporters/pyroscope_exporter.h"
#include "agent/log.h"

#ifndef HEAPAGENT_VERSION_STRING
#define HEAPAGENT_VERSION_STRING "unknown"
#endif

namespace heapagent {

const char* AgentVersion() { return HEAPAGENT_VERSION_STRING; }

bool AddBackendSinks(const Config& config, const std::string& service, ProfileSinks& sinks,
                     UploadingSink::FileFallback file_fallback) {
  if (!config.any_backend()) return false;
  std::vector<std::unique_ptr<UploadBackend>> backends;
  if (!config.pyroscope_url.empty()) {
    PyroscopeSettings settings;
    settings.url = config.pyroscope_url;
    settings.basic_auth_user = config.pyroscope_user;
    settings.basic_auth_password = config.pyroscope_password;
    settings.bearer_token = config.pyroscope_token;
    settings.tenant = config.pyroscope_tenant;
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) != nullptr) settings.working_directory = cwd;
    backends.push_back(std::make_unique<PyroscopeExporter>(std::move(settings)));
    Log(LogLevel::kInfo, "uploading to Pyroscope at %s", config.pyroscope_url.c_str());
  }
  if (config.datadog_enabled) {
    backends.push_back(std::make_unique<DatadogExporter>(DatadogSettings{config.datadog_agent_url}));
    Log(LogLevel::kInfo, "uploading to the Datadog agent at %s", config.datadog_agent_url.c_str());
  }
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  UploadIdentity identity = ReadUploadIdentity(service, config.env, config.version, config.tags, now);
  identity.agent_version = AgentVersion();

  UploaderOptions options;
  options.queue_bytes = config.upload_queue_bytes;
  options.timeouts.total = std::chrono::milliseconds(static_cast<int64_t>(config.upload_timeout_seconds * 1000));
  options.timeouts.connect = std::min(options.timeouts.total, std::chrono::milliseconds(2000));
  options.log_interval = std::chrono::milliseconds(static_cast<int64_t>(config.period_seconds * 1000));
  options.user_agent = std::string("heapagent/") + AgentVersion();
  auto sink = std::make_unique<UploadingSink>(std::move(backends), std::move(identity), options,
                                              std::move(file_fallback));
  if (!sink->Start()) {
    Log(LogLevel::kError, "could not start the upload thread; uploads are off");
    return false;
  }
  sinks.Add(std::move(sink));
  return true;
}

}  // namespace heapagent
