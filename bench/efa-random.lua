-- Requests the paths of the file named by PATHS (one per line) in random order: each request asks
-- for another page, so caches in front of the database see the spread of a real deployment.
-- The paths are kept as one string and where each line starts, not as a table of strings: with
-- 495,000 strings in each thread's Lua state, wrk's own pauses added up to 100 ms to the p99 it
-- reported, which the portal's requests did not take (docs/performance.md).
local threads = 0
function setup(thread)
  thread:set("number", threads)
  threads = threads + 1
end

local text, starts
function init()
  local file = assert(io.open(os.getenv("PATHS")))
  text = file:read("*a")
  file:close()
  starts = {}
  local at = 1
  for line_end in text:gmatch("()\n") do
    starts[#starts + 1] = at
    at = line_end + 1
  end
  starts[#starts + 1] = at
  math.randomseed(os.time() * 100 + number)
end

request = function()
  local line = math.random(1, #starts - 1)
  return wrk.format("GET", text:sub(starts[line], starts[line + 1] - 2))
end
