-- Requests the paths of the file named by PATHS (one per line) in random order: each request asks
-- for another page, so caches in front of the database see the spread of a real deployment.
local paths = {}
for line in io.lines(os.getenv("PATHS")) do
  paths[#paths + 1] = line
end
math.randomseed(os.time())
request = function()
  return wrk.format("GET", paths[math.random(1, #paths)])
end
