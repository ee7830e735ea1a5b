// elfutils' libdw, loaded on demand rather than linked.
//
// Two reasons. Inert processes (every shell a node app spawns inherits
// LD_PRELOAD) should not pay for loading it. And libdw's own constructor
// loads the debuginfod client (libcurl, gnutls, libssh2...) whenever
// DEBUGINFOD_URLS is set, as Debian sets it for login shells; inside node,
// whose binary exports its own OpenSSL, that client crashes when used. So the
// agent loads libdw once, early and single-threaded, with DEBUGINFOD_URLS
// hidden for the duration, and never asks debuginfod for anything.
#pragma once

#include <elfutils/libdwfl.h>

namespace heapagent {

struct LibdwApi {
  decltype(&dwfl_begin) begin;
  decltype(&dwfl_end) end;
  decltype(&dwfl_linux_proc_find_elf) linux_proc_find_elf;
  decltype(&dwfl_linux_proc_maps_report) linux_proc_maps_report;
  decltype(&dwfl_report_end) report_end;
  decltype(&dwfl_addrmodule) addrmodule;
  decltype(&dwfl_module_info) module_info;
  decltype(&dwfl_module_build_id) module_build_id;
  decltype(&dwfl_module_getsymtab) module_getsymtab;
  decltype(&dwfl_module_getsym_info) module_getsym_info;
  decltype(&dwfl_module_getsrc) module_getsrc;
  decltype(&dwfl_lineinfo) lineinfo;
  decltype(&dwfl_module_getelf) module_getelf;
  decltype(&::elf_rawfile) raw_file;  // libelf's elf_rawfile, found through libdw's dependencies
};

// Loads libdw.so.1 the first time (call it first from a single-threaded
// constructor); nullptr if it is missing or incomplete.
const LibdwApi* LoadLibdw();

}  // namespace heapagent
