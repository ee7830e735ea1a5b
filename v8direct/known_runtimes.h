// Which node/V8 builds the direct JS heap path knows the ABI of.
//
// The decision has to be made in the library constructor, before node has
// started (it picks between adding the inspector flags and the bootstrap to
// NODE_OPTIONS), so it rests on V8's version string - a constant V8 returns
// at any time - and is confirmed later, on each isolate's thread, against the
// node version Node-API reports. Only versions whose headers were read and
// whose binaries were tested are listed (v8_abi.h): V8 11.3 (node 20), 12.4
// (node 22) and 13.6 (node 24). Anything else uses CDP.
//
// Pure functions: unit-tested.
#pragma once

#include <optional>
#include <string_view>

namespace heapagent::v8direct {

// The node major that ships V8 `v8_version` ("11.3.244.8-node.38"), if the
// direct path knows that V8's ABI; nullopt otherwise.
std::optional<int> KnownNodeMajorForV8(std::string_view v8_version);

}  // namespace heapagent::v8direct
