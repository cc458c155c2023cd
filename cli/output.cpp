// Printing results and errors: see output.hpp.
#include "cli/output.hpp"

#include <boost/json.hpp>

#include <cstdio>

#include "cli/error_codes.hpp"
#include "cli/toon.hpp"

namespace agentgit::cli {

namespace json = boost::json;

std::optional<output_format> parse_format(std::string_view text) {
  if (text == "toon") return output_format::toon;
  if (text == "json") return output_format::json;
  return std::nullopt;
}

failure failure_of(const api_reply& reply) {
  failure f;
  if (reply.status == 0) {
    f.message = reply.body.empty() ? "the server did not answer" : reply.body;
    f.code = stable_code(0, "");
    return f;
  }
  std::string server_code;
  boost::system::error_code ec;
  json::value v = json::parse(reply.body, ec);
  if (!ec && v.is_object()) {
    for (const auto& [k, field] : v.as_object()) {
      if (k == "error" && field.is_string())
        f.message = std::string(field.get_string());
      else if (k == "code" && field.is_string())
        server_code = std::string(field.get_string());
      else
        f.extra[k] = field;
    }
  }
  if (f.message.empty()) f.message = "HTTP " + std::to_string(reply.status);
  // The server's finer code stays visible next to the stable one.
  if (!server_code.empty() && server_code != stable_code(reply.status, server_code))
    f.extra["server_code"] = server_code;
  f.code = stable_code(reply.status, server_code);
  return f;
}

bool reply_json(const api_reply& reply, json::value& out, failure& why) {
  boost::system::error_code ec;
  out = json::parse(reply.body, ec);
  if (!ec) return true;
  why = failure{"the server's answer is not JSON (HTTP " + std::to_string(reply.status) + ")",
                std::string(code_server_error), {}};
  return false;
}

std::string render(const json::value& v, output_format format) {
  if (format == output_format::json) return json::serialize(v) + "\n";
  return to_toon(v);
}

void print_value(const json::value& v, output_format format) {
  const std::string text = render(v, format);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

int print_failure(const failure& f, output_format format, std::vector<std::string> help) {
  if (help.empty()) {
    const auto* server_code = f.extra.if_contains("server_code");
    help = help_for(f.code, server_code && server_code->is_string() ? std::string_view(server_code->get_string())
                                                                   : std::string_view());
  }
  json::object o{{"error", f.message}, {"code", f.code}};
  for (const auto& [k, v] : f.extra) o[k] = v;
  json::array h;
  for (auto& line : help) h.emplace_back(line);
  o["help"] = std::move(h);
  print_value(o, format);
  return exit_status(f.code);
}

int usage_failure(std::string message, std::string_view command, output_format format) {
  return print_failure(failure{std::move(message), std::string(code_usage), {}}, format,
                       {command.empty() ? "agentgit --help" : "agentgit " + std::string(command) + " --help"});
}

int print_reply(const api_reply& reply, output_format format) {
  if (reply.status < 200 || reply.status > 299) return print_failure(failure_of(reply), format);
  json::value v;
  failure why;
  if (reply.body.empty()) v = json::object{{"result", "done"}};  // 204: nothing to show but success
  else if (!reply_json(reply, v, why)) return print_failure(why, format);
  print_value(v, format);
  return 0;
}

}  // namespace agentgit::cli
