// The leak finder's results as text (the `leaks` table), as JSON (`leaks
// --json`) and as the page data of `report` (timeline and suspects).
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "cli/leak_finder.h"

namespace heapagent::cli {

std::string LeakReportText(const LeakReport& report, size_t limit);
// {"suspects":[...],"timelines":[...],"notes":[...]}
std::string LeakReportJson(const LeakReport& report, size_t limit);
// "timeline":{...},"suspects":[...],"notes":[...] for the page data object;
// the timeline holds each heap's total and the top `plotted` suspects.
std::string LeakReportPageFields(const LeakReport& report, size_t limit, size_t plotted);

}  // namespace heapagent::cli
