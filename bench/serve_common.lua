-- Shared by bench/serve_ask.lua and bench/serve_feedback.lua (wrk scripts of
-- bench/serve.sh): per-thread counts of the requests built and of the
-- responses by status, summed over the threads in done() and printed as
-- "serve: KEY VALUE" lines after wrk's own summary.
--
-- wrk runs this file once in its main Lua state (setup, done) and once in
-- each thread's state (init, request, response): globals set in a thread are
-- read back in done() with thread:get().

local threads = {}

function setup(thread)
	threads[#threads + 1] = thread
	thread:set("tid", #threads)
end

-- init(args) of the including script calls this first
function common_init()
	built = 0      -- requests built by request() in this thread
	counts = {}    -- status -> responses
	headers = { ["Content-Type"] = "application/json" }
end

function count_response(status)
	counts[status] = (counts[status] or 0) + 1
end

-- the totals over all threads: built, responses, {status = n}; extra(thread)
-- may read more per-thread values
function common_done(extra)
	local total, responses, by_status = 0, 0, {}
	for _, t in ipairs(threads) do
		total = total + (t:get("built") or 0)
		for s, n in pairs(t:get("counts") or {}) do
			by_status[s] = (by_status[s] or 0) + n
			responses = responses + n
		end
		if extra then extra(t) end
	end
	io.write(string.format("serve: built %d\n", total))
	io.write(string.format("serve: responses %d\n", responses))
	local keys = {}
	for s in pairs(by_status) do keys[#keys + 1] = s end
	table.sort(keys)
	for _, s in ipairs(keys) do
		io.write(string.format("serve: status %d %d\n", s, by_status[s]))
	end
	return by_status
end
