// The one error type of the heapagent command: bad usage or bad input (a
// truncated or non-pprof file, an empty directory, mixed processes). main()
// prints its message, which names the file and what is wrong, and exits 2.
//
// Thread-safety: an exception value.
#pragma once

#include <stdexcept>

namespace heapagent::cli {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr int kExitBadInput = 2;

}  // namespace heapagent::cli
