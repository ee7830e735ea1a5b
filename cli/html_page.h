// One self-contained HTML page: the embedded stylesheet and script, and the
// page's data as a JSON object in a <script type="application/json">
// element, which the script renders (sections appear for the fields the
// object has: timeline, suspects, views, growth; see html_script.js).
//
// Thread-safety: a pure function.
#pragma once

#include <string>
#include <string_view>

namespace heapagent::cli {

// `data_json` is a complete JSON object whose strings were made with
// JsonString (so it cannot close the <script> element).
std::string HtmlPage(std::string_view title, std::string_view data_json);

}  // namespace heapagent::cli
