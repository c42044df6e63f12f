#!/usr/bin/env bash
# The test command: builds everything and runs every test. Extra arguments go to `dotnet test`.
# Tests that need the npm clients (the Contentstack SDK and CLI) install them on first use under tests/compat.
set -euo pipefail
cd "$(dirname "$0")"
dotnet test Orgstack.slnx "$@"
