// The data behind the HTML pages' flame graphs: a CallTree serialized as a
// compact JSON view (a string table plus nested arrays), the form the
// embedded script (html_assets) renders. Also builds the trees: one profile
// (or several, summed) per view, or two for a differential view.
//
// Node format: [function, file, kind, [values...], [children...]] with
// function and file as string-table indexes and kind 0 JS, 1 native,
// 2 placeholder. A diff view's values are the new profile's per type, then
// the base profile's.
//
// Thread-safety: FlameJson is a plain value being built; functions are pure.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "cli/call_tree.h"
#include "cli/profile_files.h"

namespace heapagent::cli {

// Sums the samples of `profiles` (which must share their sample types with
// the first one; others are skipped by type name) into a tree with one slot
// per sample type of the first profile, starting at `first_slot`.
void AddProfilesToTree(const std::vector<const pprof::ProfileData*>& profiles,
                       const std::vector<pprof::ValueTypeData>& types, size_t first_slot, CallTree* tree);

class FlameJson {
 public:
  // Appends one view to the list; `title` is shown above it.
  void AddView(const std::string& title, const std::vector<pprof::ValueTypeData>& types,
               const std::string& default_type, bool diff, const CallTree& tree);
  // {"strings":[...],"views":[...]} without the surrounding braces, to be
  // merged into a page's data object.
  std::string Fields() const;

 private:
  size_t Intern(const std::string& text);
  void AppendNode(const CallTree& tree, uint32_t index, double keep_above, std::string* out);

  std::vector<std::string> strings_;
  std::unordered_map<std::string, size_t> string_index_;
  std::vector<std::string> views_;
};

}  // namespace heapagent::cli
