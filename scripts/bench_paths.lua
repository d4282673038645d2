-- wrk -s scripts/bench_paths.lua URL -- FILE
-- GETs the paths listed in FILE (one a line, query string included) in turn, so
-- that a run measures a mix of pages rather than one page over and over.
-- URL gives the server (its own path is not used). Each of wrk's threads starts
-- at another place in the list; its connections share the thread's turn.

local made = 0
local paths = {}
local next_index = 1

-- Runs in wrk's main Lua state, once per thread before it starts.
function setup(thread)
  made = made + 1
  thread:set("start", made)
end

-- Runs in each thread's own Lua state; `start` was set by setup().
function init(args)
  if args[1] == nil then
    error("usage: wrk -s bench_paths.lua URL -- FILE")
  end
  for line in io.lines(args[1]) do
    if line ~= "" then
      paths[#paths + 1] = line
    end
  end
  if #paths == 0 then
    error("no paths in " .. args[1])
  end
  next_index = ((start or 1) - 1) * 7919 % #paths + 1
end

function request()
  local path = paths[next_index]
  next_index = next_index % #paths + 1
  return wrk.format("GET", path)
end
