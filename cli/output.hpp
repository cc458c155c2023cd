// What the agent-facing commands print: results and errors on stdout, as
// TOON (the default) or JSON (`--format json`), the same data either way.
// An error is an object {error, code, help[, the server's other fields]};
// its exit status comes from the stable code (error_codes.hpp).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/api_client.hpp"

namespace agentgit::cli {

enum class output_format { toon, json };

// "toon" or "json"; nothing for anything else.
std::optional<output_format> parse_format(std::string_view text);

// A failed step: what to print and which stable code it carries. `extra`
// holds the fields a server error brings beyond error and code (e.g. the
// files of a BASELINE_CONFLICT).
struct failure {
  std::string message;
  std::string code;
  boost::json::object extra;
};

// The failure an unsuccessful reply stands for (status 0: unreachable).
failure failure_of(const api_reply& reply);

// The reply's body as a JSON value; a failure when it is not JSON.
bool reply_json(const api_reply& reply, boost::json::value& out, failure& why);

// Renders a value (a trailing newline included).
std::string render(const boost::json::value& v, output_format format);

// Prints a value to stdout.
void print_value(const boost::json::value& v, output_format format);

// Prints an error to stdout and returns its exit status (1 or 2).
int print_failure(const failure& f, output_format format, std::vector<std::string> help = {});

// A usage error: code USAGE, help pointing at COMMAND --help; exit 2.
int usage_failure(std::string message, std::string_view command, output_format format);

// The common ending of a command: a 2xx JSON reply printed as it came, any
// other reply printed as an error. Returns the exit status.
int print_reply(const api_reply& reply, output_format format);

}  // namespace agentgit::cli
