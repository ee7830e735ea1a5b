#include "cdp/cdp_message.h"

#include <simdjson.h>

#include <utility>

#include "cdp/json_string.h"

namespace heapagent::cdp {
namespace {

namespace ondemand = simdjson::ondemand;

// simdjson reads up to SIMDJSON_PADDING bytes past the end of its input.
simdjson::padded_string_view PadInPlace(std::string& text) {
  text.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  return simdjson::padded_string_view(text.data(), text.size(), text.capacity());
}

IncomingMessage Malformed(std::string reason, const IncomingMessage& partial = {}) {
  IncomingMessage message;
  message.kind = MessageKind::kMalformed;
  message.has_id = partial.has_id;
  message.id = partial.id;
  message.malformed_reason = std::move(reason);
  return message;
}

// Raw text of an object-valued field, as a view into the input (simdjson's
// view runs on to the next token: trailing whitespace is trimmed).
simdjson::error_code RawObject(ondemand::value value, std::string_view& raw) {
  ondemand::object object;
  if (auto error = value.get_object().get(object)) return error;
  if (auto error = object.raw_json().get(raw)) return error;
  while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t')) {
    raw.remove_suffix(1);
  }
  if (raw.size() < 2 || raw.front() != '{' || raw.back() != '}') return simdjson::TAPE_ERROR;
  return simdjson::SUCCESS;
}

// Parses everything but copies no payload: `payload` is set to a view into
// the input's buffer (empty if the message has none).
IncomingMessage ParsePadded(simdjson::padded_string_view input, std::string_view& payload) {
  payload = {};
  ondemand::parser parser;  // sized for this message, freed on return
  ondemand::document document;
  if (parser.iterate(input).get(document)) return Malformed("not JSON");
  ondemand::object object;
  if (document.get_object().get(object)) return Malformed("not a JSON object");

  IncomingMessage message;
  bool has_method = false, has_result = false, has_params = false, has_error = false;
  std::string_view result_raw, params_raw;
  for (auto field_or_error : object) {
    ondemand::field field;
    if (std::move(field_or_error).get(field)) return Malformed("invalid JSON", message);
    std::string_view key;
    if (field.unescaped_key().get(key)) return Malformed("invalid key", message);
    ondemand::value value = field.value();
    if (key == "id") {
      int64_t id = 0;
      if (value.get_int64().get(id)) return Malformed("id is not an integer", message);
      message.has_id = true;
      message.id = id;
    } else if (key == "method") {
      std::string_view method;
      if (value.get_string().get(method)) return Malformed("method is not a string", message);
      message.method.assign(method);
      has_method = true;
    } else if (key == "result") {
      if (RawObject(value, result_raw)) return Malformed("result is not an object", message);
      has_result = true;
    } else if (key == "params") {
      if (RawObject(value, params_raw)) return Malformed("params is not an object", message);
      has_params = true;
    } else if (key == "error") {
      ondemand::object error;
      if (value.get_object().get(error)) return Malformed("error is not an object", message);
      for (auto error_field_or_error : error) {
        ondemand::field error_field;
        if (std::move(error_field_or_error).get(error_field)) return Malformed("invalid JSON", message);
        std::string_view error_key;
        if (error_field.unescaped_key().get(error_key)) return Malformed("invalid key", message);
        if (error_key == "code") {
          if (error_field.value().get_int64().get(message.error_code)) {
            return Malformed("error code is not an integer", message);
          }
        } else if (error_key == "message") {
          std::string_view text;
          if (error_field.value().get_string().get(text)) {
            return Malformed("error message is not a string", message);
          }
          message.error_message.assign(text);
        }
      }
      has_error = true;
    }
    // Other fields (e.g. "sessionId" from flattened targets) are skipped.
  }

  if (message.has_id) {
    if (has_error) {
      message.kind = MessageKind::kErrorReply;
      message.method.clear();
      return message;
    }
    if (has_result) {
      message.kind = MessageKind::kReply;
      message.method.clear();
      payload = result_raw;
      return message;
    }
    return Malformed("reply without result or error", message);
  }
  if (has_method) {
    message.kind = MessageKind::kEvent;
    payload = has_params ? params_raw : std::string_view{};
    return message;
  }
  return Malformed("neither a reply nor an event", message);
}

constexpr std::string_view kEmptyObject = "{}";

}  // namespace

IncomingMessage ParseIncomingMessage(std::string_view json) {
  std::string copy;
  copy.reserve(json.size() + simdjson::SIMDJSON_PADDING);
  copy.assign(json);
  return ParseIncomingMessage(std::move(copy));
}

IncomingMessage ParseIncomingMessage(std::string&& json) {
  std::string text = std::move(json);  // ours from here on, freed or reused below
  std::string_view payload;
  IncomingMessage message = ParsePadded(PadInPlace(text), payload);
  if (message.kind == MessageKind::kReply || message.kind == MessageKind::kEvent) {
    if (payload.empty()) {
      message.payload_json.assign(kEmptyObject);
    } else {
      // Cut the payload out of the message's own buffer (a memmove, no
      // second allocation). The view points into `text` by construction.
      const std::size_t begin = static_cast<std::size_t>(payload.data() - text.data());
      const std::size_t length = payload.size();
      if (begin > text.size() || length > text.size() - begin) {
        return Malformed("internal: payload outside the message", message);
      }
      text.resize(begin + length);
      text.erase(0, begin);
      message.payload_json = std::move(text);
    }
  }
  return message;
}

std::optional<WorkerEnvelope> ParseWorkerEnvelope(std::string_view params_json) {
  std::string copy;
  copy.reserve(params_json.size() + simdjson::SIMDJSON_PADDING);
  copy.assign(params_json);
  return ParseWorkerEnvelope(std::move(copy));
}

std::optional<WorkerEnvelope> ParseWorkerEnvelope(std::string&& params_json) {
  std::string padded = std::move(params_json);  // freed on return
  ondemand::parser parser;
  ondemand::document document;
  if (parser.iterate(PadInPlace(padded)).get(document)) return std::nullopt;
  ondemand::object object;
  if (document.get_object().get(object)) return std::nullopt;
  WorkerEnvelope envelope;
  bool has_session_id = false, has_message = false;
  for (auto field_or_error : object) {
    ondemand::field field;
    if (std::move(field_or_error).get(field)) return std::nullopt;
    std::string_view key;
    if (field.unescaped_key().get(key)) return std::nullopt;
    if (key == "sessionId") {
      std::string_view session_id;
      if (field.value().get_string().get(session_id)) return std::nullopt;
      envelope.session_id.assign(session_id);
      has_session_id = true;
    } else if (key == "message") {
      std::string_view message;
      if (field.value().get_string().get(message)) return std::nullopt;
      envelope.message.assign(message);
      has_message = true;
    }
  }
  if (!has_session_id || !has_message) return std::nullopt;
  return envelope;
}

std::string BuildRequest(int64_t id, std::string_view method, std::string_view params_json) {
  if (params_json.empty()) params_json = kEmptyObject;
  std::string request;
  request.reserve(32 + method.size() + params_json.size());
  request.append("{\"id\":").append(std::to_string(id)).append(",\"method\":");
  AppendJsonString(request, method);
  request.append(",\"params\":").append(params_json).push_back('}');
  return request;
}

std::string BuildSendMessageToWorkerParams(std::string_view worker_session_id,
                                           std::string_view inner_message) {
  std::string params;
  params.reserve(32 + worker_session_id.size() + inner_message.size() * 11 / 10);
  params.append("{\"sessionId\":");
  AppendJsonString(params, worker_session_id);
  params.append(",\"message\":");
  AppendJsonString(params, inner_message);
  params.push_back('}');
  return params;
}

}  // namespace heapagent::cdp
