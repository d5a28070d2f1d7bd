-- Every request searches for a word never searched before, so each one misses the cache and runs the
-- full-text query on the database.
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", "/leistungen?q=w" .. counter .. "x" .. math.random(1, 1000000000))
end
