// The stylesheet and script of the HTML pages, compiled into the binary from
// html_style.css and html_script.js (CMake wraps them in raw string literals),
// so a page never loads anything from the network.
//
// Thread-safety: constants.
#pragma once

namespace heapagent::cli {

extern const char kHtmlStyle[];
extern const char kHtmlScript[];

}  // namespace heapagent::cli
