// The agentgit executable: everything lives in the agentgit::cli library
// (cli/commands.hpp).
#include <string>
#include <vector>

#include "cli/commands.hpp"

int main(int argc, char** argv) { return agentgit::cli::run(std::vector<std::string>(argv + 1, argv + argc)); }
