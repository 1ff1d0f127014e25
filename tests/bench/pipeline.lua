-- wrk script: send `depth` requests back to back on each connection (HTTP/1.1 pipelining).
--   wrk -s pipeline.lua http://127.0.0.1:8000/ -- 16
-- wrk counts responses, not writes, so Requests/sec is still requests per second.
init = function(args)
  local depth = tonumber(args[1]) or 1
  local r = {}
  for i = 1, depth do
    r[i] = wrk.format()
  end
  req = table.concat(r)
end

request = function()
  return req
end
