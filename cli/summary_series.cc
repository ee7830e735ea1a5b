// Reading the heap summary series; see summary_series.h.
#include "cli/summary_series.h"

#include <simdjson.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "cli/input_error.h"
#include "cli/profile_files.h"

namespace heapagent::cli {
namespace {

std::optional<double> NumberField(simdjson::dom::object& object, std::string_view key) {
  simdjson::dom::element value;
  if (object.at_key(key).get(value) != simdjson::SUCCESS) return std::nullopt;
  double number = 0;
  if (value.is_uint64()) number = static_cast<double>(value.get_uint64().value_unsafe());
  else if (value.is_int64()) number = static_cast<double>(value.get_int64().value_unsafe());
  else if (value.is_double()) number = value.get_double().value_unsafe();
  else return std::nullopt;
  if (!(number >= 0)) return std::nullopt;
  return number;
}

}  // namespace

void ParseSummaryLines(std::string_view text, SummarySeries* series) {
  simdjson::dom::parser parser;
  size_t position = 0;
  while (position < text.size()) {
    const size_t end = text.find('\n', position);
    if (end == std::string_view::npos) {
      // An unterminated last line is a record being written (or cut short).
      ++series->skipped_lines;
      break;
    }
    const std::string_view line = text.substr(position, end - position);
    position = end + 1;
    if (line.empty()) continue;
    simdjson::dom::object object;
    if (parser.parse(line.data(), line.size()).get(object) != simdjson::SUCCESS) {
      ++series->skipped_lines;
      continue;
    }
    const auto seq = NumberField(object, "seq");
    const auto unix_ms = NumberField(object, "unix_ms");
    if (!seq || !unix_ms) {
      ++series->skipped_lines;
      continue;
    }
    SummaryRecord record;
    record.seq = static_cast<uint64_t>(*seq);
    record.unix_ms = *unix_ms;
    bool is_final = false;
    record.is_final = object.at_key("final").get(is_final) == simdjson::SUCCESS && is_final;
    record.rss_bytes = NumberField(object, "rss_bytes");
    record.v8_heap_used_bytes = NumberField(object, "v8_heap_used_bytes");
    record.v8_heap_total_bytes = NumberField(object, "v8_heap_total_bytes");
    record.v8_external_bytes = NumberField(object, "v8_external_bytes");
    record.v8_array_buffers_bytes = NumberField(object, "v8_array_buffers_bytes");
    record.allocator_in_use_bytes = NumberField(object, "allocator_in_use_bytes");
    record.sampled_native_in_use_bytes = NumberField(object, "sampled_native_in_use_bytes");
    record.sampled_js_in_use_bytes = NumberField(object, "sampled_js_in_use_bytes");
    series->records.push_back(record);
  }
}

void OrderSummaryRecords(SummarySeries* series) {
  std::stable_sort(series->records.begin(), series->records.end(),
                   [](const SummaryRecord& a, const SummaryRecord& b) { return a.seq < b.seq; });
  series->records.erase(std::unique(series->records.begin(), series->records.end(),
                                    [](const SummaryRecord& a, const SummaryRecord& b) { return a.seq == b.seq; }),
                        series->records.end());
}

std::optional<SummarySeries> LoadSummarySeries(const std::string& directory, int64_t pid) {
  const std::vector<std::string> paths = SummaryFilesOf(directory, pid);
  if (paths.empty()) return std::nullopt;
  SummarySeries series;
  for (const std::string& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path + ": cannot be opened");
    std::stringstream buffer;
    buffer << in.rdbuf();
    ParseSummaryLines(buffer.str(), &series);
    series.files.push_back(path);
  }
  OrderSummaryRecords(&series);
  return series;
}

}  // namespace heapagent::cli
