// libFuzzer target for pprof/profile_data (and pprof/wire_reader under it):
// DecodeProfile must refuse any input it cannot read with a reason, never
// crash, and whatever it accepts must re-encode and decode to the same
// tables (EncodeProfile goes through ProfileBuilder).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "pprof/profile_data.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace heapagent::pprof;
  std::string error;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::optional<ProfileData> profile = DecodeProfile(input, &error);
  if (!profile) {
    if (error.empty()) std::abort();  // a refusal always says why
    return 0;
  }
  // Lookups on every id the decoder vouched for.
  for (const SampleData& sample : profile->samples) {
    for (uint64_t id : sample.location_ids) {
      if (profile->FindLocation(id) == nullptr) std::abort();
    }
  }
  const std::string encoded = EncodeProfile(*profile);
  std::optional<ProfileData> again = DecodeProfile(encoded, &error);
  if (!again) std::abort();  // what we write, we read
  if (again->sample_types != profile->sample_types || again->samples.size() > profile->samples.size()) std::abort();
  return 0;
}
