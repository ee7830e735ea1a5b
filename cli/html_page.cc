// Page assembly; see html_page.h.
#include "cli/html_page.h"

#include "cli/html_assets.h"

namespace heapagent::cli {
namespace {

std::string EscapeHtml(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

std::string HtmlPage(std::string_view title, std::string_view data_json) {
  std::string page = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>";
  page += EscapeHtml(title);
  page += "</title>\n<style>\n";
  page += kHtmlStyle;
  page += "</style></head>\n<body>\n<div id=\"app\"></div>\n<script type=\"application/json\" id=\"heapagent-data\">";
  page += data_json;
  page += "</script>\n<script>\n";
  page += kHtmlScript;
  page += "</script>\n</body></html>\n";
  return page;
}

}  // namespace heapagent::cli
