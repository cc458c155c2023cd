// The stable codes the CLI and the MCP server print: every HTTP answer maps
// to one documented code, exit statuses follow the README's table, and
// every code has next steps.
#include <doctest/doctest.h>

#include "cli/error_codes.hpp"

using namespace agentgit::cli;

TEST_CASE("stable_code: each HTTP status the server answers maps to its documented code") {
  CHECK(stable_code(0, "") == "SERVER_UNREACHABLE");
  for (int s : {400, 411, 413, 415, 422, 418}) CHECK(stable_code(s, "") == "VALIDATION_FAILED");
  CHECK(stable_code(401, "UNAUTHORIZED") == "UNAUTHORIZED");
  CHECK(stable_code(403, "FORBIDDEN") == "FORBIDDEN");
  CHECK(stable_code(403, "READ_ONLY") == "READ_ONLY");
  CHECK(stable_code(404, "SESSION_NOT_FOUND") == "NOT_FOUND");
  CHECK(stable_code(410, "") == "NOT_FOUND");
  CHECK(stable_code(409, "REPO_EXISTS") == "CONFLICT");
  CHECK(stable_code(412, "") == "CONFLICT");
  CHECK(stable_code(409, "BASELINE_CONFLICT") == "BASELINE_CONFLICT");
  CHECK(stable_code(429, "") == "BUSY");
  CHECK(stable_code(503, "") == "BUSY");
  CHECK(stable_code(500, "INTERNAL") == "SERVER_ERROR");
  CHECK(stable_code(502, "") == "SERVER_ERROR");
}

TEST_CASE("exit_status: 2 for usage and validation errors, 1 for the rest") {
  CHECK(exit_status(code_usage) == 2);
  CHECK(exit_status(code_validation) == 2);
  for (auto c : {code_not_found, code_conflict, code_baseline, code_unauthorized, code_forbidden, code_read_only,
                 code_busy, code_unreachable, code_server_error, code_no_session, code_workdir_not_local,
                 code_exec_failed, code_local_file})
    CHECK(exit_status(c) == 1);
}

TEST_CASE("help_for: every code has a next step, and a taken repo name is not told to retry") {
  for (auto c : {code_usage, code_validation, code_not_found, code_conflict, code_baseline, code_unauthorized,
                 code_forbidden, code_read_only, code_busy, code_unreachable, code_server_error, code_no_session,
                 code_workdir_not_local, code_exec_failed, code_local_file})
    CHECK_FALSE(help_for(c).empty());
  const auto taken = help_for(code_conflict, "REPO_EXISTS");
  REQUIRE_FALSE(taken.empty());
  CHECK(taken.front().find("another name") != std::string::npos);
  CHECK(help_for(code_conflict).front().find("retry") != std::string::npos);
}
