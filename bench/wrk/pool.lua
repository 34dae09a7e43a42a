-- wrk cannot sign a Twilio webhook, so it posts requests signed beforehand.
--
--   wrk -t T -c C -d S -s bench/wrk/pool.lua URL -- POOL_FILE T
--
-- POOL_FILE holds one request a line: path, X-Twilio-Signature and form body, separated by
-- tabs. Thread i of T takes lines i, i + T, i + 2T ... and sends them in order, starting
-- over when its share runs out (counted in `wrapped`: a pool of fresh CallSids must never
-- wrap). An answer that is the apology (the service failed but still answered 200) is
-- counted apart. done() prints one line, `WRK_RESULT {json}`, for bench/webhooks.py.

local threads = {}

function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

function init(args)
   local pool_file, thread_count = args[1], tonumber(args[2])
   pool = {}
   local line_number = 0
   for line in io.lines(pool_file) do
      if line_number % thread_count == id then
         local path, signature, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
         local headers = {
            ["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8",
            ["X-Twilio-Signature"] = signature,
         }
         pool[#pool + 1] = wrk.format("POST", path, headers, body)
      end
      line_number = line_number + 1
   end
   sent, wrapped, non_2xx, apologies = 0, 0, 0, 0
end

function request()
   sent = sent + 1
   if sent > #pool then
      wrapped = wrapped + 1
   end
   return pool[(sent - 1) % #pool + 1]
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      non_2xx = non_2xx + 1
   elseif body:find('/twilio/message"', 1, true) then
      -- the apology: the service failed and answered "please leave a message"
      apologies = apologies + 1
   end
end

function done(summary, latency, requests)
   local sent_by_thread, wrapped_total, non_2xx_total, apologies_total = {}, 0, 0, 0
   for _, thread in ipairs(threads) do
      table.insert(sent_by_thread, tostring(thread:get("sent")))
      wrapped_total = wrapped_total + thread:get("wrapped")
      non_2xx_total = non_2xx_total + thread:get("non_2xx")
      apologies_total = apologies_total + thread:get("apologies")
   end
   local errors = summary.errors
   io.write(string.format(
      'WRK_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
      '"non_2xx": %d, "apologies": %d, "socket_errors": %d, "timeouts": %d, "wrapped": %d, "sent": [%s]}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      non_2xx_total, apologies_total, errors.connect + errors.read + errors.write, errors.timeout,
      wrapped_total, table.concat(sent_by_thread, ", ")))
end
